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
