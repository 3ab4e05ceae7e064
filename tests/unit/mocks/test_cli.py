"""Both mocks run as `python -m ...` with HOST/PORT and MOCK_OPENAI_* from the environment."""

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import openai
import pytest
import requests

from mocks import control
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[3]


@contextmanager
def running(module, env=None, args=(), port=None):
    """Run a mock as a subprocess; yield its base URL once /health answers on `port` (default: PORT)."""
    full_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(free_port()), **(env or {})}
    port = port or int(full_env["PORT"])
    proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                control.health(url)
                break
            except control.MockUnreachableError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    raise AssertionError(proc.communicate()[0].decode()) from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_mock_openai_reads_keys_and_profile_from_the_environment():
    env = {"MOCK_OPENAI_API_KEYS": "sk-a, sk-b", "MOCK_OPENAI_PROFILE": "down"}
    with running("mocks.openai_mock", env) as url:
        assert control.health(url) == {"status": "ok", "service": "mock-openai", "profile": "down"}
        with openai.OpenAI(base_url=f"{url}/v1", api_key="sk-b", max_retries=0) as sdk:
            with pytest.raises(openai.InternalServerError):
                sdk.models.list()
            control.clear_openai_faults(url)
            assert sdk.models.list().data


def test_mock_openai_reads_the_fault_paths_from_the_environment():
    env = {"MOCK_OPENAI_PROFILE": "down", "MOCK_OPENAI_FAULT_PATHS": " /v1/embeddings , /v1/responses"}
    with running("mocks.openai_mock", env) as url:
        assert control.openai_faults(url)["paths"] == ["/v1/embeddings", "/v1/responses"]
        with openai.OpenAI(base_url=f"{url}/v1", api_key="sk-staging-local", max_retries=0) as sdk:
            assert sdk.models.list().data


def test_the_port_flag_overrides_the_environment():
    port = free_port()
    with running("mocks.sentry_sink", args=("--port", str(port)), port=port) as url:
        assert control.health(url)["service"] == "sentry-sink"


def test_an_unknown_profile_exits_2_with_a_message():
    result = subprocess.run([sys.executable, "-m", "mocks.openai_mock"], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "PORT": str(free_port()), "MOCK_OPENAI_PROFILE": "chaos"},
                            timeout=30)
    assert result.returncode == 2 and "'chaos' is not a profile" in result.stderr


def test_an_unreachable_mock_is_a_clear_error():
    with pytest.raises(control.MockUnreachableError, match="Is the stack up"):
        control.openai_journal(f"http://127.0.0.1:{free_port()}")


def test_sigterm_stops_the_mock_even_while_a_request_is_held():
    def hold(url):
        try:
            requests.get(f"{url}/v1/models", timeout=30,
                         headers={"Authorization": "Bearer sk-staging-local", "X-Mock-Fault": "timeout:120"})
        except requests.RequestException:
            pass  # the server going away is the point

    with running("mocks.openai_mock") as url:
        threading.Thread(target=hold, args=(url,), daemon=True).start()
        time.sleep(0.5)
        started = time.monotonic()
    assert time.monotonic() - started < 9  # graceful shutdown gives held requests 5 s, not 120
