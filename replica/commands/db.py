"""The data commands (`staging.db.*`): which database they act on (the replica's own unless a
guarded --url), migrate, seed, reset, snapshots, load a dump, sanitize one, check it for leaks,
refresh from production.

One migrate and one seed: `up` (a profile's scale), the gate (its first run) and the tasks call
these. Heavy imports (psycopg, Faker) happen inside the functions, so `invoke --list` stays fast.
"""
from __future__ import annotations

import json as json_module
import time
from pathlib import Path

from ..core import console
from ..core.errors import ConfigError, not_up
from ..data.db.guards import check_target
from ..engine import reach
from ..stack import plan as stack_module
from ..stack.settings import Settings

POLICY = Path("db") / "sanitize.yml"
DEFAULT_SCALE = "default"


# ---- which database -------------------------------------------------------------------------

def fixtures_dir(settings: Settings) -> Path:
    """Return the fixture cache shared by every replica of this checkout (.staging/fixtures)."""
    return settings.root / ".staging" / "fixtures"


def replica_url(settings: Settings) -> str | None:
    """Return the replica's database URL as `up` published it, or None if it never ran here."""
    stack = stack_module.load(settings)
    if stack:
        reach.require_reachable(stack)
    return stack.url("db") if stack and "db" in stack.ports else None


def database_url(settings: Settings, url: str | None, action: str,
                 force_remote: bool = False) -> str:
    """Return the URL to act on, refusing a non-local one unless force_remote."""
    own = replica_url(settings)
    if url is None:
        if own is None:
            raise not_up(settings.name, "run `invoke staging.up` first, or pass --url")
        url = own
    check_target(url, action, own, force_remote)
    return url


def policy_path(settings: Settings, policy: str | None) -> Path:
    """Return the policy file: --policy, else db/sanitize.yml of this checkout."""
    return Path(policy) if policy else settings.root / POLICY


def check_url(url: str | None) -> None:
    """Refuse a --url libpq cannot read, before anything else (the message masks its password)."""
    if url is not None:
        from ..core.conninfo import connection_params
        connection_params(url)


def check_strategy(strategy: str) -> None:
    from ..data.db.databases import STRATEGIES
    if strategy not in STRATEGIES:
        raise ConfigError(f"--strategy {strategy!r} is not a CREATE DATABASE strategy",
                          hint=f"choose {' or '.join(STRATEGIES)}")


# ---- migrate and seed (one of each) -------------------------------------------------------------

def migrate(stack) -> str:
    """Bring the replica's database to the newest migration (`flask db upgrade` in the app
    container, as the runbook does); return what was done."""
    from .migrations_check import flask_db

    at_head = migrations_at_head(stack.url("app"))
    if at_head:
        return at_head  # `docker compose exec` costs seconds; the app's own check is exact
    ran = flask_db(stack, "upgrade")
    return f"applied: {'; '.join(ran)}" if ran else "already at head"


def migrations_at_head(app_url: str) -> str | None:
    """Return evidence when /health/ready says the database is at the newest migration."""
    import requests

    try:
        migrations = requests.get(f"{app_url}/health/ready", timeout=10).json().get("migrations", {})
    except (requests.RequestException, ValueError, AttributeError):
        return None
    if migrations.get("status") == "ok":
        return f"already at head {migrations.get('head')} (per /health/ready)"
    return None


def seed(settings: Settings, db_url: str, scale: str = DEFAULT_SCALE, seed_value: int | None = None,
         strategy: str = "FILE_COPY") -> str:
    """Load deterministic fixtures with COPY, keep them as the reset template, reset to them;
    return what was loaded."""
    from ..data.db import fixtures, reset as reset_module

    started = time.perf_counter()
    fixture_set = fixtures.ensure(fixtures_dir(settings), scale,
                                  seed_value if seed_value is not None else fixtures.DEFAULT_SEED)
    result = reset_module.seed(db_url, fixture_set, strategy)
    rows = ", ".join(f"{n} {t}" for t, n in fixture_set.rows.items())
    return (f"seeded {result.database} with {scale}-scale fixtures ({rows}) in "
            f"{time.perf_counter() - started:.1f} s (template {result.template}; fixtures "
            f"{fixture_set.path})")


def seed_scale_once(settings: Settings, db_url: str, scale: str) -> str:
    """Seed a profile's scale unless the template already holds that very fixture set (every `up`
    of a prod-scale replica would otherwise spend minutes loading the same data again); return
    what was done."""
    from ..data.db import fixtures, reset as reset_module

    wanted = fixtures.set_path(fixtures_dir(settings), scale, fixtures.DEFAULT_SEED).name
    held = reset_module.template_description(db_url) or {}
    if held.get("fixtures") == wanted:
        return f"{scale}-scale fixtures already loaded ({wanted}): not seeded again"
    return seed(settings, db_url, scale)


def seed_at_fixtures_revision(stack, scale: str = DEFAULT_SCALE) -> str:
    """Seed the default fixtures at the schema they are written for; return what was done.

    `up` migrated the empty database to head; seeding there would load the fixtures after every
    new migration, so one that fails on populated data would surface as a fixture-load failure.
    Seeded at the fixtures' revision, the later migrations run on the populated data (the gate
    applies them after each reset) and are blamed by name.
    """
    from ..data.db import fixtures
    from .migrations_check import flask_db, live_revision

    revision = fixtures.SCHEMA_REVISION
    current = live_revision(stack.url("db"))
    if current in (None, revision):
        at = f" at revision {revision}" if current else ""
    else:
        steps = flask_db(stack, "downgrade", revision, on="the empty database")
        at = f" at the fixtures' revision {revision} (downgraded {'; '.join(steps)})"
    return f"{at}: {seed(stack.settings, stack.url('db'), scale)}"


def seed_first(stack, scale: str = DEFAULT_SCALE) -> str | None:
    """Load the default fixtures when the replica has none (its first `up`), migrate them to head
    and keep that as the template (a reset lands at head: the app stays ready); return what was
    done, or None when fixtures were already loaded."""
    from ..data.db.reset import fixtures_loaded, keep_live_as_template

    if fixtures_loaded(stack.url("db")):
        return None
    seeded = seed_at_fixtures_revision(stack, scale)
    migrated = migrate(stack)
    keep_live_as_template(stack.url("db"))
    return f"no fixtures were loaded yet{seeded}; migrations {migrated}; kept as the template"


# ---- the tasks' commands -------------------------------------------------------------------------

def seed_command(settings: Settings, scale: str, seed_value: int | None, url: str | None,
                 force_remote: bool, strategy: str) -> None:
    check_strategy(strategy)
    check_url(url)
    db_url = database_url(settings, url, "seed (replace all data of)", force_remote)
    console.success(seed(settings, db_url, scale, seed_value, strategy))


def migrate_command(settings: Settings) -> None:
    from .service import running_stack

    console.success("migrations " + migrate(running_stack(settings)))


def reset(settings: Settings, url: str | None, force_remote: bool, strategy: str,
          verify: bool) -> None:
    from ..data.db import reset as reset_module

    check_strategy(strategy)
    check_url(url)
    db_url = database_url(settings, url, "reset", force_remote)
    result = reset_module.reset(db_url, strategy)
    console.success(f"reset {result.database} from {result.template} in {result.seconds:.2f} s")
    if verify:
        for table, (count, digest) in reset_module.fingerprint(db_url).items():
            console.info(f"{table}: {count} rows, digest {digest}")


def snapshot(settings: Settings, name: str, url: str | None, force_remote: bool,
             replace: bool) -> None:
    from ..data.db import snapshots

    snapshots.validate(name)
    check_url(url)
    db_url = database_url(settings, url, "snapshot", force_remote)
    taken = snapshots.take(db_url, name, replace=replace)
    console.success(f"snapshot {taken.name!r} saved ({size_text(taken.size)})")


def restore(settings: Settings, name: str, url: str | None, force_remote: bool) -> None:
    from ..data.db import snapshots

    snapshots.validate(name)
    check_url(url)
    db_url = database_url(settings, url, "restore over", force_remote)
    seconds = snapshots.restore(db_url, name)
    console.success(f"restored snapshot {name!r} in {seconds:.2f} s")


def list_snapshots(settings: Settings, url: str | None, as_json: bool) -> None:
    from ..data.db import snapshots

    check_url(url)
    db_url = database_url(settings, url, "list snapshots of", force_remote=True)
    found = snapshots.listing(db_url)
    if as_json:
        print(json_module.dumps([{"name": s.name, "bytes": s.size, "age_seconds": s.age(),
                                  "created_at": s.created_at.isoformat() if s.created_at else None}
                                 for s in found], indent=2))
        return
    from rich.table import Table
    table = Table(title="snapshots", title_justify="left")
    for column in ("name", "size", "age"):
        table.add_column(column)
    for s in found:
        table.add_row(s.name, size_text(s.size), age_text(s.age()))
    console.console.print(table if found else "no snapshots yet: `invoke staging.db.snapshot NAME`")


def load_dump(settings: Settings, file: str, url: str | None, force_remote: bool) -> None:
    from ..data.dumps import loaddump

    check_url(url)
    db_url = database_url(settings, url, "load a dump over", force_remote)
    seconds = loaddump.load_dump(db_url, file, int(settings.pg_major))
    console.success(f"loaded {file} in {seconds:.1f} s")


def copy_between(source, target) -> str:
    """Replace the target stack's database with a copy of the source stack's (two replicas of this
    machine: a deploy's candidate starts from the serving deployment's data); say what was copied."""
    from ..data.dumps import copydb

    copied = copydb.copy_database(source.url("db"), target.url("db"), int(target.settings.pg_major))
    return (f"copied the database of replica {source.settings.name!r} ({size_text(copied.bytes)} "
            f"of SQL) in {copied.seconds:.1f} s")


def sanitize(settings: Settings, source: str, output: str, policy: str | None,
             workers: int | None) -> None:
    from ..data.dumps import rows as rows_module, salt, sanitize as sanitize_module

    rules = load_policy(policy_path(settings, policy))
    if not rows_module.NATIVE:
        console.warning("rows are rewritten in Python (several times slower): the compiled loop was "
                        "not built, for want of a C compiler at install; install gcc, then "
                        "`rm .venv/.installed && ./dev --list`")
    streaming = output == "-" or output.startswith("/dev/")
    output = "/dev/stdout" if output == "-" else output
    started = time.perf_counter()
    stats = sanitize_module.sanitize_file(source, output, rules,
                                          salt.load_salt(settings.root / ".staging", settings.sanitize_salt),
                                          int(settings.pg_major), workers)
    rows = sum(stats.rows.values())
    dropped = ", ".join(f"{count} {kind}" for kind, count in sorted(stats.dropped.items()))
    console.success(f"sanitized {rows} rows of {len(stats.rows)} tables into {output} "
                    f"in {time.perf_counter() - started:.1f} s"
                    + (f"; left out: {dropped}" if dropped else ""), stderr=streaming)


def leakcheck(settings: Settings, source: str, sanitized: str, policy: str | None) -> int:
    """Check a sanitized dump against its original; print and return the number of leaks."""
    from ..data.dumps import archives, leakcheck as leakcheck_module

    rules = load_policy(policy_path(settings, policy))
    major = int(settings.pg_major)
    with archives.open_plain(source, major) as original, archives.open_plain(sanitized, major) as output:
        report = leakcheck_module.check(original, output, rules)
    if report.total_leaks:
        for leak in report.leaks:
            console.failure(f"line {leak.line}: {leak.where} holds a value of "
                            f"{leak.source} from the original")
        for where, count in sorted(report.by_column.items()):
            console.warning(f"{where}: {count} leaked values")
        console.failure(f"{report.total_leaks} leaked values (of {report.scanned} scanned)",
                        "classify those columns fake/hash/null/drop in the policy and sanitize again")
        return report.total_leaks
    console.success(f"no leaks: {report.scanned} values checked against "
                    f"{report.sensitive} sensitive values of the original")
    return 0


def refresh(settings: Settings, source: str | None, url: str | None, force_remote: bool,
            allow_writable_source: bool, policy: str | None) -> None:
    """Replace the database with a sanitized, leak-checked copy of source, streamed (never on disk)."""
    from ..data.dumps import refresh as refresh_module, salt

    if not source:
        raise ConfigError("--from is required: the database to refresh from",
                          hint="invoke staging.db.refresh --from postgresql://reader@host/db")
    check_url(source)
    check_url(url)
    rules = load_policy(policy_path(settings, policy))
    db_url = database_url(settings, url, "refresh (replace all data of)", force_remote)
    done = refresh_module.refresh(source, db_url, rules,
                                  salt.load_salt(settings.root / ".staging", settings.sanitize_salt),
                                  int(settings.pg_major), allow_writable_source, say=console.info)
    rows = sum(done.stats.rows.values())
    console.success(f"refreshed {done.database} from {done.source}: {rows} rows of "
                    f"{len(done.stats.rows)} tables, sanitized and checked ({done.scanned} values, "
                    f"no leaks) in {done.seconds:.1f} s; next: `invoke staging.db.migrate`")


def load_policy(path: Path):
    from ..data.dumps import policy as policy_module

    try:
        return policy_module.load(path)
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: bytes that are not UTF-8 (at byte {error.start})",
                          hint="save the policy as UTF-8") from None


def size_text(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    for unit, span in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= span:
            return f"{seconds / span:.0f} {unit}"
    return f"{seconds:.0f} s"
