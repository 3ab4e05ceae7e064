"""Fault profiles on a replica: the catalogue, and switching one on or off while it runs."""
from __future__ import annotations

from rich.table import Table

from ..core.errors import ConfigError
from ..stack import profiles as profiles_module
from ..stack.settings import Settings
from . import service as service_commands, up as up_module


def switch(settings: Settings, profile: str, state: str) -> None:
    """Switch one fault profile on or off on the running replica (its other profiles stay on)."""
    if state not in ("on", "off"):
        raise ConfigError(f"state must be on or off, not {state!r}",
                          hint=f"invoke staging.fault {profile} on")
    profiles_module.resolve([profile])
    running = service_commands.running_stack(
        settings, hint=f"bring it up with the profile: invoke staging.up --profile {profile}"
        if state == "on" else "nothing to switch off")
    current = [p for p in running.profiles if p != profile]
    up_module.up(settings, profiles=current + ([profile] if state == "on" else []))


def print_catalogue(out) -> None:
    """Print every fault profile: its name, what it reproduces, an example."""
    table = Table(title="fault profiles (invoke staging.up --profile NAME)", title_justify="left")
    for column in ("profile", "reproduces", "example"):
        table.add_column(column)
    for item in profiles_module.catalogue().values():
        table.add_row(item.name, item.summary, item.example)
    out.print(table)
