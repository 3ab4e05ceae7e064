"""`staging.db.*`: migrate, seed, reset, snapshots, load a dump, sanitize one, check it for leaks,
refresh from production.

Heavy imports (psycopg, Faker) happen inside the tasks, so `invoke --list` stays fast.
"""
from __future__ import annotations

import json as json_module
import time

from invoke import Collection
from invoke.exceptions import Exit

from .. import console
from ..errors import ConfigError
from ..exit_status import ExitStatus
from ..data import target as data_target
from .cli import task
from .reporting import reported, settings_for

NAME = "replica name (env STAGING_NAME)"
URL = "database URL to act on instead of the replica's (refused if not local: see --force-remote)"
FORCE = "allow a database URL that is not on this machine (e.g. a neon.tech host)"
STRATEGY = "CREATE DATABASE strategy: FILE_COPY (fastest here) or WAL_LOG"


@task(help={"name": NAME})
@reported
def migrate(c, name=None):
    """Run `flask db upgrade` inside the app container, as the runbook does."""
    from ..commands.service import running_stack
    stack = running_stack(settings_for(name))
    done = stack.compose.run("exec", "-T", "app", "flask", "--app", "main", "db", "upgrade")
    steps = [line.split("Running upgrade", 1)[1].strip() for line in done.stderr.splitlines()
             if "Running upgrade" in line]
    console.success("migrations applied: " + ("; ".join(steps) if steps else "already at head"))


@task(help={"name": NAME, "scale": "small, default, prod, or a number of users",
            "seed": "Faker/random seed (same seed, same data)", "url": URL,
            "force_remote": FORCE, "strategy": STRATEGY},
      numbers={"seed": 0})
@reported
def seed(c, name=None, scale="default", seed=None, url=None, force_remote=False,
         strategy="FILE_COPY"):
    """Load deterministic fixtures with COPY, keep them as the reset template, and reset to them."""
    from ..data import fixtures, reset as reset_module

    _check_strategy(strategy)
    settings = settings_for(name)
    _check_url(url)
    db_url = data_target.database_url(settings, url, "seed (replace all data of)", force_remote)
    started = time.perf_counter()
    fixture_set = fixtures.ensure(data_target.fixtures_dir(settings), scale,
                                  seed if seed is not None else fixtures.DEFAULT_SEED)
    result = reset_module.seed(db_url, fixture_set, strategy)
    rows = ", ".join(f"{n} {t}" for t, n in fixture_set.rows.items())
    console.success(f"seeded {result.database} with {rows} in {time.perf_counter() - started:.1f} s "
                    f"(template {result.template}; fixtures {fixture_set.path})")


@task(help={"name": NAME, "url": URL, "force_remote": FORCE, "strategy": STRATEGY,
            "verify": "also print row counts and a content hash of each table"})
@reported
def reset(c, name=None, url=None, force_remote=False, strategy="FILE_COPY", verify=False):
    """Return the database to the loaded fixtures (app sessions are disconnected; they reconnect)."""
    from ..data import reset as reset_module

    _check_strategy(strategy)
    settings = settings_for(name)
    _check_url(url)
    db_url = data_target.database_url(settings, url, "reset", force_remote)
    result = reset_module.reset(db_url, strategy)
    console.success(f"reset {result.database} from {result.template} in {result.seconds:.2f} s")
    if verify:
        for table, (count, digest) in reset_module.fingerprint(db_url).items():
            console.info(f"{table}: {count} rows, md5 {digest}")


@task(help={"snapshot": "snapshot name (letters, digits, - and _)", "name": NAME, "url": URL,
            "force_remote": FORCE, "replace": "overwrite a snapshot of the same name"})
@reported
def snapshot(c, snapshot, name=None, url=None, force_remote=False, replace=False):
    """Save the database as a named snapshot (sessions are briefly disconnected)."""
    from ..data import snapshots

    settings = settings_for(name)
    snapshots.validate(snapshot)
    _check_url(url)
    db_url = data_target.database_url(settings, url, "snapshot", force_remote)
    taken = snapshots.take(db_url, snapshot, replace=replace)
    console.success(f"snapshot {taken.name!r} saved ({_size(taken.size)})")


@task(help={"snapshot": "snapshot name", "name": NAME, "url": URL, "force_remote": FORCE})
@reported
def restore(c, snapshot, name=None, url=None, force_remote=False):
    """Replace the database with a snapshot; if anything fails the current one is kept."""
    from ..data import snapshots

    settings = settings_for(name)
    snapshots.validate(snapshot)
    _check_url(url)
    db_url = data_target.database_url(settings, url, "restore over", force_remote)
    seconds = snapshots.restore(db_url, snapshot)
    console.success(f"restored snapshot {snapshot!r} in {seconds:.2f} s")


@task(name="snapshots", help={"name": NAME, "url": URL, "json": "print JSON for scripts"})
@reported
def snapshots_(c, name=None, url=None, json_=False):
    """List snapshots with their size and age."""
    from ..data import snapshots

    settings = settings_for(name)
    _check_url(url)
    db_url = data_target.database_url(settings, url, "list snapshots of", force_remote=True)
    found = snapshots.listing(db_url)
    if json_:
        print(json_module.dumps([{"name": s.name, "bytes": s.size, "age_seconds": s.age(),
                                  "created_at": s.created_at.isoformat() if s.created_at else None}
                                 for s in found], indent=2))
        return
    from rich.table import Table
    table = Table(title="snapshots", title_justify="left")
    for column in ("name", "size", "age"):
        table.add_column(column)
    for s in found:
        table.add_row(s.name, _size(s.size), _age(s.age()))
    console.console.print(table if found else "no snapshots yet: `invoke staging.db.snapshot NAME`")


@task(name="load-dump", help={"file": "pg_dump output: plain SQL (.sql, .sql.gz) or -Fc/-Fd archive",
                              "name": NAME, "url": URL, "force_remote": FORCE})
@reported
def load_dump(c, file, name=None, url=None, force_remote=False):
    """Replace the database with a dump (restored aside first: a bad dump changes nothing)."""
    from ..data import loaddump

    settings = settings_for(name)
    _check_url(url)
    db_url = data_target.database_url(settings, url, "load a dump over", force_remote)
    seconds = loaddump.load_dump(db_url, file, int(settings.pg_major))
    console.success(f"loaded {file} in {seconds:.1f} s")


@task(help={"source": "a real pg_dump (plain, gzip, -Fc or -Fd)",
            "output": "sanitized SQL to write (- for stdout, e.g. to pipe into gzip)",
            "policy": "policy file (default db/sanitize.yml)", "name": NAME,
            "workers": "rows rewritten on this many threads (default: every core, inputs over 16 MB)"},
      numbers={"workers": 1})
@reported
def sanitize(c, source, output, policy=None, name=None, workers=None):
    """Write a sanitized copy of a dump by the policy; unclassified columns are an error."""
    from ..data import policy as policy_module, rows as rows_module, salt, sanitize as sanitize_module

    settings = settings_for(name)
    rules = _load_policy(policy_module, data_target.policy_path(settings, policy))
    if not rows_module.NATIVE:
        console.warning("rows are rewritten in Python (several times slower): the compiled loop was "
                        "not built, for want of a C compiler at install; install gcc, then "
                        "`rm .venv/.installed && ./dev --list`")
    streaming = output == "-" or output.startswith("/dev/")
    output = "/dev/stdout" if output == "-" else output
    started = time.perf_counter()
    stats = sanitize_module.sanitize_file(source, output, rules, salt.load_salt(settings.root / ".staging"),
                                          int(settings.pg_major),
                                          workers)
    rows = sum(stats.rows.values())
    dropped = ", ".join(f"{count} {kind}" for kind, count in sorted(stats.dropped.items()))
    console.success(f"sanitized {rows} rows of {len(stats.rows)} tables into {output} "
                    f"in {time.perf_counter() - started:.1f} s"
                    + (f"; left out: {dropped}" if dropped else ""), stderr=streaming)


@task(help={"source": "the original dump", "sanitized": "the sanitized dump to check",
            "policy": "policy file (default db/sanitize.yml)", "name": NAME})
@reported
def leakcheck(c, source, sanitized, policy=None, name=None):
    """Fail if any value of the original's sensitive columns appears in the sanitized dump."""
    from ..data import dumps, leakcheck as leakcheck_module, policy as policy_module

    settings = settings_for(name)
    rules = _load_policy(policy_module, data_target.policy_path(settings, policy))
    major = int(settings.pg_major)
    with dumps.open_plain(source, major) as original, dumps.open_plain(sanitized, major) as output:
        report = leakcheck_module.check(original, output, rules)
    if report.total_leaks:
        for leak in report.leaks:
            console.failure(f"line {leak.line}: {leak.where} holds a value of "
                            f"{leak.source} from the original")
        for where, count in sorted(report.by_column.items()):
            console.warning(f"{where}: {count} leaked values")
        console.failure(f"{report.total_leaks} leaked values (of {report.scanned} scanned)",
                        "classify those columns fake/hash/null/drop in the policy and sanitize again")
        raise Exit(code=ExitStatus.LEAKS)
    console.success(f"no leaks: {report.scanned} values checked against "
                    f"{report.sensitive} sensitive values of the original")


@task(help={"from": "the source database URL, e.g. production's (read-only; shown redacted)",
            "name": NAME, "url": URL, "force_remote": FORCE,
            "allow_writable_source": "dump a source whose role could write (the dump's session "
                                     "is read-only either way)",
            "policy": "policy file (default db/sanitize.yml)"})
@reported
def refresh(c, from_=None, name=None, url=None, force_remote=False, allow_writable_source=False,
            policy=None):
    """Replace the database with a sanitized, leak-checked copy of --from, streamed, never on disk."""
    from ..data import policy as policy_module, refresh as refresh_module, salt

    if not from_:
        raise ConfigError("--from is required: the database to refresh from",
                          hint="invoke staging.db.refresh --from postgresql://reader@host/db")
    settings = settings_for(name)
    _check_url(from_)
    _check_url(url)
    rules = _load_policy(policy_module, data_target.policy_path(settings, policy))
    db_url = data_target.database_url(settings, url, "refresh (replace all data of)", force_remote)
    done = refresh_module.refresh(from_, db_url, rules, salt.load_salt(settings.root / ".staging"),
                                  int(settings.pg_major), allow_writable_source, say=console.info)
    rows = sum(done.stats.rows.values())
    console.success(f"refreshed {done.database} from {done.source}: {rows} rows of "
                    f"{len(done.stats.rows)} tables, sanitized and checked ({done.scanned} values, "
                    f"no leaks) in {done.seconds:.1f} s; next: `invoke staging.db.migrate`")


def _check_url(url: str | None) -> None:
    """Refuse a --url libpq cannot read, before anything else (the message masks its password)."""
    if url is not None:
        from ..conninfo import connection_params
        connection_params(url)


def _load_policy(policy_module, path):
    try:
        return policy_module.load(path)
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: bytes that are not UTF-8 (at byte {error.start})",
                          hint="save the policy as UTF-8") from None


def _check_strategy(strategy: str) -> None:
    from ..data.databases import STRATEGIES
    if strategy not in STRATEGIES:
        raise ConfigError(f"--strategy {strategy!r} is not a CREATE DATABASE strategy",
                          hint=f"choose {' or '.join(STRATEGIES)}")


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    for unit, span in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= span:
            return f"{seconds / span:.0f} {unit}"
    return f"{seconds:.0f} s"


collection = Collection("db", migrate, seed, reset, snapshot, restore, snapshots_, load_dump,
                        sanitize, leakcheck, refresh)
