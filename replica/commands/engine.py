"""`staging.engine`: find a running container engine and Compose v2; install them only when none."""
from __future__ import annotations

from ..core import console
from ..engine import provision
from ..engine.location import locate
from ..stack.settings import Settings


def engine(settings: Settings) -> None:
    found = provision.ensure_engine(settings.provision_engine)
    console.success(f"engine {found.server_version} {locate().describe()}, compose "
                    f"{found.compose_version}" + (" (provisioned now)" if found.provisioned else ""))
