"""`staging.down`: stop and remove the replica's containers (and with --volumes, its data)."""
from __future__ import annotations

from ..core import console
from ..engine import provision as engine, health, tunnels
from ..stack import state
from ..engine.compose import Compose
from ..core.errors import ComposeError
from ..stack.settings import Settings


def down(settings: Settings, volumes: bool = False) -> dict[str, list[str]]:
    """Remove the replica's containers and network (and volumes); return what was removed."""
    if tunnels.close_tunnels(settings):  # first: they reach nothing once the stack is gone
        console.info("closed the SSH tunnels to the remote engine")
    engine.ensure_engine(provision=False)
    client = health.engine_client()
    label = f"{health.PROJECT_LABEL}={settings.project}"
    containers = [c.name for c in client.containers.list(all=True, filters={"label": label})]
    data = [v.name for v in client.volumes.list(filters={"label": label})] if volumes else []
    compose = Compose(settings)
    try:
        if not compose.env_file.is_file():
            raise ComposeError("no compose.env for this replica")
        # every compose profile: the gate's variant apps (and a pooler they started) go too
        compose.run("--profile", "*", "down", "--remove-orphans", *(["--volumes"] if volumes else []),
                    timeout=300)
    except ComposeError as error:
        # No usable state (a fresh clone, or one written by an older version): compose cannot
        # interpolate the file, so remove what carries the project's labels instead.
        console.info(f"compose could not take the replica down ({str(error).splitlines()[0]}); "
                     "removing by the project's labels")
        _remove_without_compose(client, label, volumes)
    # The record of what `up` started: without it every task that needs the stack says "not up".
    (settings.state_dir / state.STACK_FILE).unlink(missing_ok=True)
    removed = {"containers": containers, "volumes": data}
    if not containers and not data:
        console.info(f"replica {settings.name!r} had nothing running")
    else:
        console.success(f"removed {len(containers)} containers"
                        + (f" and volumes {', '.join(data)}" if data else "")
                        + ("" if volumes else " (data volumes kept: --volumes drops them)"))
    return removed


def _remove_without_compose(client, label: str, volumes: bool) -> None:
    # The state folder is gone (e.g. a fresh clone): remove by compose's labels instead.
    for container in client.containers.list(all=True, filters={"label": label}):
        container.remove(force=True)
    for network in client.networks.list(filters={"label": label}):
        network.remove()
    if volumes:
        for volume in client.volumes.list(filters={"label": label}):
            volume.remove(force=True)
