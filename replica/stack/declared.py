"""Staging's declared set-up (staging.declared.yml): what staging runs, which the replica mirrors."""
from __future__ import annotations

from pathlib import Path

import yaml

from ..core.errors import ConfigError

DECLARED_FILE = "staging.declared.yml"


def read(root: Path) -> dict:
    """Read staging's declared values (staging.declared.yml)."""
    path = root / DECLARED_FILE
    try:
        values = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read {path}: {error}") from error
    if not isinstance(values, dict):
        raise ConfigError(f"{path} must be a mapping of setting: value")
    return values


def app_command(root: Path) -> str:
    """Staging's gunicorn command (`gunicorn_command`) on one line: the replica's app runs it verbatim.

    Its one definition: compose gets it as APP_COMMAND (replica/stack/plan.py), Kubernetes renders
    and the tests' own gunicorn read it here.
    """
    command = read(root).get("gunicorn_command")
    if not isinstance(command, str) or not command.split():
        raise ConfigError(f"{root / DECLARED_FILE}: gunicorn_command must be staging's command line")
    return " ".join(command.split())
