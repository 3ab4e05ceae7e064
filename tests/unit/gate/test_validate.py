"""staging.validate's own steps: a stack that will not come up, and an unwritable results folder."""
import json
import threading
from dataclasses import replace

import pytest

from replica.commands import up as up_module
from replica.core.errors import StackUnhealthyError
from replica.commands import validate as validate_module
from replica.gate.errors import ResultsNotWritableError
from replica.stack.settings import from_environment


@pytest.fixture
def settings(tmp_path, monkeypatch):
    return from_environment({"STAGING_NAME": "gate-unit", "STAGING_RESULTS_DIR": str(tmp_path / "results")})


def test_a_stack_that_fails_to_come_up_fails_the_gate_with_its_words(settings, monkeypatch, tmp_path):
    def broken_up(_settings, **_options):
        raise StackUnhealthyError("app is unhealthy: /health/ready 503", hint="read its logs")
    monkeypatch.setattr(up_module, "up", broken_up)
    checklist = validate_module.validate(settings)
    assert not checklist.passed
    stack = checklist.item("stack")
    assert stack.result == "failed" and "app is unhealthy" in stack.evidence and "read its logs" in stack.evidence
    report = json.loads(next((tmp_path / "results").glob("validate-*/report.json")).read_text())
    assert report["passed"] is False and report["verdict"].startswith("NOT READY")
    starts = next(i for i in report["items"] if i["key"] == "starts")
    assert starts["evidence"] == "not run (an earlier step failed)"
    assert list(report["timings"]["steps_s"]) == ["up"] and "stack" in report["timings"]["items_s"]


def test_the_static_security_checks_start_before_up_and_count_when_up_fails(settings, monkeypatch):
    """They need no app: they run while `up` mostly waits, off the busy smoke step."""
    started = threading.Event()

    def bandit():
        started.set()
        return "bandit over app/: no new findings"

    def broken_up(_settings, **_options):
        assert started.wait(20), "bandit had not started when up began"
        raise StackUnhealthyError("app is unhealthy: /health/ready 503", hint="read its logs")
    monkeypatch.setattr(validate_module, "_static_security", lambda root: {"security-code": bandit})
    monkeypatch.setattr(up_module, "up", broken_up)
    checklist = validate_module.validate(settings)
    assert checklist.item("stack").result == "failed"
    code = checklist.item("security-code")
    assert (code.result, code.evidence) == ("passed", "bandit over app/: no new findings")


def test_an_unwritable_results_folder_stops_before_anything_runs(settings, monkeypatch, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    settings = replace(settings, results_override=blocker / "results")
    monkeypatch.setattr(up_module, "up", lambda _s, **_options: pytest.fail("up must not run"))
    with pytest.raises(ResultsNotWritableError, match="not writable"):
        validate_module.validate(settings)


class FailingMigrationStack:
    """A replica whose `flask db upgrade` fails at 0001 -> 0002, as on populated data."""

    services = ["app", "db", "error-sink"]
    profiles = ("redis-off",)
    app_env = {"DATABASE_URL": "postgresql://u:p@db:5432/mina_staging"}
    compose_env = {}

    def __init__(self, settings):
        self.settings, self.commands = settings, []

    def url(self, service):
        return {"app": "http://127.0.0.1:9", "error-sink": "http://127.0.0.1:9"}.get(
            service, "postgresql://u:p@127.0.0.1:9/mina_staging")

    def run(self, *args, **kwargs):
        import subprocess
        self.commands.append(args)
        log = ("INFO  Running upgrade 0001 -> 0002, add language\n"
               "psycopg.errors.NotNullViolation: column \"language\" contains null values\n")
        return subprocess.CompletedProcess(args, 1 if "upgrade" in args else 0, "", log)


def test_a_migration_failing_on_the_fixtures_is_blamed_on_migrations_by_name(settings, monkeypatch):
    from replica.commands import migrations_check

    stack = FailingMigrationStack(settings)
    monkeypatch.setattr(migrations_check, "Compose", lambda settings: stack)
    seen = {}

    def fake_up(_settings, profiles=(), **_options):
        seen["profiles"] = profiles
        return stack
    monkeypatch.setattr(up_module, "up", fake_up)
    monkeypatch.setattr(validate_module, "_reset", lambda s: "mina_staging cloned from its fixtures")
    monkeypatch.setattr(validate_module.smoke, "run", lambda *a: pytest.fail("smoke must not run"))
    checklist = validate_module.validate(settings, profiles=["redis-off"])
    assert seen["profiles"] == ["redis-off"]
    assert checklist.item("reset").result == "passed"
    migrations = checklist.item("migrations")
    assert migrations.result == "failed"
    assert migrations.evidence.startswith("migration 0001 -> 0002 failed on the populated fixtures")
    assert checklist.item("starts").evidence == "not run (an earlier step failed)"


def test_a_first_seed_happens_at_the_fixtures_revision_not_at_head(settings, monkeypatch):
    from replica.commands import db, migrations_check

    stack = FailingMigrationStack(settings)
    monkeypatch.setattr(migrations_check, "Compose", lambda settings: stack)
    monkeypatch.setattr(migrations_check, "live_revision", lambda url: "0002")
    monkeypatch.setattr(db, "seed", lambda *args: "seeded")
    evidence = db.seed_at_fixtures_revision(stack)
    assert stack.commands[0][-2:] == ("downgrade", "0001") and "0001" in evidence


def test_validate_keeps_the_profiles_the_replica_is_up_with(settings, monkeypatch):
    from replica.stack import plan as stack_module

    monkeypatch.setattr(stack_module, "load", lambda s: FailingMigrationStack(s))
    assert validate_module.current_profiles(settings) == ["redis-off"]
    monkeypatch.setattr(stack_module, "load", lambda s: None)
    assert validate_module.current_profiles(settings) == []


def test_up_failing_in_its_migrate_service_blames_the_migration_by_name(settings, monkeypatch):
    from replica.commands import migrations_check

    def broken_up(_settings, **_options):
        raise StackUnhealthyError("service \"migrate\" didn't complete successfully: exit 1")
    monkeypatch.setattr(up_module, "up", broken_up)
    monkeypatch.setattr(migrations_check, "migrate_service_failure",
                        lambda s: "migration 0001 -> 0002 failed on the replica's data: NotNullViolation")
    checklist = validate_module.validate(settings, profiles=[])
    assert checklist.item("stack").result == "failed"
    assert checklist.item("migrations").evidence.startswith("migration 0001 -> 0002 failed")


class ProfiledStack:
    def __init__(self, *profiles):
        self.profiles = profiles


@pytest.mark.parametrize("profiles, events, clean", [
    ((), [{"received_at": 10, "exception_type": "ConnectionError"}], True),   # while up replaced it
    ((), [{"received_at": 200, "exception_type": "KeyError"}], False),
    (("openai-ratelimit",), [{"received_at": 200, "exception_type": "RateLimitError"}], True),
    (("redis-off",), [{"received_at": 200, "exception_type": "RateLimitError"}], False),
    (("openai-down",), [{"received_at": 200, "exception_type": "InternalServerError"},
                        {"received_at": 201, "exception_type": "TypeError"}], False),
])
def test_the_sink_check_counts_the_app_s_own_errors_after_up(monkeypatch, tmp_path, profiles, events, clean):
    from mocks import control
    from replica.commands import validate as validate_module
    from replica.gate.checklist import ItemFailed

    monkeypatch.setattr(control, "sink_events", lambda url, min_level: events)
    run = validate_module.Run(None, tmp_path, sink_url="http://127.0.0.1:1", stack=ProfiledStack(*profiles),
                              errors_since=100)
    if clean:
        assert "no error events" in validate_module._sink_clean(run)
    else:
        with pytest.raises(ItemFailed):
            validate_module._sink_clean(run)


def test_the_replicas_smoke_run_leaves_the_variant_apps_error_events_to_their_own_items(
        settings, monkeypatch, tmp_path):
    """A break only the redis-off variant shows sends its error events to the shared sink: the
    replica's own `sentry` item must not count them (the variant's item does), or the gate blames
    the declared set-up for a variant-only break."""
    from replica.gate import smoke

    seen = {}

    class Stop(Exception):
        pass

    def fake_run(*args, **options):
        seen.update(options)
        raise Stop
    monkeypatch.setattr(validate_module.smoke, "run", fake_run)
    monkeypatch.setattr(validate_module, "_static_security", lambda root: {})
    run = validate_module.Run(settings, tmp_path, base_url="http://127.0.0.1:9",
                              sink_url="http://127.0.0.1:9")
    run.variant_hosts = {"0123456789ab": "redis-off", "ba9876543210": "pooled"}
    with pytest.raises(Stop):
        validate_module.run_checks(run)
    assert sorted(seen["ignore_hosts"]) == ["0123456789ab", "ba9876543210"]
    command = smoke.command("http://127.0.0.1:9", "http://127.0.0.1:8", tmp_path, ignore_hosts=["0123456789ab"])
    assert command[command.index("--sink-ignore-host") + 1] == "0123456789ab"
