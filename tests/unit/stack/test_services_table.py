"""The services table (replica/stack/services.py) is the one place a service is described: each row
drives the compose variables `up` writes, the ports it chooses, the URLs status prints, the images
it builds, and it matches docker-compose.staging.yml."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from replica.commands import status
from replica.engine import images
from replica.engine.health import ServiceState
from replica.stack import plan as stack_module, profiles, services
from replica.stack.services import TABLE, compose_variable
from replica.stack.settings import from_environment, port_variable

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.staging.yml").read_text())["services"]


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.name)
def test_each_row_is_the_compose_service_of_its_name(row):
    spec = COMPOSE[row.name]
    assert spec["image"].split(":-")[0].strip("${}") == row.image
    assert spec.get("profiles", [None]) == [row.profile]
    if row.published:
        assert spec["ports"] == [f"127.0.0.1:${{{compose_variable(row.name, 'PORT')}}}:{row.container_port}"]
    else:
        assert "ports" not in spec
    if row.one_shot:
        assert spec.get("restart", "no") == "no"


def test_the_compose_file_has_no_service_the_table_lacks_but_the_gate_s_variant_apps():
    extra = {name for name in COMPOSE if name not in services.BY_NAME}
    assert all(COMPOSE[name].get("profiles") == ["variants"] for name in extra), extra
    for name in extra:  # a variant app is the app with another environment and port
        assert COMPOSE[name]["image"] == COMPOSE["app"]["image"]
        assert COMPOSE[name]["ports"][0].endswith(f":{services.APP_PORT}")


def test_each_image_row_is_built_from_paths_that_exist():
    used = {row.image for row in TABLE}
    assert {image.variable for image in services.IMAGES} == used
    for image in services.IMAGES:
        assert all((ROOT / path).exists() for path in image.inputs), image
        assert services.IMAGE_SERVICES[image.variable] in services.BY_NAME


def test_prepare_writes_each_published_row_s_port_and_url(settings, monkeypatch):
    monkeypatch.setattr(images, "service_image_tags", lambda settings, base, inputs=None: {
        variable: f"mina-staging/{short}:t" for variable, (short, _) in
        (inputs or services.BUILD_INPUTS).items()})
    stack = stack_module.prepare(settings, set(), profiles.resolve([]), {}, images.image_environment)
    for row in TABLE:
        if not row.published:
            assert row.name not in stack.ports
            continue
        port = stack.compose_env[compose_variable(row.name, "PORT")]
        assert int(port) == stack.ports[row.name]
        assert stack.url(row.name).startswith(f"{row.scheme}://") and f":{port}" in stack.url(row.name)
    for image in services.IMAGES:  # the optional pooler's too: a placeholder when not used
        assert stack.compose_env[image.variable].startswith(f"mina-staging/{image.short}:")


def test_status_lists_each_running_row_and_the_one_shot_ones(settings):
    stack = stack_module.prepare(settings, set(), profiles.resolve([]), {}, images.image_environment)
    states = {row.name: ServiceState(row.name, "running", "healthy", 0, "c", ()) for row in TABLE}
    listed = [row[0] for row in status._stack_rows(stack, states)]
    assert listed == [*stack.services, *services.ONE_SHOT_SERVICES]


@pytest.mark.parametrize("row", [r for r in TABLE if r.published], ids=lambda row: row.name)
def test_each_published_row_can_be_pinned_from_the_environment(row):
    assert from_environment({port_variable(row.name): "23456"}).pinned_ports == {row.name: 23456}
