import shutil
from dataclasses import replace

import pytest
import yaml

from replica import parity
from replica.errors import ConfigError
from replica.settings import ROOT, from_environment


@pytest.fixture
def settings(tmp_path):
    for name in ("staging.declared.yml", ".env.staging.example", "docker-compose.staging.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "app").mkdir()
    shutil.copy(ROOT / "app" / "requirements.txt", tmp_path / "app" / "requirements.txt")
    return replace(from_environment({}), root=tmp_path)


def items_by_name(settings):
    return {i.item: i for i in parity.staging_items(settings, parity.declared(settings.root))}


def test_a_fresh_replica_matches_staging_except_for_tls(settings):
    differing = [i.item for i in items_by_name(settings).values() if not i.same]
    assert differing == ["database TLS"]
    assert items_by_name(settings)["database TLS"].todo == "invoke staging.up --profile tls"


def test_a_changed_declaration_shows_as_a_difference_with_what_to_do(settings):
    path = settings.root / "staging.declared.yml"
    declared = yaml.safe_load(path.read_text())
    declared.update(redis="disabled", workers=4)
    path.write_text(yaml.safe_dump(declared))
    items = items_by_name(settings)
    assert not items["Redis"].same and "redis-off" in items["Redis"].todo
    assert not items["workers"].same


def test_a_bad_pin_is_caught(settings):
    requirements = settings.root / "app" / "requirements.txt"
    requirements.write_text(requirements.read_text().replace("gunicorn==25.3.0", "gunicorn==26.0.0"))
    assert not items_by_name(settings)["pin gunicorn"].same


def test_env_profile_overrides_count(settings):
    (settings.root / ".env.staging").write_text("DEBUG=False\n")
    assert not items_by_name(settings)["env DEBUG"].same


def test_an_unreadable_declaration_is_a_clear_error(settings):
    (settings.root / "staging.declared.yml").write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="mapping"):
        parity.declared(settings.root)
