"""Run tasks as a user types them, in-process through invoke's Program, on a throwaway checkout.

`checkout` is a temporary copy of what the tasks read (the env example, the policy, the compose
file); the tasks' settings point at it, so a case can plant a broken `.env.staging` or a stack
record without touching this checkout. The engine is missing (DOCKER_HOST names no socket, no
provisioning), so a task that gets past its checks meets exit 3, never a real engine.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from invoke import Program

from replica.stack import settings as settings_module
from replica.tasks import namespace
from replica.tasks import reporting

ROOT = settings_module.ROOT
REPLICA = "badinput"
COPIED = (".env.staging.example", "docker-compose.staging.yml", "db/sanitize.yml",
          "docker/python/Dockerfile",
          "app/mina/settings.py")


@dataclasses.dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def checkout(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "checkout"
    for name in COPIED:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, root / name)
    real = reporting.from_environment
    monkeypatch.setattr(reporting, "from_environment",
                        lambda environ=None: dataclasses.replace(real(environ), root=root))
    for variable in [v for v in __import__("os").environ if v.startswith("STAGING_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("STAGING_NAME", REPLICA)
    monkeypatch.setenv("STAGING_PROVISION_ENGINE", "0")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    monkeypatch.setenv("STAGING_SANITIZE_SALT", "s" * 32)
    monkeypatch.setenv("COLUMNS", "80")
    return root


@pytest.fixture
def run(checkout, capsys):
    """Run `invoke ARGS...` in this process; return its exit code and output."""
    def run_task(*args: str) -> Outcome:
        program = Program(namespace=namespace, name="invoke", binary="invoke")
        capsys.readouterr()
        try:
            program.run(["invoke", *args], exit=True)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)
    return run_task


def fingerprint(*roots: Path) -> dict[str, str]:
    """Every file under roots, by path: its mode and a hash of its bytes (links by their target)."""
    seen = {}
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_symlink():
                seen[str(path)] = f"link {path.readlink()}"
            elif path.is_file():
                seen[str(path)] = f"{path.stat().st_mode:o} {hashlib.sha256(path.read_bytes()).hexdigest()}"
            elif path.is_dir():
                seen[str(path)] = "dir"
    return seen


def write_stack_record(checkout: Path, services=("app", "db", "redis", "mock-openai", "error-sink"),
                       profiles=()) -> Path:
    """Plant the record `up` leaves for a running replica (its containers need not exist)."""
    state = checkout / ".staging" / REPLICA
    state.mkdir(parents=True, exist_ok=True)
    ports = {service: 1 for service in services}
    compose_env = {"DB_USER": "mina", "DB_PASSWORD": "pw", "DB_NAME": "mina_staging"}
    record = {"services": list(services), "ports": ports, "compose_env": compose_env,
              "app_env": {}, "profiles": list(profiles)}
    (state / "stack.json").write_text(json.dumps(record))
    (state / "compose.env").write_text("STAGING_PROJECT=mina-staging-badinput\n")
    return state


def assert_one_line_error(outcome: Outcome, code: int) -> None:
    """One message line (✘ ...) and at most one hint line (→ ...), the code, no traceback."""
    text = outcome.stdout + outcome.stderr
    assert "Traceback" not in text, text
    assert "unexpected" not in outcome.stderr, outcome.stderr  # reporting's last resort: a bug
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("✘ "), outcome.stderr
    assert len(lines) <= 2 and all(line.strip().startswith("→ ") for line in lines[1:]), lines
    assert outcome.code == code, (outcome.code, outcome.stderr)
