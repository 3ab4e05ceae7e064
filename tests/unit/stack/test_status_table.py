"""`staging.status` (and `up`'s closing table) read at 80 columns: no URL is broken or lost."""
from __future__ import annotations

import io

from rich.console import Console

from replica.commands.status import print_services, services_table, short_url
from replica.stack.plan import service_url

COMPOSE_ENV = {"DB_USER": "staging_user", "DB_PASSWORD": "staging_pass", "DB_NAME": "mina_staging",
               "REDIS_PASSWORD": "b341448f883c103c76fcd282ca7116a8361957f44fd22686"}
ROWS = [("app", "running", "healthy", service_url("app", 25214, COMPOSE_ENV)),
        ("db", "running", "healthy", service_url("db", 30304, COMPOSE_ENV)),
        ("redis", "running", "healthy", service_url("redis", 26554, COMPOSE_ENV)),
        ("mock-openai", "running", "starting", service_url("mock-openai", 30997, COMPOSE_ENV)),
        ("error-sink", "running", "unhealthy", service_url("error-sink", 24387, COMPOSE_ENV)),
        ("migrate", "exited", "completed", "")]


def printed(width: int = 80) -> list[str]:
    out = io.StringIO()
    print_services(Console(file=out, width=width, color_system=None), "replica idle (p)", ROWS)
    return out.getvalue().splitlines()


def test_the_table_fits_80_columns_and_every_url_is_printed_whole_on_its_own_line():
    lines = printed(80)
    table = lines[:lines.index("* full URL:")]
    assert table and all(len(line) <= 80 for line in table), "\n".join(table)
    for service, _, _, url in ROWS:
        if url:
            assert any(url in line for line in lines), (service, url)
    assert f"db: {ROWS[1][3]}" in lines and len(ROWS[1][3]) > 80   # longer than the terminal
    assert f"redis: {ROWS[2][3]}" in lines


def test_the_table_shows_scheme_host_and_port_and_marks_what_it_shortened():
    lines = printed(80)
    assert any("postgresql://127.0.0.1:30304 *" in line for line in lines)
    assert any("http://127.0.0.1:25214 " in line and "*" not in line for line in lines)
    assert [line.split(":")[0] for line in lines[lines.index("* full URL:") + 1:]] == ["db", "redis"]


def test_short_url_keeps_no_secret():
    for _, _, _, url in ROWS:
        assert "staging_pass" not in short_url(url) and COMPOSE_ENV["REDIS_PASSWORD"] not in short_url(url)


def test_the_live_table_alone_fits_80_columns_too():
    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(services_table("replica idle (p)", ROWS))
    assert all(len(line) <= 80 for line in out.getvalue().splitlines())
    assert "staging_pass" not in out.getvalue()


def test_status_lists_the_gate_s_variant_apps_beside_the_replica_without_changing_up(tmp_path, monkeypatch):
    from dataclasses import replace

    from replica.commands import status
    from replica.engine.health import ServiceState
    from replica.stack import variants
    from replica.stack.settings import from_environment

    settings = replace(from_environment({}), name="unit", root=tmp_path)
    variants.remember_beside(settings, ["pgbouncer", "app-redis-off", "app-pooled"])
    states = {"app-redis-off": ServiceState("app-redis-off", "running", "healthy", 0, "a", (20001,)),
              "pgbouncer": ServiceState("pgbouncer", "running", "healthy", 0, "b", ())}
    monkeypatch.setattr(status.engine, "ensure_engine", lambda provision: None)
    monkeypatch.setattr(status.health, "engine_client", lambda: None)
    monkeypatch.setattr(status.health, "service_states", lambda client, project: states)
    report = status.status(settings)
    assert report["variants"] == {"app-redis-off": {"state": "running", "health": "healthy",
                                                    "url": "http://127.0.0.1:20001"}}
    assert report["up"] is False  # the replica's own services are not running
    out = io.StringIO()
    status.print_report(Console(file=out, width=80, color_system=None), report)
    assert "app-redis-off" in out.getvalue() and "http://127.0.0.1:20001" in out.getvalue()
