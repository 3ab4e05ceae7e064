"""The app's environment: the runbook's staging profile, with local overrides.

Precedence, lowest first: `.env.staging.example` (tracked, every variable) → `.env.staging`
(untracked, the user's overrides) → fault profiles (e.g. `redis-off`) → `staging.up --env KEY=VALUE`.
"""
from __future__ import annotations

import importlib.util
import io
import os
import re
import stat
import sys
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import urlsplit

from dotenv.parser import parse_stream

from ..core.errors import ConfigError, EnvFileError

EXAMPLE_NAME = ".env.staging.example"
OVERRIDE_NAME = ".env.staging"
APP_SETTINGS = Path("app") / "mina" / "settings.py"
KEY = re.compile(r"(export\s+)?[A-Za-z_][A-Za-z0-9_.]*")
SAFE_VALUE = re.compile(r"[A-Za-z0-9_./:@+,=-]*")
REFERENCE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


def read_env_file(path: Path) -> dict[str, tuple[str, int]]:
    """Read KEY=VALUE lines into {key: (value, line)}; a malformed line is an error naming it."""
    values: dict[str, tuple[str, int]] = {}
    for binding in parse_stream(io.StringIO(_read_text(path))):
        text = binding.original.string
        # a binding's text starts with the blank lines before it: count them in
        line = binding.original.line + text[:len(text) - len(text.lstrip())].count("\n")
        if binding.error:
            # never echo the line: its value may be a secret
            key = text.strip().split("=", 1)[0].strip()
            what = f"the value of {key}" if KEY.fullmatch(key) else "this line"
            raise EnvFileError(path, line, f"cannot parse {what} (an unclosed quote?)")
        if binding.key is None:
            continue
        if binding.value is None:
            raise EnvFileError(path, line, f"{binding.key} has no '=' and no value")
        values[binding.key] = (binding.value, line)
    return values


def _read_text(path: Path) -> str:
    """Return the file's text; bytes that are not UTF-8 are an error naming their line."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise EnvFileError(path, line, f"bytes that are not UTF-8 (at byte {error.start})") from None


def load_profile(root: Path, overrides: dict[str, str] | None = None,
                 substitutions: dict[str, str] | None = None) -> dict[str, str]:
    """Merge the example, `.env.staging` and the task's overrides into the app's environment."""
    example = _read_example(root)
    merged = {key: value for key, (value, _) in example.items()}
    override_path = root / OVERRIDE_NAME
    if override_path.is_file():
        for key, (value, line) in read_env_file(override_path).items():
            if key not in example:
                raise EnvFileError(override_path, line,
                                   f"unknown variable {key} (the known ones are in {EXAMPLE_NAME})")
            merged[key] = value
    _check_known(example, overrides or {})
    merged.update(overrides or {})
    return {key: _substitute(key, value, substitutions or {}) for key, value in merged.items()}


def check_profile(root: Path, overrides: dict[str, str],
                  generated: Mapping[str, Callable[[], str]] | None = None) -> None:
    """Check the files and overrides the app's environment is made of, before anything starts.

    `generated`: values `up` makes for a variable left empty (a per-replica SECRET_KEY); fresh
    ones stand in for them here, in memory only.
    """
    profile = load_profile(root, overrides, {"APP_URL": "http://127.0.0.1"})
    for key, make in (generated or {}).items():
        if key in profile and not profile[key]:
            profile[key] = make()
    for key, value in profile.items():
        check_value(key, value)
    database_credentials(profile)
    _check_the_app_accepts(root, profile)


def _check_the_app_accepts(root: Path, profile: dict[str, str]) -> None:
    # The app's own settings decide (app/mina/settings.py, stdlib only): a value it refuses
    # would stop the running app when `up` recreates it.
    path = root / APP_SETTINGS
    if not path.is_file():
        return
    spec = importlib.util.spec_from_file_location("mina_app_settings", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        module.Settings.from_env(profile)
    except module.ConfigError as error:
        raise ConfigError(f"the app would refuse its environment: {error}",
                          hint=f"fix it in --env or {OVERRIDE_NAME}; nothing was changed") from None
    finally:
        sys.modules.pop(spec.name, None)


def _read_example(root: Path) -> dict[str, tuple[str, int]]:
    example_path = root / EXAMPLE_NAME
    if not example_path.is_file():
        raise ConfigError(f"{example_path} is missing", hint="restore it from git")
    return read_env_file(example_path)


def _check_known(example: dict, overrides: dict[str, str]) -> None:
    for key in overrides:
        if key not in example:
            raise ConfigError(f"unknown variable {key!r}", hint=f"the known ones are in {EXAMPLE_NAME}")


def _substitute(key: str, value: str, substitutions: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        name = match.group(1)
        if name not in substitutions:
            raise ConfigError(f"{key} refers to ${{{name}}}, which the replica does not provide",
                              hint=f"known: {', '.join(sorted(substitutions)) or 'none'}")
        return substitutions[name]

    return REFERENCE.sub(replace, value)


def database_credentials(profile: dict[str, str]) -> dict[str, str]:
    """Take the replica database's user, password and name from the profile's DATABASE_URL."""
    url = urlsplit(profile.get("DATABASE_URL", ""))
    name = url.path.lstrip("/")
    if url.scheme not in ("postgresql", "postgres") or not (url.username and url.password and name):
        raise ConfigError("DATABASE_URL must look like postgresql://user:password@db:5432/name",
                          hint=f"fix it in {OVERRIDE_NAME}")
    return {"DB_USER": url.username, "DB_PASSWORD": url.password, "DB_NAME": name}


def redis_enabled(profile: dict[str, str]) -> bool:
    """Tell whether the profile asks for Redis (an empty REDIS_URL disables it)."""
    return bool(profile.get("REDIS_URL", "").strip())


def write_env_file(path: Path, values: dict[str, str]) -> None:
    """Write values as an env file compose reads (no interpolation of its own), all or nothing."""
    lines = [f"{key}={_quote(key, value)}" for key, value in values.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    # private from its first byte (it may hold secrets); then the mode the file had, if any
    descriptor = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write("\n".join(lines) + "\n")
    if path.exists():
        partial.chmod(stat.S_IMODE(path.stat().st_mode))
    partial.replace(path)


def check_value(key: str, value: str) -> None:
    """Refuse a value compose cannot pass on as written (the error names the key, never the value)."""
    if any(ch in value for ch in "\n\r\0"):
        raise ConfigError(f"the value of {key} holds a line break or NUL byte",
                          hint="an environment value is one line")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"the value of {key} holds bytes that are not UTF-8",
                          hint="write it as UTF-8 text") from None
    if "'" in value:
        raise ConfigError(f"the value of {key} holds a single quote, which cannot be passed to compose",
                          hint="leave the quote out")


def _quote(key: str, value: str) -> str:
    # Single quotes: compose takes the content literally (no ${} expansion, no escapes).
    check_value(key, value)
    return value if SAFE_VALUE.fullmatch(value) else f"'{value}'"
