"""A replica in a temporary checkout, prepared without an engine (images and ports stubbed)."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from replica.engine import images
from replica.stack import ports
from replica.stack.settings import from_environment

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def settings(tmp_path, monkeypatch):
    for name in (".env.staging.example", "staging.declared.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.setattr(images, "ensure_base_image", lambda settings, suite=None: "base:test")
    monkeypatch.setattr(images, "service_image_tags", lambda *args, **kwargs: {})
    monkeypatch.setattr(images, "ca_bundle_path", lambda settings: tmp_path / "ca.pem")
    monkeypatch.setattr(ports, "resolve_ports",
                        lambda settings, services, own: {s: 20000 + i for i, s in enumerate(services)})
    return replace(from_environment({}), name="unit", root=tmp_path)
