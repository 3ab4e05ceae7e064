"""The loaded fixtures' users the gate logs in as: those with the most data, and one with the least.

Every fixture user (and every user of a sanitized dump) has the password hash of
`replica/data/fakes.STAGING_PASSWORD`, so that hash, not an email domain, tells them from the
accounts the smoke and k6 runs register; they all log in with that one local-only password.

    heavy = heaviest(database_url, 4)   # [FixtureUser("stevenlevine531", meeting=812, ...), ...]
    light = lightest(database_url)      # the user with the fewest meetings

The gate picks them once, before its k6 run goes beside the smoke suite, and hands its picks to the
suite (`pinned`, read back by `from_environment`): k6's fixture users create and delete meetings,
so a count taken while one of theirs exists is not the fixtures' count.
"""
from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass

from ..data.fakes import STAGING_PASSWORD, STAGING_PASSWORD_HASH

PASSWORD = STAGING_PASSWORD
CONNECT_TIMEOUT_S = 10
# Every fixture user's meetings counted once; the `heavy` with the most meetings (most first) and
# the one with the fewest, each with its meeting that has the most transcript segments and how
# many: the rows the read endpoints return for them.
_PICK = """
WITH owned AS (
    SELECT u.id, u.username, count(*) AS meetings
    FROM users u JOIN meetings m ON m.owner_id = u.id
    WHERE u.password_hash = %(hash)s GROUP BY u.id),
picked AS (
    (SELECT *, true AS heavy FROM owned ORDER BY meetings DESC, id LIMIT %(heavy)s)
    UNION ALL (SELECT *, false FROM owned ORDER BY meetings, id LIMIT 1))
SELECT picked.heavy, picked.username, picked.meetings, top.id, top.segments
FROM picked CROSS JOIN LATERAL (
    SELECT m.id, count(s.id) AS segments FROM meetings m
    LEFT JOIN transcript_segments s ON s.meeting_id = m.id
    WHERE m.owner_id = picked.id GROUP BY m.id ORDER BY count(s.id) DESC, m.id LIMIT 1) top
ORDER BY picked.heavy DESC, picked.meetings DESC, picked.id
"""
MOST = 16  # the heaviest users read at once: k6's virtual users take up to this many
ENV = "STAGING_FIXTURE_USERS"  # the gate's picks, for the smoke suite it runs (JSON)


@dataclass(frozen=True)
class FixtureUser:
    """A fixture user the gate can log in as, and how much data the read endpoints show it."""

    login: str
    meetings: int
    meeting: int   # its meeting with the most transcript segments
    segments: int  # how many that meeting has

    def to_json(self) -> dict:
        return asdict(self)


def heaviest(database_url: str, limit: int = 1) -> list[FixtureUser]:
    """The `limit` (at most MOST) fixture users with the most meetings, most first; [] when none
    can be read (the callers then use fresh accounts, and say so)."""
    return _read(database_url)[0][:limit]


def lightest(database_url: str) -> FixtureUser | None:
    """The fixture user with the fewest meetings (at least one), or None when none can be read."""
    return _read(database_url)[1]


def pinned(database_url: str) -> dict[str, str]:
    """The users picked now, as the environment of a smoke suite the gate runs ({} when none can
    be read: the suite then reads them itself)."""
    heavy, light = _read(database_url)
    if not heavy or light is None:
        return {}
    return {ENV: json.dumps({"heaviest": [user.to_json() for user in heavy],
                             "lightest": light.to_json()})}


def from_environment(environ) -> tuple[list[FixtureUser], FixtureUser] | None:
    """The picks a gate handed over (`pinned`), or None when it handed none; a value that is not
    one raises ValueError naming the variable."""
    text = environ.get(ENV)
    if not text:
        return None
    try:
        picks = json.loads(text)
        return ([FixtureUser(**user) for user in picks["heaviest"]],
                FixtureUser(**picks["lightest"]))
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(f"{ENV} is not the gate's fixture users: {error}") from None


def _read(database_url: str) -> tuple[list[FixtureUser], FixtureUser | None]:
    import psycopg

    try:
        return _picked(database_url)
    except psycopg.Error:  # not cached: the next caller asks again
        return [], None


@functools.lru_cache(maxsize=8)
def _picked(database_url: str) -> tuple[list[FixtureUser], FixtureUser | None]:
    """Read the users once per process and database: a gate run does not change the fixtures, and
    at prod-scale counting every meeting takes seconds on a busy machine."""
    import psycopg

    with psycopg.connect(_libpq(database_url), connect_timeout=CONNECT_TIMEOUT_S) as connection:
        rows = connection.execute(_PICK, {"hash": STAGING_PASSWORD_HASH, "heavy": MOST}).fetchall()
    users = [(heavy, FixtureUser(login, int(meetings), int(meeting), int(segments)))
             for heavy, login, meetings, meeting, segments in rows]
    light = [user for heavy, user in users if not heavy]
    return [user for heavy, user in users if heavy], (light[0] if light else None)


def _libpq(url: str) -> str:
    """libpq takes postgresql:// URLs, not SQLAlchemy's postgresql+psycopg://."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
