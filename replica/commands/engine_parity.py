"""The doctor's engine rows: where the engine is, its architecture against the images', the tunnels.

Each row is (item, needs, replica, ok, what to do), as staging.parity's machine table holds them.
"""
from __future__ import annotations

from ..core.errors import StagingError
from ..engine import health, reach
from ..engine.location import locate
from ..stack import plan as stack_module
from ..stack.services import IMAGE_SERVICES
from ..stack.settings import Settings

# the engine's `uname -m` → an image's OCI architecture
ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
                 "s390x": "s390x"}


def engine_rows(settings: Settings, answering: bool = True) -> list[tuple[str, str, str, bool, str]]:
    """Return the engine's location, architecture (when it answers) and tunnel rows."""
    try:
        where = locate()
    except StagingError as error:
        return [("engine location", "a usable setting", str(error), False, error.hint or "")]
    rows = [("engine location", "any", where.describe(), True, "")]
    if answering:
        rows.append(_architecture_row(settings))
    tunnels = reach.tunnel_state(settings, where)
    if tunnels is not None:
        up = stack_module.load(settings) is not None
        ok = tunnels == "open" or not up
        rows.append(("SSH tunnels", "open while the replica is up", tunnels, ok,
                     "" if ok else "invoke staging.up (it opens them again)"))
    return rows


def _architecture_row(settings: Settings) -> tuple[str, str, str, bool, str]:
    try:
        client = health.engine_client()
        engine = ARCHITECTURES.get(client.info().get("Architecture", ""), "unknown")
    except StagingError:
        return ("engine architecture", "the images'", "engine not answering", False,
                "invoke staging.engine")
    foreign = sorted({f"{tag.split(':')[0]} {arch}" for tag, arch in _image_architectures(
        client, settings).items() if arch != engine})
    if foreign:
        return ("engine architecture", f"the images' ({engine})",
                f"{engine}; emulated: {', '.join(foreign)}", False,
                "rebuild the images on this engine (`invoke staging.up` builds what is missing), "
                "or use an engine of the images' architecture: emulation is several times slower")
    return ("engine architecture", "the images'", engine, True, "")


def _image_architectures(client, settings: Settings) -> dict[str, str]:
    """Return {tag: architecture} of the replica's images the engine holds."""
    from docker.errors import ImageNotFound

    stack = stack_module.load(settings)
    found = {}
    for variable in IMAGE_SERVICES:
        tag = stack.compose_env.get(variable) if stack else None
        if not tag:
            continue
        try:
            found[tag] = client.images.get(tag).attrs.get("Architecture", "unknown")
        except ImageNotFound:
            continue
    return found
