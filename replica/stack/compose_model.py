"""The compose file as compose resolves it for one replica: interpolated, profiles applied, env files read.

Read with PyYAML (its merge keys are compose's `<<`), then every string interpolated with the
replica's compose environment (what `plan` writes to .staging/<replica>/compose.env) by compose's
rules: `$$` is a literal `$`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
`${VAR:+other}` (not nested: the file has none). A string `command` is split as compose splits it (shell words). Only the services
the active compose profiles run are kept, each env_file is read into `environment` (the file's
values first, `environment:` over them), as `docker compose config` shows them;
tests/unit/stack/test_compose_model.py holds the two equal where that CLI is here.

    >>> interpolate("${A:-x} $$B ${C}", {"C": "c"})
    'x $B c'
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Mapping

import yaml

from ..core.errors import ConfigError
from . import envprofile

VARIABLE = re.compile(r"\$(?:(\$)|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}"
                      r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


def interpolate(text: str, environment: Mapping[str, str]) -> str:
    """Interpolate one string as compose does; a `${VAR:?message}` whose VAR is unset is an error."""
    def substitute(match: re.Match) -> str:
        if match.group(1):
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op") or "", match.group("arg") or ""
        value = environment.get(name)
        present = value is not None and (value != "" or not op.startswith(":"))
        if op.endswith("-"):
            return value if present else interpolate(arg, environment)
        if op.endswith("?"):
            if not present:
                raise ConfigError(f"compose variable {name} is not set: {arg}",
                                  hint="bring the replica up with `invoke staging.up` first")
            return value
        if op.endswith("+"):
            return interpolate(arg, environment) if present else ""
        return value or ""
    return VARIABLE.sub(substitute, text)


def _interpolated(node, environment: Mapping[str, str]):
    if isinstance(node, str):
        return interpolate(node, environment)
    if isinstance(node, list):
        return [_interpolated(item, environment) for item in node]
    if isinstance(node, dict):
        return {key: _interpolated(value, environment) for key, value in node.items()}
    return node


def _environment_of(service: dict) -> dict[str, str]:
    """A service's `environment:` as a mapping (compose allows a list of KEY=VALUE too)."""
    declared = service.get("environment") or {}
    if isinstance(declared, list):
        declared = dict(item.split("=", 1) if "=" in item else (item, "") for item in declared)
    return {key: "" if value is None else str(value) for key, value in declared.items()}


def _env_file_values(path: str, env_files: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    if path in env_files:
        return dict(env_files[path])
    return {key: value for key, (value, _) in envprofile.read_env_file(Path(path)).items()}


def active(service: dict, compose_profiles: set[str]) -> bool:
    """Whether compose runs a service under these profiles (one without `profiles:` always runs)."""
    return not service.get("profiles") or bool(set(service["profiles"]) & compose_profiles)


def resolve(compose_file: Path, compose_env: Mapping[str, str],
            env_files: Mapping[str, Mapping[str, str]] | None = None) -> dict:
    """The resolved model: {"name", "services": {name: service}, "volumes"} for compose_env.

    env_files: the content of env files by the path compose_env names (not read from disk then):
    the k8s rendering passes the app's environment without writing .staging/<replica>/app.env.
    """
    document = yaml.safe_load(compose_file.read_text())
    resolved = _interpolated({k: v for k, v in document.items() if not k.startswith("x-")},
                             compose_env)
    profiles = {p for p in compose_env.get("COMPOSE_PROFILES", "").split(",") if p}
    services = {}
    for name, service in resolved["services"].items():
        if not active(service, profiles):
            continue
        service = dict(service)
        environment: dict[str, str] = {}
        for path in service.pop("env_file", []) or []:
            environment.update(_env_file_values(path, env_files or {}))
        environment.update(_environment_of(service))
        service["environment"] = environment
        if isinstance(service.get("command"), str):
            service["command"] = shlex.split(service["command"])
        services[name] = service
    return {"name": resolved.get("name"), "services": services,
            "volumes": resolved.get("volumes") or {}}
