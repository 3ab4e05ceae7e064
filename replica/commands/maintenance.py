"""The runbook's daily and weekly maintenance items that a machine can check, for `staging.doctor`.

Daily: stuck processes (long-running transactions, sessions idle in a transaction, gunicorn workers
that stopped checking in), external service connectivity (here: the mocks the app is pointed at),
the data's age since the last seed or refresh. Weekly: migrations not yet applied, images older
than the newest change of their dependencies. Each check returns one `Finding`, shaped as the
parity report's rows (item, what the runbook expects, what was found, ok, what to do).
"""
from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from ..core.redact import redact

LONG_TRANSACTION_S = 300      # a transaction running longer than this holds locks and snapshots
IDLE_IN_TRANSACTION_S = 60    # a session idle inside a transaction longer than this is leaked
WORKER_SILENT_S = 30          # an eventlet worker checks in every second; gunicorn kills at 120 s
DATA_MAX_AGE_H = 24           # the runbook syncs staging's data daily
PROBE_TIMEOUT_S = 2.0
# The runbook's external services and the mock the replica's app must reach each through.
EXTERNAL_SERVICES = {"OPENAI_BASE_URL": "mock-openai", "SENTRY_DSN": "error-sink"}
HEARTBEAT_FILE = "wgunicorn-"  # gunicorn's WorkerTmp: a deleted file whose mtime is the heartbeat
# Run inside the app container (and by the tests beside a gunicorn): for each process holding a
# heartbeat file, its parent and the heartbeat's age. A worker sets the mtime to time.monotonic()
# on each check-in (gunicorn/workers/workertmp.py) and closes its siblings' files after the fork;
# until its first check-in the mtime is the file's creation (wall clock), so a worker stuck while
# booting, which gunicorn's own --timeout never catches, is aged from its start.
HEARTBEAT_PROBE = """
import json, os, time
mono, wall, found = time.monotonic(), time.time(), {}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        ppid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if "wgunicorn-" in os.readlink(f"/proc/{pid}/fd/{fd}"):
                beat = os.stat(f"/proc/{pid}/fd/{fd}").st_mtime
                entry = found.setdefault(pid, {"ppid": ppid, "ages": []})
                # gunicorn stamps time.monotonic(); a never-stamped file keeps its wall-clock
                # creation time: the nearer clock is the one it was stamped with (a stamp made
                # just after `mono` was read is still monotonic)
                entry["ages"].append((wall if abs(wall - beat) < abs(mono - beat) else mono) - beat)
    except OSError:
        continue
print(json.dumps(found))
"""


@dataclass(frozen=True)
class Finding:
    item: str
    staging: str                  # what the runbook expects
    replica: str                  # what was found
    same: bool                    # True: nothing to do
    todo: str = ""


def long_transactions(db_url: str, limit_s: float = LONG_TRANSACTION_S) -> Finding:
    """Find transactions that have been running (not idle) for longer than limit_s."""
    rows = _sessions(db_url, "state = 'active' AND now() - xact_start >= make_interval(secs => %s)",
                     "now() - xact_start", limit_s)
    return _stuck("long-running transactions", f"none running over {limit_s:g} s", rows)


def idle_in_transaction(db_url: str, limit_s: float = IDLE_IN_TRANSACTION_S) -> Finding:
    """Find sessions that sit inside an open transaction, doing nothing, for longer than limit_s."""
    rows = _sessions(db_url, "state LIKE 'idle in transaction%%' "
                     "AND now() - state_change >= make_interval(secs => %s)", "now() - state_change",
                     limit_s)
    return _stuck("idle-in-transaction sessions", f"none idle in a transaction over {limit_s:g} s",
                  rows)


def _sessions(db_url: str, condition: str, since: str, limit_s: float) -> list[tuple]:
    from ..data.db import databases as dbs

    with dbs.connect(db_url) as conn:
        return conn.execute(
            f"SELECT pid, coalesce(nullif(application_name, ''), usename), datname, state, "
            f"extract(epoch FROM {since})::int, left(query, 80) FROM pg_stat_activity "
            f"WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND {condition} "
            f"ORDER BY {since} DESC", [limit_s]).fetchall()


def _stuck(item: str, expected: str, rows: list[tuple]) -> Finding:
    if not rows:
        return Finding(item, expected, "none", True)
    described = "; ".join(f"pid {pid} ({who} on {db}, {state} for {seconds} s: {redact(query)!r})"
                          for pid, who, db, state, seconds, query in rows)
    pids = ", ".join(str(row[0]) for row in rows)
    return Finding(item, expected, described, False,
                   f"find what holds it (invoke staging.logs app), or end it in invoke staging.psql: "
                   f"SELECT pg_terminate_backend(pid) FROM unnest(ARRAY[{pids}]) pid")


def worker_heartbeats(probe_output: str, master: int | None = None) -> dict[int, float]:
    """Read HEARTBEAT_PROBE's output: each gunicorn worker's seconds since it last checked in
    (since it started, when it never did).

    A worker is a process holding one heartbeat whose parent holds them all (the arbiter).
    """
    found = {int(pid): entry for pid, entry in json.loads(probe_output).items()}
    return {pid: max(0.0, min(entry["ages"])) for pid, entry in found.items()
            if entry["ppid"] in found and (master is None or entry["ppid"] == master)}


def hung_workers(heartbeats: dict[int, float], limit_s: float = WORKER_SILENT_S) -> Finding:
    """Find gunicorn workers that have not checked in for limit_s (their hub is blocked or stopped)."""
    expected = f"every worker checks in (none silent over {limit_s:g} s)"
    if not heartbeats:
        return Finding("hung workers", expected, "no gunicorn worker found", False,
                       "invoke staging.logs app; invoke staging.restart app")
    silent = {pid: age for pid, age in heartbeats.items() if age >= limit_s}
    if not silent:
        return Finding("hung workers", expected, f"{len(heartbeats)} worker(s) checking in", True)
    return Finding("hung workers", expected, "; ".join(
        f"worker {pid} silent for {age:.0f} s" for pid, age in sorted(silent.items())), False,
        "gunicorn replaces a worker silent for --timeout 120 s (one stuck while booting, never); "
        "see what blocks it in invoke staging.logs app, or invoke staging.restart app")


def app_heartbeats(stack) -> dict[int, float]:
    """Run HEARTBEAT_PROBE in the replica's app container."""
    from ..engine.compose import Compose

    done = Compose(stack.settings).run("exec", "-T", "app", "python3", "-c", HEARTBEAT_PROBE,
                                       timeout=30)
    return worker_heartbeats(done.stdout)


def pending_migrations(root: Path, db_url: str) -> Finding:
    """Compare the database's alembic revision with db/migrations' head; name what is not applied."""
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError

    from .migrations_check import live_revision

    script = ScriptDirectory(str(root / "db" / "migrations"))
    heads, live = script.get_heads(), live_revision(db_url)
    expected = f"at head {', '.join(heads)}"
    if live in heads:
        return Finding("migrations applied", expected, f"at {live}", True)
    try:
        pending = [r.revision for r in script.iterate_revisions(heads[0], live or "base")]
    except RevisionError:
        return Finding("migrations applied", expected, f"at {live}, which db/migrations does not "
                       "have", False, "check out the branch that wrote it, or invoke staging.db.reset")
    return Finding("migrations applied", expected,
                   f"at {live or 'an empty schema'}; not applied: {', '.join(reversed(pending))}",
                   False, "invoke staging.db.migrate")


def data_age(db_url: str, now: datetime | None = None, limit_h: float = DATA_MAX_AGE_H) -> Finding:
    """Say how long ago the replica's data was seeded or refreshed (its template's `created_at`)."""
    from ..data.db import databases as dbs

    expected = f"seeded or refreshed within {limit_h:g} h (the runbook syncs daily)"
    template = dbs.template_name(dbs.database_of(db_url))
    with dbs.connect(db_url) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                           "WHERE datname = %s", [template]).fetchone()
    try:
        created = datetime.fromisoformat(json.loads(row[0])["created_at"])
    except (TypeError, ValueError, KeyError):
        return Finding("data age", expected, "no record of a seed or refresh", False,
                       "invoke staging.db.seed (or staging.db.refresh --from URL)")
    hours = ((now or datetime.now(timezone.utc)) - created).total_seconds() / 3600
    found = f"{hours:.0f} h since {created:%Y-%m-%d %H:%M} UTC"
    return Finding("data age", expected, found, hours <= limit_h,
                   "" if hours <= limit_h else "invoke staging.db.refresh --from URL, or staging.db.seed")


def external_services(stack) -> list[Finding]:
    """Check each external service is configured to its mock and the mock answers /health."""
    import requests

    findings = []
    for variable, service in EXTERNAL_SERVICES.items():
        item, expected = f"external service {variable}", f"points at {service}, which answers"
        host = urlsplit(stack.app_env.get(variable, "")).hostname
        if host != service:
            findings.append(Finding(item, expected, f"points at {host or '(unset)'}", False,
                                    f"set {variable} to the {service} mock in .env.staging"))
            continue
        try:
            status = requests.get(stack.url(service) + "/health", timeout=PROBE_TIMEOUT_S).status_code
        except (KeyError, requests.RequestException) as error:
            status = f"no answer ({type(error).__name__})"
        ok = status == 200
        findings.append(Finding(item, expected, f"{service}: " + ("answers" if ok else f"{status}"),
                                ok, "" if ok else f"invoke staging.restart {service}"))
    return findings


@dataclass(frozen=True)
class Image:
    """A service image the replica runs, and the newest change of the files it depends on."""

    variable: str                 # compose's variable, e.g. APP_IMAGE
    created: datetime | None      # None: the image is not on this engine
    newest_change: tuple[str, datetime] | None  # (Dockerfile or requirements file, its mtime)
    current: bool                 # its tag is the one the tree's files hash to now


def stale_images(images: list[Image]) -> Finding:
    """Find images built before the newest change of a Dockerfile or requirements file they use.

    A tag is a hash of the files an image is built from (replica/engine/images.py): an image whose tag
    the tree still hashes to is current, whatever the files' times say (a checkout rewrites them).
    """
    expected = "built from the tree's Dockerfiles and requirements as they are now"
    stale = []
    for image in images:
        if image.created is None:
            stale.append(f"{image.variable} not built")
        elif image.current:
            continue
        elif image.newest_change and image.created < image.newest_change[1]:
            stale.append(f"{image.variable} built {image.created:%Y-%m-%d %H:%M}, "
                         f"{image.newest_change[0]} changed {image.newest_change[1]:%Y-%m-%d %H:%M}")
        else:
            stale.append(f"{image.variable} built from other files than the tree has now")
    if not stale:
        return Finding("images", expected, f"{len(images)} image(s) current", True)
    return Finding("images", expected, "; ".join(stale), False,
                   "invoke staging.up (rebuilds what changed)")


def dependency_change(root: Path, inputs: list[str]) -> tuple[str, datetime] | None:
    """Return the newest (file, mtime) among the Dockerfiles and requirements files of inputs."""
    files = []
    for entry in inputs:
        path = root / entry
        files += [path] if path.is_file() else list(path.rglob("*")) if path.is_dir() else []
    dependencies = [p for p in files if p.name == "Dockerfile" or
                    (p.name.startswith("requirements") and p.suffix == ".txt")]
    if not dependencies:
        return None
    newest = max(dependencies, key=lambda p: p.stat().st_mtime)
    return (str(newest.relative_to(root)),
            datetime.fromtimestamp(newest.stat().st_mtime, timezone.utc))


def replica_images(stack) -> list[Image]:
    """The replica's service images (from its record) with their creation time on the engine."""
    from ..engine.images import BUILD_INPUTS, service_image_tags

    now = service_image_tags(stack.settings, stack.compose_env.get("BASE_IMAGE", ""))
    images = []
    for variable, (_, inputs) in BUILD_INPUTS.items():
        tag = stack.compose_env.get(variable)
        done = subprocess.run(["docker", "image", "inspect", "--format", "{{.Created}}", tag or ""],
                              capture_output=True, text=True)
        created = _engine_time(done.stdout) if done.returncode == 0 and tag else None
        images.append(Image(variable, created, dependency_change(stack.settings.root, inputs),
                            current=tag == now[variable]))
    return images


def _engine_time(text: str) -> datetime:
    """Read the engine's UTC time, e.g. 2026-12-01T10:11:12.123456789Z (nanoseconds dropped)."""
    return datetime.fromisoformat(text.strip().split(".")[0].rstrip("Z")).replace(tzinfo=timezone.utc)


def report(settings) -> list[dict]:
    """Every maintenance check against the running replica (none when it is not up)."""
    import psycopg
    from alembic.util import CommandError

    from ..stack import plan as stack_module
    from ..core.errors import StagingError

    stack = stack_module.load(settings)
    if stack is None:
        return [asdict(Finding("maintenance checks", "a running replica", "not up: nothing checked",
                               True, "invoke staging.up, then staging.doctor again"))]
    db_url = stack.url("db")
    checks = {"long-running transactions": lambda: long_transactions(db_url),
              "idle-in-transaction sessions": lambda: idle_in_transaction(db_url),
              "hung workers": lambda: hung_workers(app_heartbeats(stack)),
              "migrations applied": lambda: pending_migrations(settings.root, db_url),
              "data age": lambda: data_age(db_url),
              "images": lambda: stale_images(replica_images(stack))}
    findings = []
    for item, check in checks.items():
        try:
            findings.append(check())
        except (StagingError, psycopg.Error, CommandError, OSError, ValueError,
                subprocess.TimeoutExpired) as error:
            findings.append(Finding(item, "checked", f"could not check: {redact(str(error))}",
                                    False, "invoke staging.status"))
    findings += external_services(stack)
    return [asdict(finding) for finding in findings]
