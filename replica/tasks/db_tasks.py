"""`staging.db.*`: migrate, seed, reset, snapshots, load a dump, sanitize one, check it for leaks,
refresh from production.

Each task parses its flags and calls replica/commands/db.py, which imports psycopg and Faker only
when it runs, so `invoke --list` stays fast.
"""
from __future__ import annotations

from invoke import Collection
from invoke.exceptions import Exit

from ..core.exit_status import ExitStatus
from .cli import task
from .reporting import reported, settings_for

NAME = "replica name (env STAGING_NAME)"
URL = "database URL to act on instead of the replica's (refused if not local: see --force-remote)"
FORCE = "allow a database URL that is not on this machine (e.g. a neon.tech host)"
STRATEGY = "CREATE DATABASE strategy: FILE_COPY (fastest here) or WAL_LOG"


def _db():
    from ..commands import db
    return db


@task(help={"name": NAME})
@reported
def migrate(c, name=None):
    """Run `flask db upgrade` inside the app container, as the runbook does."""
    _db().migrate_command(settings_for(name))


@task(help={"name": NAME, "scale": "small, default, prod, or a number of users",
            "seed": "Faker/random seed (same seed, same data)", "url": URL,
            "force_remote": FORCE, "strategy": STRATEGY},
      numbers={"seed": 0})
@reported
def seed(c, name=None, scale="default", seed=None, url=None, force_remote=False,
         strategy="FILE_COPY"):
    """Load deterministic fixtures with COPY, keep them as the reset template, and reset to them."""
    _db().seed_command(settings_for(name), scale, seed, url, force_remote, strategy)


@task(help={"name": NAME, "url": URL, "force_remote": FORCE, "strategy": STRATEGY,
            "verify": "also print row counts and a content hash of each table"})
@reported
def reset(c, name=None, url=None, force_remote=False, strategy="FILE_COPY", verify=False):
    """Return the database to the loaded fixtures (app sessions are disconnected; they reconnect)."""
    _db().reset(settings_for(name), url, force_remote, strategy, verify)


@task(help={"snapshot": "snapshot name (letters, digits, - and _)", "name": NAME, "url": URL,
            "force_remote": FORCE, "replace": "overwrite a snapshot of the same name"})
@reported
def snapshot(c, snapshot, name=None, url=None, force_remote=False, replace=False):
    """Save the database as a named snapshot (sessions are briefly disconnected)."""
    _db().snapshot(settings_for(name), snapshot, url, force_remote, replace)


@task(help={"snapshot": "snapshot name", "name": NAME, "url": URL, "force_remote": FORCE})
@reported
def restore(c, snapshot, name=None, url=None, force_remote=False):
    """Replace the database with a snapshot; if anything fails the current one is kept."""
    _db().restore(settings_for(name), snapshot, url, force_remote)


@task(name="snapshots", help={"name": NAME, "url": URL, "json": "print JSON for scripts"})
@reported
def snapshots_(c, name=None, url=None, json_=False):
    """List snapshots with their size and age."""
    _db().list_snapshots(settings_for(name), url, json_)


@task(name="load-dump", help={"file": "pg_dump output: plain SQL (.sql, .sql.gz) or -Fc/-Fd archive",
                              "name": NAME, "url": URL, "force_remote": FORCE})
@reported
def load_dump(c, file, name=None, url=None, force_remote=False):
    """Replace the database with a dump (restored aside first: a bad dump changes nothing)."""
    _db().load_dump(settings_for(name), file, url, force_remote)


@task(help={"source": "a real pg_dump (plain, gzip, -Fc or -Fd)",
            "output": "sanitized SQL to write (- for stdout, e.g. to pipe into gzip)",
            "policy": "policy file (default db/sanitize.yml)", "name": NAME,
            "workers": "rows rewritten on this many threads (default: every core, inputs over 16 MB)"},
      numbers={"workers": 1})
@reported
def sanitize(c, source, output, policy=None, name=None, workers=None):
    """Write a sanitized copy of a dump by the policy; unclassified columns are an error."""
    _db().sanitize(settings_for(name), source, output, policy, workers)


@task(help={"source": "the original dump", "sanitized": "the sanitized dump to check",
            "policy": "policy file (default db/sanitize.yml)", "name": NAME})
@reported
def leakcheck(c, source, sanitized, policy=None, name=None):
    """Fail if any value of the original's sensitive columns appears in the sanitized dump."""
    if _db().leakcheck(settings_for(name), source, sanitized, policy):
        raise Exit(code=ExitStatus.LEAKS)


@task(help={"from": "the source database URL, e.g. production's (read-only; shown redacted)",
            "name": NAME, "url": URL, "force_remote": FORCE,
            "allow_writable_source": "dump a source whose role could write (the dump's session "
                                     "is read-only either way)",
            "policy": "policy file (default db/sanitize.yml)"})
@reported
def refresh(c, from_=None, name=None, url=None, force_remote=False, allow_writable_source=False,
            policy=None):
    """Replace the database with a sanitized, leak-checked copy of --from, streamed, never on disk."""
    _db().refresh(settings_for(name), from_, url, force_remote, allow_writable_source, policy)


collection = Collection("db", migrate, seed, reset, snapshot, restore, snapshots_, load_dump,
                        sanitize, leakcheck, refresh)
