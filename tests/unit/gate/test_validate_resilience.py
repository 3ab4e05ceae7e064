"""The gate's checks record the resilience item exactly when an `openai-*` profile is on."""
from types import SimpleNamespace

import pytest

from replica.gate import resilience
from replica.commands import validate as validate_module


class Stack:
    def __init__(self, *profiles):
        self.profiles = profiles

    def url(self, service):
        return f"http://127.0.0.1:1/{service}"


@pytest.fixture
def checks_without_the_rest(monkeypatch):
    """run_checks with every other check stubbed out; returns what resilience.judge was asked."""
    asked = []
    monkeypatch.setattr(validate_module, "_static_security", lambda root: {})
    monkeypatch.setattr(validate_module.smoke, "run", lambda *args, **kwargs: (0, None))
    monkeypatch.setattr(validate_module.smoke, "record", lambda *args: None)
    monkeypatch.setattr(validate_module, "_live_security", lambda run: "ok")
    monkeypatch.setattr(validate_module, "_k6_item", lambda *args, **kwargs: None)
    monkeypatch.setattr(validate_module, "_performance_target", lambda run: validate_module.performance.Target(
        run.base_url, local=False, strict_slo=False, config="unit"))  # k6 in its own step: _k6_item
    monkeypatch.setattr(resilience, "judge", lambda *args: asked.append(args) or "judged")
    return asked


@pytest.mark.parametrize("profiles, recorded", [(("openai-ratelimit",), True), (("tls", "openai-down"), True),
                                                (("tls",), False), ((), False)])
def test_the_item_follows_the_openai_profiles(checks_without_the_rest, tmp_path, profiles, recorded):
    run = validate_module.Run(SimpleNamespace(root=tmp_path, name="gate-unit"), tmp_path, base_url="http://127.0.0.1:1", stack=Stack(*profiles),
                              errors_since=100)
    validate_module.run_checks(run)
    items = {item.key: item for item in run.checklist.items}
    assert (resilience.ITEM in items) is recorded
    if recorded:
        [(mock_url, chosen, _sink, since)] = checks_without_the_rest
        assert mock_url.endswith("/mock-openai") and chosen == [p for p in profiles if p.startswith("openai-")]
        assert since == 100 and items[resilience.ITEM].evidence == "judged"
