"""The bug-report bundle masks every secret: the replica's own and secret-shaped text in logs."""
from __future__ import annotations

import tarfile

from replica.stack import profiles, plan as stack_module
from replica.commands import bundle as bundle_module
from replica.core.redact import MASK
from replica.engine import images


def test_the_bundle_masks_generated_secrets_and_secret_query_values(settings, monkeypatch, tmp_path):
    stack = stack_module.prepare(settings, set(), profiles.resolve([]), {}, images.image_environment)
    redis_password, secret_key = stack.compose_env["REDIS_PASSWORD"], stack.app_env["SECRET_KEY"]
    log = (f"GET /hook?room=1&token=tok-planted-1&api_key=key-planted-2 200\n"
           f"redis at {stack.url('redis')}; secret {secret_key}\n"
           "psql host=db dbname=x password=conninfo-planted-3\n")
    monkeypatch.setattr(bundle_module, "_collect", lambda settings, stack: {
        "app.env": (settings.state_dir / "app.env").read_text(), "logs/app.log": log})
    output = bundle_module.bundle(settings, tmp_path / "out.tar.gz")
    with tarfile.open(output) as archive:
        text = "".join(archive.extractfile(member).read().decode() for member in archive)
    for planted in (redis_password, secret_key, "tok-planted-1", "key-planted-2", "conninfo-planted-3"):
        assert planted not in text
    assert "room=1" in text and text.count(MASK) >= 6


def test_the_bundle_keeps_the_sink_s_spans_beside_its_errors_redacted(settings, monkeypatch, tmp_path):
    import json

    import requests

    from mocks.sentry_sink import create_app as create_sink
    from tests.support.mock_openai import serve
    from tests.unit.mocks.test_bad_input_sink import GOOD_EVENT, body, transaction

    stack = stack_module.prepare(settings, set(), profiles.resolve([]), {}, images.image_environment)
    secret_key = stack.app_env["SECRET_KEY"]
    call = {"span_id": "a" * 16, "parent_span_id": "eee19b7ec3c1b174", "op": "http.client",
            "description": f"POST http://hook/?token=tok-planted-4&key={secret_key}",
            "start_timestamp": 1.2, "timestamp": 1.8}
    with serve(create_sink()) as sink_url:
        sent = body(GOOD_EVENT, transaction(spans=[call]))
        assert requests.post(f"{sink_url}/api/1/envelope/", data=sent, timeout=10).status_code == 200
        monkeypatch.setattr(bundle_module, "_collect", lambda settings, stack: bundle_module._error_sink(sink_url))
        output = bundle_module.bundle(settings, tmp_path / "out.tar.gz")
    with tarfile.open(output) as archive:
        events, spans = (json.loads(archive.extractfile(f"bundle/error-{kind}.json").read())
                         for kind in ("events", "spans"))
    assert [e["message"] for e in events] == ["kept?"]
    [segment, child] = spans
    assert segment["transaction"] == "GET /x" and child["op"] == "http.client"
    assert "tok-planted-4" not in child["description"] and secret_key not in child["description"]
    assert MASK in child["description"]
