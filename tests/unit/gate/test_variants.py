"""The default gate's variants: planned from staging.declared.yml, started beside the app, named."""
from __future__ import annotations

import ast
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from replica.engine import health, images
from replica.stack import ports, variants
from replica.core.errors import ComposeError, ConfigError
from replica.gate import smoke
from replica.commands import validate as validate_module, variant_apps as variant_gate
from replica.gate.checklist import Checklist
from replica.stack.settings import from_environment

ROOT = Path(__file__).resolve().parents[3]
DECLARED = yaml.safe_load((ROOT / "staging.declared.yml").read_text())


def test_the_declared_file_gates_tls_and_plans_redis_off_and_pooled_beside_it():
    assert variants.declared_profiles(DECLARED) == ["tls"]
    planned = {v.name: v for v in variants.plan(DECLARED)}
    assert list(planned) == ["redis-off", "pooled"]
    assert planned["redis-off"].profiles == ("tls", "redis-off")
    assert planned["redis-off"].service == "app-redis-off"
    # one db-proxy, in front of db: the pooled variant reaches PgBouncer directly, over TLS that
    # PgBouncer serves itself, as Neon's pooled endpoint does, and says so
    assert planned["pooled"].profiles == ("pooled",) and planned["pooled"].pooler_tls
    assert planned["pooled"].note == "TLS served by PgBouncer itself"
    assert not planned["redis-off"].pooler_tls


def test_a_pooled_variant_keeps_tls_but_not_the_proxy_s_other_faults():
    declared = {**DECLARED, "variants": {"database_endpoint": "pooled"}}
    names, note, pooler_tls = variants._sharing_the_stack(["tls", "db-slow", "pooled"], ["tls", "db-slow"])
    assert names == ["pooled"] and pooler_tls
    assert note == "TLS served by PgBouncer itself; without db-slow: the stack's db-proxy does not front the pooler"
    assert variants.plan(declared)[0].pooler_tls


def test_every_planned_variant_has_its_service_in_the_compose_file():
    planned = variants.plan(DECLARED)
    variant_gate.check_services(ROOT / "docker-compose.staging.yml", planned)
    services = yaml.safe_load((ROOT / "docker-compose.staging.yml").read_text())["services"]
    declared_services = {s for s, spec in services.items() if "variants" in spec.get("profiles", [])}
    assert declared_services == {v.service for v in planned}  # none left over either
    for variant in planned:  # the app's own image and command, its own env file and port
        spec = services[variant.service]
        assert spec["image"] == services["app"]["image"] and spec["command"] == services["app"]["command"]
        assert spec["env_file"] != services["app"]["env_file"] and spec["ports"] != services["app"]["ports"]


def test_a_variant_without_a_compose_service_cannot_start_and_says_which(tmp_path):
    compose = tmp_path / "docker-compose.staging.yml"
    compose.write_text("services:\n  app: {image: x}\n  app-redis-off: {image: x, profiles: [variants]}\n")
    with pytest.raises(ConfigError, match="^variant pooled cannot start: .* no service app-pooled") as error:
        variant_gate.check_services(compose, variants.plan(DECLARED))
    assert error.value.exit_code == 2


@pytest.mark.parametrize("entry, message", [
    ({"redis": "sometimes"}, "variant redis: sometimes is not one the replica can run"),
    ({"workers": 4}, "variant workers: 4 is not one the replica can run"),
    ({"database_tls": "require"}, "variant database_tls: require is what staging already declares"),
    (["redis"], "`variants` must map a setting"),
])
def test_a_variant_the_replica_cannot_run_is_refused_naming_it(entry, message):
    with pytest.raises(ConfigError, match=message) as error:
        variants.plan({**DECLARED, "variants": entry})
    assert error.value.exit_code == 2


def test_on_a_pooled_declared_endpoint_a_variant_keeps_tls_through_the_shared_proxy():
    declared = {**DECLARED, "database_endpoint": "pooled", "variants": {"redis": "disabled"}}
    assert variants.declared_profiles(declared) == ["tls", "pooled"]
    (variant,) = variants.plan(declared)
    assert variant.profiles == ("tls", "redis-off", "pooled") and not variant.note


def test_no_variants_declared_means_none_run():
    assert variants.plan({k: v for k, v in DECLARED.items() if k != "variants"}) == []


@pytest.fixture
def stack(tmp_path, monkeypatch):
    """A replica up with staging's declared set-up (tls), prepared without an engine."""
    from replica.stack import plan as stack_module
    for name in (".env.staging.example", "staging.declared.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    monkeypatch.setattr(images, "ensure_base_image", lambda settings, suite=None: "base:test")
    monkeypatch.setattr(images, "service_image_tags", lambda *a, **k: {"PGBOUNCER_IMAGE": "pgb:t"})
    monkeypatch.setattr(images, "ca_bundle_path", lambda settings: tmp_path / "ca.pem")
    monkeypatch.setattr(images, "image_id", lambda tag: "sha256:present")
    monkeypatch.setattr(ports, "resolve_ports",
                        lambda settings, services, own: {s: 20000 + i for i, s in enumerate(services)})
    monkeypatch.setattr(health, "engine_client", lambda: None)
    monkeypatch.setattr(health, "service_states", lambda client, project: {})
    settings = replace(from_environment({}), name="unit", root=tmp_path)
    from replica.stack import profiles
    return stack_module.prepare(settings, set(), profiles.resolve(["tls"]), None, images.image_environment)


def test_each_variant_gets_its_own_environment_port_and_the_services_it_needs(stack):
    compose, services, urls = variant_gate.prepare(stack, variants.plan(DECLARED))
    assert services == ["pgbouncer", "app-redis-off", "app-pooled"]  # Redis and db-proxy already run
    state = stack.settings.state_dir
    env = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in
           (state / "variants.env").read_text().splitlines() if "=" in line}
    assert set(env["COMPOSE_PROFILES"].split(",")) >= {"variants", "pooled", "redis", "dbproxy"}
    assert env["APP_POOLED_ENV_FILE"] == str(state / "app-pooled.env")
    assert urls["pooled"] == f"http://127.0.0.1:{env['APP_POOLED_PORT']}"
    assert env["APP_POOLED_PORT"] != env["APP_REDIS_OFF_PORT"]
    off = (state / "app-redis-off.env").read_text()
    assert "REDIS_URL=\n" in off or "REDIS_URL=''" in off or 'REDIS_URL=""' in off
    assert "@db-proxy:5432/" in off and "sslmode=require" in off
    pooled = (state / "app-pooled.env").read_text()
    assert "@pgbouncer:6432/" in pooled and "redis://" in pooled and "sslmode=require" in pooled
    assert env["PGBOUNCER_CLIENT_TLS"] == "require"  # the pooler serves the TLS staging declares
    assert compose.base_command()[-2:] == ["--env-file", str(state / "variants.env")]
    assert variants.beside(stack.settings) == set(services)


def test_a_variant_whose_containers_cannot_be_created_fails_naming_it(stack, monkeypatch):
    class Refusing:
        def run(self, *args, **kwargs):
            raise ComposeError("`docker compose up` failed:\nBind for 127.0.0.1:20001 failed: port is "
                               "already allocated")
    monkeypatch.setattr(variant_gate, "prepare",
                        lambda stack, planned: (Refusing(), [], {v.name: "u" for v in planned}))
    started = variant_gate.start(stack, variants.plan(DECLARED))
    assert [s.error.split(":")[0] for s in started] == ["variant redis-off did not start",
                                                        "variant pooled did not start"]
    assert "\n" not in started[0].error and "already allocated" in started[0].error


def test_a_variant_app_that_turns_unhealthy_fails_with_its_readiness_answer(stack, monkeypatch):
    class Fine:
        def run(self, *args, **kwargs):
            return None
    monkeypatch.setattr(variant_gate, "prepare",
                        lambda stack, planned: (Fine(), [], {v.name: "u" for v in planned}))
    ready = health.ServiceState("app-redis-off", "running", "healthy", 0, "a", (20001,))
    sick = health.ServiceState("app-pooled", "running", "unhealthy", 0, "b", (20002,))
    monkeypatch.setattr(health, "service_states",
                        lambda client, project: {"app-redis-off": ready, "app-pooled": sick})
    monkeypatch.setattr(variant_gate, "UNHEALTHY_GRACE_S", 0)
    monkeypatch.setattr(variant_gate, "_last_health_output",
                        lambda project, service: '{"database": {"status": "down"}}')
    off, pooled = variant_gate.start(stack, variants.plan(DECLARED), timeout=5)
    assert off.error is None
    assert pooled.error == ('variant pooled did not start (app-pooled unhealthy): '
                            '{"database": {"status": "down"}}')


def smoke_report(run_dir: Path, tests: list[dict]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "smoke.json").write_text(json.dumps({"tests": tests}))
    (run_dir / "smoke.log").write_text("")


def test_a_failing_smoke_subset_fails_the_variant_item_naming_variant_and_items(tmp_path):
    (variant, _) = variants.plan(DECLARED)
    smoke_report(tmp_path, [
        {"test": "t::test_register_log_out_and_log_in", "checklist": ["auth"], "outcome": "passed",
         "seconds": 1.0, "message": ""},
        {"test": "t::test_live_transcription_reaches_pages_on_both_workers",
         "checklist": ["websocket", "transcription"], "outcome": "failed", "seconds": 9.0,
         "message": "page on worker 12 shows 1 of 2 segments"}])
    checklist = Checklist()
    variant_gate.record(checklist, variant_gate.Started(variant, "http://127.0.0.1:20001"), 1, tmp_path)
    item = checklist.item("variant-redis-off")
    assert item.result == "failed" and not checklist.passed
    assert item.evidence.startswith("variant redis-off (websocket, transcription) at http://127.0.0.1:20001: "
                                    "1/2 failed: test_live_transcription")
    assert "Variant redis-off (redis: disabled)" in checklist.verdict()


def test_a_variant_subset_that_ran_nothing_fails(tmp_path):
    (variant, _) = variants.plan(DECLARED)
    smoke_report(tmp_path, [])
    checklist = Checklist()
    variant_gate.record(checklist, variant_gate.Started(variant, "http://127.0.0.1:1"), 5, tmp_path)
    assert checklist.item("variant-redis-off").result == "failed"
    assert "ran no test (pytest exit 5)" in checklist.item("variant-redis-off").evidence


def test_the_smoke_subset_is_selected_by_its_mark_and_covers_what_variants_change():
    assert smoke.command("http://127.0.0.1:1", None, Path("/r"), marks="variant")[-2:] == ["-m", "variant"]
    tree = ast.parse((ROOT / smoke.SUITE).read_text())
    covered = set()
    for node in tree.body:
        marks = [d for d in getattr(node, "decorator_list", []) if isinstance(d, ast.Call)
                 or isinstance(d, ast.Attribute)]
        names = {ast.unparse(d) for d in marks}
        if "pytest.mark.variant" in names:
            for d in marks:
                if isinstance(d, ast.Call) and ast.unparse(d.func) == "pytest.mark.checklist":
                    covered |= {arg.value for arg in d.args}
    assert covered == {"starts", "migrations", "auth", "api", "websocket", "transcription", "summary"}


@pytest.fixture
def gate_settings(tmp_path, monkeypatch):
    return from_environment({"STAGING_NAME": "gate-unit", "STAGING_RESULTS_DIR": str(tmp_path / "results")})


class UpStack:
    services, profiles, app_env, compose_env = ["app", "db"], ("tls",), {}, {}

    def __init__(self, settings):
        self.settings = settings

    def url(self, service):
        return "http://127.0.0.1:9"


def test_a_variant_that_cannot_start_fails_the_gate_by_name_while_the_rest_runs(gate_settings, monkeypatch):
    from replica.commands import up as up_module
    planned = variants.plan(DECLARED)
    monkeypatch.setattr(up_module, "up", lambda s, **k: UpStack(s))
    monkeypatch.setattr(validate_module, "_reset", lambda s: "reset")
    monkeypatch.setattr(validate_module, "_migrate", lambda s: "at head")
    monkeypatch.setattr(validate_module.migrations_check, "round_trip", lambda s: "round trip ok")
    monkeypatch.setattr(variant_gate, "launch", lambda stack, planned: [
        variant_gate.Started(planned[0], "http://127.0.0.1:9"),
        variant_gate.Started(planned[1], None, "variant pooled did not start (app-pooled unhealthy): x")])
    monkeypatch.setattr(variant_gate, "wait_ready", lambda stack, launched: launched)
    monkeypatch.setattr(variant_gate, "hosts", lambda project, started: {})
    checked = []
    monkeypatch.setattr(variant_gate, "run_smoke",
                        lambda root, started, run_dir, replica: checked.append(started.variant.name) or 0)
    monkeypatch.setattr(validate_module, "run_checks", _only_variant_checks)
    checklist = validate_module.validate(gate_settings, profiles=["tls"], variants=planned)
    assert checked == ["redis-off"]
    assert checklist.item("variant-pooled").result == "failed"
    assert checklist.item("variant-pooled").evidence.startswith("variant pooled did not start")
    assert "Variant pooled (database_endpoint: pooled)" in checklist.verdict()


def _only_variant_checks(run, full=False, rebaseline=False):
    for started in run.variants:
        code = None if started.error else variant_gate.run_smoke(None, started, None, None)
        smoke_report(validate_module._variant_dir(run, started), [
            {"test": "t::x", "checklist": ["auth"], "outcome": "passed", "seconds": 1, "message": ""}])
        variant_gate.record(run.checklist, started, code, validate_module._variant_dir(run, started))


def test_variants_never_checked_fail_the_gate(gate_settings, monkeypatch):
    from replica.commands import up as up_module
    from replica.core.errors import StackUnhealthyError

    def broken_up(_settings, **_options):
        raise StackUnhealthyError("db is unhealthy")
    monkeypatch.setattr(up_module, "up", broken_up)
    checklist = validate_module.validate(gate_settings, profiles=["tls"], variants=variants.plan(DECLARED))
    item = checklist.item("variant-redis-off")
    assert item.result == "failed" and item.evidence == "variant redis-off: not checked (an earlier step failed)"
    assert checklist.ordered()[-2:] == [checklist.item("variant-redis-off"), checklist.item("variant-pooled")]


@pytest.mark.parametrize("up_with, expected", [
    (None, (["tls"], True)),               # never up: staging's declared set-up, with variants
    ((), (["tls"], True)),                 # a plain `staging.up`: the gate brings it to staging's
    (("tls",), (["tls"], True)),
    (("redis-off",), (["redis-off"], False)),  # up with a fault profile: gated as it is
    # data at production size is no set-up of its own: the declared one and its variants run on it
    (("prod-scale",), (["tls", "prod-scale"], True)),
    (("tls", "prod-scale"), (["tls", "prod-scale"], True)),
    (("redis-off", "prod-scale"), (["redis-off", "prod-scale"], False)),
])
def test_without_profile_the_gate_runs_the_declared_set_up_unless_the_replica_has_its_own(
        gate_settings, monkeypatch, up_with, expected):
    from replica.stack import plan as stack_module

    class Loaded:
        profiles = up_with
    monkeypatch.setattr(stack_module, "load", lambda s: None if up_with is None else Loaded())
    assert validate_module.default_set_up(replace(gate_settings, root=ROOT)) == expected


def test_up_leaves_the_variant_apps_running_beside_the_replica(tmp_path, monkeypatch):
    from replica.commands import up as up_module
    settings = replace(from_environment({}), name="unit", root=tmp_path)
    variants.remember_beside(settings, ["pgbouncer", "app-pooled"])
    removed = []

    class Stack:
        services = ["app", "db"]

        settings = None

        def run(self, *args):
            removed.extend(args[3:])
    stack = Stack()
    stack.settings = settings
    monkeypatch.setattr(up_module, "Compose", lambda settings: stack)
    up_module._drop_disabled(stack, {"app": 1, "db": 1, "redis": 1, "pgbouncer": 1, "app-pooled": 1})
    assert removed == ["redis"]


def test_a_variant_s_error_events_fail_its_own_item_not_the_replica_s_sentry_item(monkeypatch, tmp_path):
    from mocks import control
    events = [{"received_at": 200, "server_name": "c0ffee000001", "exception_type": "ValueError",
               "exception_value": "Redis URL must specify one of the following schemes"}]
    monkeypatch.setattr(control, "sink_events", lambda url, min_level: events)
    run = validate_module.Run(None, tmp_path, sink_url="http://127.0.0.1:1", errors_since=100,
                              variant_hosts={"c0ffee000001": "redis-off"})
    assert "no error events" in validate_module._sink_clean(run)
    mine = validate_module._app_errors(run, lambda host: run.variant_hosts.get(host) == "redis-off")
    (variant, _) = variants.plan(DECLARED)
    smoke_report(tmp_path / "v", [{"test": "t::x", "checklist": ["summary"], "outcome": "passed",
                                   "seconds": 1, "message": ""}])
    checklist = Checklist()
    variant_gate.record(checklist, variant_gate.Started(variant, "http://127.0.0.1:2"), 0, tmp_path / "v", mine)
    item = checklist.item("variant-redis-off")
    assert item.result == "failed" and "1 error event(s) during its checks, first: ValueError Redis URL" in item.evidence


def test_an_unreadable_sink_fails_the_variant_rather_than_passing_it(monkeypatch, tmp_path):
    from mocks import control

    def unreachable(url, min_level):
        raise control.ControlError("connection refused")
    monkeypatch.setattr(control, "sink_events", unreachable)
    run = validate_module.Run(None, tmp_path, sink_url="http://127.0.0.1:1", variant_hosts={"h": "pooled"})
    (errors,) = validate_module._variant_errors(run, "pooled")
    assert "cannot read the error sink" in errors["message"]


def test_down_takes_the_variant_apps_down_too(tmp_path, monkeypatch):
    from replica.engine import provision as engine
    from replica.commands import down as down_module
    from replica.engine.compose import Compose
    settings = replace(from_environment({}), name="unit", root=tmp_path)
    (settings.state_dir).mkdir(parents=True)
    (settings.state_dir / "compose.env").write_text("STAGING_PROJECT=x\n")

    class Listing:
        def list(self, **filters):
            return []
    client = type("Client", (), {"containers": Listing(), "volumes": Listing()})()
    monkeypatch.setattr(engine, "ensure_engine", lambda provision: None)
    monkeypatch.setattr(health, "engine_client", lambda: client)
    ran = []
    monkeypatch.setattr(Compose, "run", lambda self, *args, **kwargs: ran.append(args))
    down_module.down(settings)
    assert ran[0][:3] == ("--profile", "*", "down")  # every compose profile: `variants` included


def at(minute: int):
    from datetime import datetime, timezone
    return datetime(2026, 12, 3, 11, minute, tzinfo=timezone.utc)


def running(service: str, minute: int):
    return health.ServiceState(service, "running", "healthy", 0, service, (), at(minute))


def test_a_variant_kept_from_before_a_shared_service_was_recreated_is_recreated(stack, monkeypatch):
    """Seen: `--profile openai-down` removed the TLS proxy, the next `up` made it again; the
    variant apps kept from an earlier gate never resolved `db-proxy` again (eventlet's resolver
    keeps its empty answer) and failed every check of the next default gate."""
    calls = []

    class Recording:
        def run(self, *args, **kwargs):
            calls.append(args)
    monkeypatch.setattr(variant_gate, "prepare", lambda stack, planned: (
        Recording(), ["app-redis-off", "app-pooled"], {v.name: "u" for v in planned}))
    states = {"db": running("db", 0), "db-proxy": running("db-proxy", 30),
              "app-redis-off": running("app-redis-off", 10), "app-pooled": running("app-pooled", 10)}
    monkeypatch.setattr(health, "service_states", lambda client, project: states)
    variant_gate.launch(stack, variants.plan(DECLARED))
    assert calls == [("up", "--detach", "--no-deps", "app-redis-off", "app-pooled"),
                     ("up", "--detach", "--no-deps", "--force-recreate", "app-redis-off", "app-pooled")]


def test_variants_younger_than_every_shared_service_are_kept():
    states = {"db": running("db", 0), "db-proxy": running("db-proxy", 5), "app": running("app", 40),
              "app-redis-off": running("app-redis-off", 10), "app-pooled": running("app-pooled", 3)}
    shared = ["db", "redis", "db-proxy"]  # the app's own recreation is not the variants' concern
    assert variant_gate.outlived(states, ["app-redis-off", "app-pooled"], shared) == ["app-pooled"]


def test_the_engines_start_times_are_read_with_their_nanoseconds_and_zero_time():
    assert health._started_at("2026-12-03T11:05:00.123456789Z") == at(5).replace(microsecond=123456)
    assert health._started_at("2026-12-03T11:05:00Z") == at(5)
    assert health._started_at("0001-01-01T00:00:00Z") is None and health._started_at(None) is None
