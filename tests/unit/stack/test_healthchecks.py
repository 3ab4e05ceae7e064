"""Healthchecks that cost next to nothing once healthy, without slowing the start (issue 16).

Each probe is a new process in the container; Engine 20.10 has no `start_interval`. The compose
file's `settled` wrapper probes every HEALTH_PROBE_INTERVAL_S until one passes, then makes each
probe wait HEALTH_SETTLED_INTERVAL_S first. Here the wrapper itself runs under `sh`, with a
`sleep` on PATH that only records what it was asked (no waiting, nothing timed).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from replica.stack import profiles, settings as settings_module, plan as stack_module
from replica.engine.compose import Compose
from replica.stack.settings import health_compose_env
from replica.engine import images

ROOT = Path(__file__).resolve().parents[3]
MARKER = "/dev/shm/mina-healthy"


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.staging.yml").read_text())


def _interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's interpolation, as much of it as the wrapper uses: ${NAME} and $$."""
    text = re.sub(r"(?<!\$)\$\{([A-Z_]+)\}", lambda m: values[m.group(1)], text)
    return text.replace("$$", "$")


def test_every_healthcheck_probes_through_the_settled_wrapper_with_the_settings_figures():
    document = _compose()
    checked = {name: service["healthcheck"] for name, service in document["services"].items()
               if "healthcheck" in service}
    assert {"app", "db", "redis", "mock-openai", "error-sink"} <= set(checked)
    for name, check in checked.items():
        assert check["test"][:4] == ["CMD", "sh", "-c", document["x-settled"]], name
        assert check["test"][4] == "probe" and len(check["test"]) > 5, name
        assert (check["interval"], check["timeout"], check["retries"]) == (
            "${HEALTH_INTERVAL}", "${HEALTH_TIMEOUT}", "${HEALTH_RETRIES}"), name


def test_up_writes_the_health_figures_and_every_compose_call_carries_them(settings):
    figures = health_compose_env()
    assert figures["HEALTH_INTERVAL"] == f"{settings_module.HEALTH_PROBE_INTERVAL_S}s"
    assert figures["HEALTH_SETTLED_S"] == str(settings_module.HEALTH_SETTLED_INTERVAL_S)
    # the engine's timeout must outlast a settled probe's wait plus its own answer
    assert int(figures["HEALTH_TIMEOUT"].rstrip("s")) > settings_module.HEALTH_SETTLED_INTERVAL_S
    stack = stack_module.prepare(settings, set(), profiles.resolve([]), {}, images.image_environment)
    assert {k: stack.compose_env[k] for k in figures} == figures
    # a compose.env written by an older version lacks them: compose gets them from the process
    assert {k: Compose(settings)._process_env()[k] for k in figures} == figures


@pytest.fixture
def wrapper(tmp_path):
    """Run the compose file's wrapper as the engine would, with its marker in tmp_path."""
    marker = tmp_path / "marker"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    slept = tmp_path / "slept"
    fake_sleep = bin_dir / "sleep"
    fake_sleep.write_text(f"#!/bin/sh\necho \"$@\" >> {slept}\n")
    fake_sleep.chmod(0o755)
    values = {**health_compose_env(), "HEALTH_PROBE_TIMEOUT_S": "0.5"}
    script = _interpolate(_compose()["x-settled"], values).replace(MARKER, str(marker))
    assert str(marker) in script

    def run(*probe: str):
        slept.unlink(missing_ok=True)
        done = subprocess.run(["sh", "-c", script, "probe", *probe], capture_output=True, text=True,
                              env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
                              timeout=30)
        return done, (slept.read_text().split() if slept.exists() else []), marker.exists()

    return run


def test_probes_are_immediate_until_healthy_then_wait_the_settled_interval(wrapper):
    settled = health_compose_env()["HEALTH_SETTLED_S"]
    done, slept, healthy = wrapper("false")
    assert (done.returncode, slept, healthy) == (1, [], False)   # starting: no wait
    done, slept, healthy = wrapper("true")
    assert (done.returncode, slept, healthy) == (0, [], True)    # the first pass: no wait
    done, slept, healthy = wrapper("true")
    assert (done.returncode, slept, healthy) == (0, [settled], True)  # healthy: waits first


def test_a_failure_after_healthy_is_reported_with_its_output_and_probes_are_fast_again(wrapper):
    wrapper("true")
    done, slept, healthy = wrapper(sys.executable, "-c", "import sys; sys.exit('db: down')")
    assert done.returncode == 1 and "db: down" in done.stderr and not healthy
    assert slept == [health_compose_env()["HEALTH_SETTLED_S"]]
    done, slept, healthy = wrapper("false")
    assert (done.returncode, slept) == (1, [])


def test_a_probe_that_hangs_is_cut_by_the_probe_timeout_not_the_engines(wrapper):
    done, _, healthy = wrapper(sys.executable, "-c", "import time; time.sleep(60)")
    assert done.returncode != 0 and not healthy
