"""`staging.status`: each service's state, health and URL, as a table or JSON."""
from __future__ import annotations

from rich.table import Table

from .. import engine, health, stack as stack_module
from ..health import ServiceState
from ..settings import Settings

HEALTH_STYLE = {"healthy": "green", "completed": "green", "starting": "yellow",
                "unhealthy": "red", "failed": "red"}


def status(settings: Settings) -> dict:
    """Return the replica's services with state, health and URL (plain data, for --json)."""
    engine.ensure_engine(provision=False)
    states = health.service_states(health.engine_client(), settings.project)
    stack = stack_module.load(settings)
    services = stack.services if stack else [s for s in states if s != "migrate"]
    report = {"replica": settings.name, "project": settings.project, "services": {},
              "profiles": list(stack.profiles) if stack else []}
    for service in services:
        state = states.get(service)
        report["services"][service] = {
            "state": state.state if state else "missing",
            "health": state.health if state else "missing",
            "url": stack.url(service) if stack and service in stack.ports else None,
        }
    report["up"] = bool(services) and all(
        states.get(s) is not None and states[s].ready for s in services)
    return report


def render_table(stack: stack_module.Stack, states: dict[str, ServiceState]) -> Table:
    """Render a stack's services (and its one-shot migrate) as a table while `up` runs."""
    rows = []
    for service in [*stack.services, "migrate"]:
        state = states.get(service)
        url = stack.url(service) if service in stack.ports else ""
        rows.append((service, state.state if state else "—", state.health if state else "—", url))
    return services_table(f"replica {stack.settings.name} ({stack.settings.project})", rows)


def render_report(report: dict) -> Table:
    """Render a status() report as a table."""
    rows = [(service, info["state"], info["health"], info["url"] or "")
            for service, info in report["services"].items()]
    return services_table(f"replica {report['replica']} ({report['project']})", rows)


def services_table(title: str, rows: list[tuple[str, str, str, str]]) -> Table:
    """Render (service, state, health, url) rows, health coloured."""
    table = Table(title=title, title_justify="left")
    for column in ("service", "state", "health"):
        table.add_column(column, no_wrap=True)
    table.add_column("url", overflow="fold")
    for service, state, health, url in rows:
        style = HEALTH_STYLE.get(health, "")
        table.add_row(service, state, f"[{style}]{health}[/]" if style else health, url)
    return table
