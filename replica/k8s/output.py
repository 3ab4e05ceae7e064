"""A rendering on disk, as `kubectl apply -k` and Argo CD read it.

    DIR/base/kustomization.yaml          the replica: one file per object
    DIR/overlays/<profile>/kustomization.yaml   a fault profile: patches of the base, its own objects
    DIR/applicationset.yaml              one replica per pull request (with --git-url or a GitHub origin)
    DIR/k6/kustomization.yaml            the k6 TestRuns and their scripts (with --k6)

Everything is written into a fresh directory beside DIR first and moved into place at the end, so
a failure leaves DIR as it was.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import yaml

from ..core.errors import ConfigError
from .overlays import file_name
from .render import Rendering

KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"


def _dump(path: Path, document) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False, width=100))


def _kustomized(directory: Path, objects: list[dict]) -> None:
    for obj in objects:
        _dump(directory / file_name(obj), obj)
    _dump(directory / "kustomization.yaml", {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization",
                                             "resources": [file_name(o) for o in objects]})


def check_writable(output: Path) -> None:
    """The output's parent must be a directory we may write: else exit 2 before anything is rendered."""
    parent = output.resolve().parent
    if output.exists() and not output.is_dir():
        raise ConfigError(f"--output {output} exists and is not a directory")
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"--output {output}: cannot write in {parent}",
                          hint="name a directory you may write (it is created, or replaced whole)")


def write(rendering: Rendering, output: Path) -> list[Path]:
    """Write the rendering to output (replacing what a previous render left there); return its roots."""
    check_writable(output)
    output = output.resolve()
    staged = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    try:
        _kustomized(staged / "base", rendering.base)
        for name, overlay in rendering.overlays.items():
            for obj in overlay.added:
                _dump(staged / "overlays" / name / file_name(obj), obj)
            _dump(staged / "overlays" / name / "kustomization.yaml", overlay.kustomization())
        if rendering.application_set:
            _dump(staged / "applicationset.yaml", rendering.application_set)
        if rendering.k6:
            _kustomized(staged / "k6", rendering.k6)
        if output.exists():
            shutil.rmtree(output)
        staged.rename(output)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return kustomization_roots(output)


def kustomization_roots(output: Path) -> list[Path]:
    """Every directory of a written rendering that `kubectl kustomize` builds."""
    return sorted(path.parent for path in output.rglob("kustomization.yaml"))
