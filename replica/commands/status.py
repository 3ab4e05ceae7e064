"""`staging.status`: each service's state, health and URL, as a table or JSON."""
from __future__ import annotations

from urllib.parse import urlsplit

from rich.table import Table

from ..engine import provision as engine, health, reach
from ..engine.location import locate
from ..stack import plan as stack_module
from ..engine.health import ServiceState
from ..stack.services import ONE_SHOT_SERVICES
from ..stack.settings import Settings

HEALTH_STYLE = {"healthy": "green", "completed": "green", "starting": "yellow",
                "unhealthy": "red", "failed": "red"}


def status(settings: Settings) -> dict:
    """Return the replica's services with state, health and URL (plain data, for --json)."""
    engine.ensure_engine(provision=False)
    states = health.service_states(health.engine_client(), settings.project)
    stack = stack_module.load(settings)
    from ..stack import variants

    beside = variants.beside(settings)  # the gate's variant apps and their helpers: not the replica
    services = stack.services if stack else [s for s in states
                                             if s not in ONE_SHOT_SERVICES and s not in beside]
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
    report["variants"] = variant_apps(settings, states)
    where = locate()
    report["engine"] = {"location": where.describe(), "remote": where.remote,
                        "tunnels": reach.tunnel_state(settings, where)}
    return report


def variant_apps(settings: Settings, states: dict[str, ServiceState]) -> dict[str, dict]:
    """The gate's variant apps `up` left beside the replica (stack/variants.py), as status rows:
    they are not part of the replica's own "up", and answer on their own loopback port."""
    from ..stack import variants

    from ..engine import tunnels

    tunnelled = (tunnels.read_record(settings, tunnels.VARIANTS) or {}).get("forwards", {})
    rows = {}
    for service in sorted(variants.beside(settings)):
        state = states.get(service)
        if state is None or not service.startswith(variants.SERVICE_PREFIX):
            continue
        # on a remote engine the port here is its tunnel's end, not the one the engine published
        port = tunnelled[service][0] if service in tunnelled else (
            state.published[0] if state.published else None)
        rows[service] = {"state": state.state, "health": state.health,
                         "url": f"http://127.0.0.1:{port}" if port else None}
    return rows


def render_table(stack: stack_module.Stack, states: dict[str, ServiceState]) -> Table:
    """Render a stack's services (and its one-shot migrate) as a table while `up` runs."""
    return services_table(f"replica {stack.settings.name} ({stack.settings.project})",
                          _stack_rows(stack, states))


def print_stack(console, stack: stack_module.Stack, states: dict[str, ServiceState]) -> None:
    """Print a stack's table, then its full URLs (see print_services)."""
    print_services(console, f"replica {stack.settings.name} ({stack.settings.project})",
                   _stack_rows(stack, states))


def print_report(console, report: dict) -> None:
    """Print a status() report: the table, then its full URLs (see print_services)."""
    rows = [(service, info["state"], info["health"], info["url"] or "")
            for service, info in {**report["services"], **report.get("variants", {})}.items()]
    print_services(console, f"replica {report['replica']} ({report['project']})", rows)


def _stack_rows(stack: stack_module.Stack, states: dict[str, ServiceState]) -> list[tuple]:
    rows = []
    for service in [*stack.services, *ONE_SHOT_SERVICES]:
        state = states.get(service)
        url = stack.url(service) if service in stack.ports else ""
        rows.append((service, state.state if state else "—", state.health if state else "—", url))
    return rows


def short_url(url: str) -> str:
    """A URL without its credentials, path and query: scheme://host:port (fits a table cell)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port}" if parts.port else url


def services_table(title: str, rows: list[tuple[str, str, str, str]]) -> Table:
    """Render (service, state, health, url) rows, health coloured, URLs short (80 columns).

    A URL with more than scheme, host and port (credentials, database, query) is marked `*`:
    print_services prints it whole below the table.
    """
    table = Table(title=title, title_justify="left")
    for column in ("service", "state", "health"):
        table.add_column(column, no_wrap=True)
    table.add_column("url", overflow="fold")
    for service, state, health, url in rows:
        style = HEALTH_STYLE.get(health, "")
        short = short_url(url) if url else ""
        table.add_row(service, state, f"[{style}]{health}[/]" if style else health,
                      short + (" *" if short != url else ""))
    return table


def print_services(console, title: str, rows: list[tuple[str, str, str, str]]) -> None:
    """Print the table, then each URL it shortened, whole, on a line of its own.

    Those lines are never broken or cropped (a URL longer than the terminal is wrapped by the
    terminal itself, so it still copies as one).
    """
    console.print(services_table(title, rows))
    full = [(service, url) for service, _, _, url in rows if url and short_url(url) != url]
    if full:
        console.print("* full URL:", style="dim")
    for service, url in full:
        console.print(f"{service}: {url}", soft_wrap=True, highlight=False, markup=False)
