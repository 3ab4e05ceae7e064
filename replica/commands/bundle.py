"""`staging.bundle`: one archive for a bug report, with every secret taken out."""
from __future__ import annotations

import io
import json
import tarfile
import time
from datetime import datetime, timezone
from pathlib import Path

from mocks import control

from ..core import console
from ..engine import provision as engine
from ..stack import envprofile, plan as stack_module
from . import parity
from ..core.errors import ConfigError, not_up
from ..core.redact import Redactor, secrets_of
from ..stack.settings import Settings
from .status import status
from ..engine.compose import Compose
from ..stack import state

LOG_LINES = 2000


def bundle(settings: Settings, output: Path | None = None) -> Path:
    """Write a .tar.gz of config, logs, health, versions, parity, mock journal, errors, spans, results."""
    stack = stack_module.load(settings)
    if stack is None:
        raise not_up(settings.name, "run `invoke staging.up`, reproduce the failure, then bundle")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    output = output or settings.results_dir / "bundles" / f"{settings.name}-{stamp}.tar.gz"
    if output.exists():
        raise ConfigError(f"{output} already exists", hint="choose another --output, or remove it")
    output.parent.mkdir(parents=True, exist_ok=True)
    redactor = Redactor(_secrets(settings, stack))
    parts = _collect(settings, stack)
    with tarfile.open(output, "w:gz") as archive:
        for name, text in parts.items():
            _add(archive, f"bundle/{name}", redactor.text(text))
    console.success(f"wrote {output} ({len(parts)} files, secrets redacted)")
    return output


def _secrets(settings: Settings, stack: stack_module.Stack) -> set[str]:
    found = secrets_of(stack.app_env) | secrets_of(stack.compose_env)
    override = settings.root / envprofile.OVERRIDE_NAME
    if override.is_file():
        found |= secrets_of({k: v for k, (v, _) in envprofile.read_env_file(override).items()})
    return found


def _collect(settings: Settings, stack: stack_module.Stack) -> dict[str, str]:
    parts = {"compose-config.yml": _attempt(lambda: Compose(stack.settings).run("config").stdout),
             state.APP_ENV: (settings.state_dir / state.APP_ENV).read_text(),
             "status.json": _json(lambda: status(settings)),
             "versions.json": _json(lambda: _versions(stack)),
             "parity.json": _json(lambda: parity.report(settings)),
             "openai-journal.json": _json(lambda: control.openai_journal(stack.url("mock-openai"))),
             **_error_sink(stack.url("error-sink"))}
    for service in [*stack.services, "migrate"]:
        parts[f"logs/{service}.log"] = _attempt(lambda s=service: Compose(stack.settings).run(
            "logs", "--no-color", "--timestamps", "--tail", str(LOG_LINES), s).stdout)
    parts.update(_last_results(settings.results_dir))
    return parts


def _error_sink(url: str) -> dict[str, str]:
    """What the app reported to error tracking: its error events and its spans (health checks left out)."""
    return {"error-events.json": _json(lambda: control.sink_events(url)),
            "error-spans.json": _json(lambda: control.sink_spans(url))}


def _versions(stack: stack_module.Stack) -> dict:
    images = {k: v for k, v in stack.compose_env.items() if k.endswith("IMAGE")}
    return {"engine": engine.server_version(timeout=5), "compose": engine.compose_version(),
            "images": images, "git_sha": stack.app_env.get("GIT_SHA"), "profiles": stack.profiles}


def _last_results(results: Path) -> dict[str, str]:
    runs = sorted((p for p in results.glob("*") if p.is_dir() and p.name != "bundles"),
                  key=lambda p: p.stat().st_mtime)
    if not runs:
        return {}
    return {f"results/{runs[-1].name}/{f.name}": f.read_text(errors="replace")
            for f in runs[-1].iterdir() if f.is_file() and f.suffix in (".json", ".txt", ".log")}


def _json(produce) -> str:
    return _attempt(lambda: json.dumps(produce(), indent=2, default=str))


def _attempt(produce) -> str:
    # A bundle is taken when something is broken: keep going and record what could not be read.
    try:
        return produce()
    except Exception as error:  # noqa: BLE001 - every failure becomes a line in the bundle
        return f"(could not collect: {type(error).__name__}: {error})\n"


def _add(archive: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode("utf-8")
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    archive.addfile(info, io.BytesIO(data))
