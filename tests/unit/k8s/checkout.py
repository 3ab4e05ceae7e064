"""A checkout in tmp holding what `staging.k8s.render` reads (for tests/unit/k8s; no engine)."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from replica.commands import k8s as k8s_command
from replica.stack.settings import from_environment

ROOT = Path(__file__).resolve().parents[3]
# what the render reads: the compose file, the app's env profile, staging's declared command, and
# the image inputs its content-hash tags are computed from
READ = ("docker-compose.staging.yml", ".env.staging.example", "staging.declared.yml",
        "docker", "app", "mocks", "db/migrations")


def copy_checkout(to: Path) -> Path:
    for name in READ:
        source, target = ROOT / name, to / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    return to


def checkout_settings(root: Path):
    return replace(from_environment({}), name="k8s-unit", root=copy_checkout(root))


def registry_images(settings) -> dict[str, str]:
    return k8s_command.in_registry(k8s_command.image_tags(settings), "registry.example:5000",
                                   "team/mina")
