import shutil
from dataclasses import replace

import pytest

from replica.engine.images import ca_bundle_path, service_image_tags
from replica.stack.settings import ROOT, from_environment


@pytest.fixture
def settings(tmp_path):
    for folder in ("docker", "app", "mocks", "db/migrations"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "docker", tmp_path / "docker", dirs_exist_ok=True)
    (tmp_path / "app" / "main.py").write_text("app = 1\n")
    return replace(from_environment({}), root=tmp_path)


def test_tags_change_only_for_images_whose_inputs_changed(settings):
    before = service_image_tags(settings, "base:1")
    (settings.root / "app" / "main.py").write_text("app = 2\n")
    after = service_image_tags(settings, "base:1")
    assert after["APP_IMAGE"] != before["APP_IMAGE"]
    assert after["DB_IMAGE"] == before["DB_IMAGE"]
    assert after["MOCKS_IMAGE"] == before["MOCKS_IMAGE"]


def test_bytecode_caches_do_not_change_tags(settings):
    before = service_image_tags(settings, "base:1")
    cache = settings.root / "app" / "__pycache__"
    cache.mkdir()
    (cache / "main.cpython-311.pyc").write_bytes(b"\0")
    assert service_image_tags(settings, "base:1") == before


def test_the_base_and_postgres_major_are_part_of_the_tags(settings):
    tags = service_image_tags(settings, "base:1")
    assert service_image_tags(settings, "base:2")["APP_IMAGE"] != tags["APP_IMAGE"]
    pg15 = service_image_tags(replace(settings, pg_major="15"), "base:1")
    assert pg15["DB_IMAGE"].startswith("mina-staging/db:pg15-")


def test_a_user_ca_bundle_wins(settings, tmp_path):
    bundle = tmp_path / "corp.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert ca_bundle_path(replace(settings, ca_bundle=bundle)) == bundle
