"""The loaded fixtures' users the gate logs in as: those with the most data, and one with the least.

Every fixture user (and every user of a sanitized dump) has the password hash of
`replica/data/fakes.STAGING_PASSWORD`, so that hash, not an email domain, tells them from the
accounts the smoke and k6 runs register; they all log in with that one local-only password.

    heavy = heaviest(database_url, 4)   # [FixtureUser("stevenlevine531", meeting=812, ...), ...]
    light = lightest(database_url)      # the user with the fewest meetings
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..data.fakes import STAGING_PASSWORD, STAGING_PASSWORD_HASH

PASSWORD = STAGING_PASSWORD
CONNECT_TIMEOUT_S = 10
# Fixture users by meetings owned (most first, or fewest first), each with its meeting that has
# the most transcript segments and how many: the rows the read endpoints return for them.
_BY_MEETINGS = """
WITH owned AS (
    SELECT u.id, u.username, count(*) AS meetings
    FROM users u JOIN meetings m ON m.owner_id = u.id
    WHERE u.password_hash = %(hash)s
    GROUP BY u.id ORDER BY count(*) {order}, u.id LIMIT %(limit)s)
SELECT owned.username, owned.meetings, top.id, top.segments
FROM owned CROSS JOIN LATERAL (
    SELECT m.id, count(s.id) AS segments FROM meetings m
    LEFT JOIN transcript_segments s ON s.meeting_id = m.id
    WHERE m.owner_id = owned.id GROUP BY m.id ORDER BY count(s.id) DESC, m.id LIMIT 1) top
ORDER BY owned.meetings {order}, owned.id
"""


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
    """The `limit` fixture users with the most meetings, most first ([] when none can be read)."""
    return _by_meetings(database_url, "DESC", limit)


def lightest(database_url: str) -> FixtureUser | None:
    """The fixture user with the fewest meetings (at least one), or None when none can be read."""
    found = _by_meetings(database_url, "ASC", 1)
    return found[0] if found else None


def _by_meetings(database_url: str, order: str, limit: int) -> list[FixtureUser]:
    """[] when the database cannot be read: the callers then use fresh accounts, and say so."""
    import psycopg

    assert order in ("ASC", "DESC")
    try:
        with psycopg.connect(_libpq(database_url), connect_timeout=CONNECT_TIMEOUT_S) as connection:
            rows = connection.execute(_BY_MEETINGS.format(order=order),
                                      {"hash": STAGING_PASSWORD_HASH, "limit": limit}).fetchall()
    except psycopg.Error:
        return []
    return [FixtureUser(login, int(meetings), int(meeting), int(segments))
            for login, meetings, meeting, segments in rows]


def _libpq(url: str) -> str:
    """libpq takes postgresql:// URLs, not SQLAlchemy's postgresql+psycopg://."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
