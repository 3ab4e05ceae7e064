"""Copy changed checkout files into running containers through the engine's API (a tar given to
`put_archive`), so it works on a remote engine as well: no bind mounts.

Which checkout folders land where is read from the image's own Dockerfile stage (its `COPY dir/
/dest/` lines), and a file that stage copies on its own (`COPY app/requirements.txt /tmp/…`) is a
build input: a change to it needs a rebuild, not a copy.

    copies = image_copies(root / "docker/python/Dockerfile", "app")
    changes = plan([(Change.modified, "/checkout/app/mina/views.py")], root, copies)
    copy_into(container, changes)
"""
from __future__ import annotations

import io
import re
import shlex
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterable

from ..core.errors import EngineError
from .images import IGNORED_PARTS

STAGE = re.compile(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", re.IGNORECASE)
COPY = re.compile(r"^COPY\s+(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Copies:
    """What one Dockerfile stage copies from the checkout: folders, and single build inputs."""

    trees: dict[str, str]        # checkout folder (relative) -> folder in the image
    build_inputs: frozenset[str]  # checkout files (relative) that a change must rebuild


@dataclass
class Plan:
    """What a batch of file changes means for the running containers."""

    copy: dict[str, Path] = field(default_factory=dict)  # path in the container -> file here
    delete: list[str] = field(default_factory=list)      # paths in the container
    rebuild: list[str] = field(default_factory=list)     # changed build inputs (relative)

    @property
    def empty(self) -> bool:
        return not (self.copy or self.delete or self.rebuild)


def image_copies(dockerfile: Path, stage: str) -> Copies:
    """Read the checkout paths a Dockerfile stage COPYs (not `--from` another stage)."""
    trees, inputs, current = {}, set(), None
    for line in dockerfile.read_text().splitlines():
        if found := STAGE.match(line.strip()):
            current = found.group(1)
        elif current == stage and (found := COPY.match(line.strip())):
            words = shlex.split(found.group(1))
            if any(word.startswith("--from") for word in words):
                continue
            *sources, _ = [w for w in words if not w.startswith("--")]
            destination = words[-1]
            for source in sources:
                if source.endswith("/"):
                    trees[source.rstrip("/")] = destination.rstrip("/")
                else:
                    inputs.add(source)
    if not trees:
        raise EngineError(f"{dockerfile} has no COPY of a checkout folder in stage {stage!r}")
    return Copies(trees, frozenset(inputs))


def plan(changes: Iterable[tuple[object, str]], root: Path, copies: Copies) -> Plan:
    """Turn watchfiles' (change, path) pairs into copies, deletions and build inputs to rebuild.

    What a path is now decides, not the kind of change: a batch may hold a file's save and its
    removal (an editor's temporary file), and only the end state matters.
    """
    result = Plan()
    for path in sorted({Path(raw) for _change, raw in changes}):
        try:
            relative = path.relative_to(root).as_posix()
        except ValueError:
            continue
        target = _in_image(relative, copies)
        if relative in copies.build_inputs:
            result.rebuild.append(relative)
        elif target is None or IGNORED_PARTS.intersection(path.parts) or path.suffix == ".pyc":
            continue
        elif path.is_file():
            result.copy[target] = path
        elif not path.exists():
            result.delete.append(target)
    return result


def _in_image(relative: str, copies: Copies) -> str | None:
    for tree, destination in copies.trees.items():
        if relative.startswith(tree + "/"):
            return str(PurePosixPath(destination) / relative[len(tree) + 1:])
    return None


def archive(files: dict[str, Path]) -> bytes:
    """Return a tar of the files at their container paths, owned by root, stamped now (so a
    reloader polling modification times sees them change)."""
    buffer, now = io.BytesIO(), time.time()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for target, source in files.items():
            data = source.read_bytes()
            info = tarfile.TarInfo(target.lstrip("/"))
            info.size, info.mtime, info.mode = len(data), now, source.stat().st_mode & 0o755 | 0o644
            info.uid = info.gid = 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def copy_into(container, changes: Plan) -> None:
    """Apply a plan's copies and deletions to a running container (docker SDK Container)."""
    if changes.copy and not container.put_archive("/", archive(changes.copy)):
        raise EngineError(f"the engine refused the copy into {container.name}")
    if changes.delete:
        code, output = container.exec_run(["rm", "-f", "--", *changes.delete], user="root")
        if code != 0:
            raise EngineError(f"cannot delete in {container.name}: {output.decode(errors='replace')}")
