"""The fixture tables, drawn column by column with NumPy and written as CSV text.

One `numpy.random.Generator(PCG64(seed))` draws every column in a fixed order, so a seed gives the
same bytes on every run; Faker is asked only for the value pools. The shapes are production's:
meetings per user are Pareto-distributed (mean about 9, a few users with hundreds), segments per
meeting log-normal (median 35, a long tail).

    for table, text in tables(users=1000, seed=20261126, password_hash=HASH):
        files[table].write(text)   # CSV rows, in id order, a chunk at a time
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

import numpy as np

MODELS = ("gpt-4o-mini", "gpt-4o-mini", "gpt-4o", "gpt-4.1-mini")
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
POOL = 4000  # distinct Faker sentences, sampled by index
NAMES = 500  # distinct first and last names
ANCHOR = datetime(2026, 11, 1, tzinfo=timezone.utc)  # fixed "now": the data never changes
HISTORY = timedelta(days=730)
MAX_MEETINGS_PER_USER = 300
MAX_SEGMENTS = 1500
MAX_SPEAKERS = 6
SEGMENT_CHUNK = 50_000  # segments formatted at a time: bounds the strings held in memory (peak
                        # RSS at prod scale 604 MB with 400 000, 286 MB with 50 000; CPU the same)
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Pools:
    """Values drawn once from Faker(seed), already CSV-quoted where they need it."""

    first: list[str]
    last: list[str]
    sentences: list[str]
    titles: list[str]

    @classmethod
    def build(cls, seed: int) -> "Pools":
        import random

        from faker import Faker

        fake = Faker("en_US")
        fake.seed_instance(seed)
        return cls(first=[fake.first_name() for _ in range(NAMES)],
                   last=[fake.last_name() for _ in range(NAMES)],
                   sentences=[fake.sentence(nb_words=random.Random(i).randint(4, 22))
                              for i in range(POOL)],
                   titles=[fake.catch_phrase() for _ in range(POOL // 4)])


def tables(users: int, seed: int, password_hash: str) -> Iterator[tuple[str, str]]:
    """Yield (table, CSV text of some of its rows) for users, meetings, segments and summaries."""
    pools = Pools.build(seed)
    rng = np.random.Generator(np.random.PCG64(seed))
    start_ms = int((ANCHOR - HISTORY).timestamp() * 1000)
    end_ms = int(ANCHOR.timestamp() * 1000)
    yield "users", _users(rng, pools, users, start_ms, end_ms, password_hash)
    meetings = _Meetings.draw(rng, users, start_ms, end_ms)
    yield "meetings", meetings.csv(rng, pools)
    yield from (("transcript_segments", text) for text in meetings.segments_csv(rng, pools))
    yield "summaries", meetings.summaries_csv(rng, pools)


def _users(rng, pools: Pools, users: int, start_ms: int, end_ms: int, password_hash: str) -> str:
    first = _lookup(pools.first, rng.integers(0, NAMES, users), quote=False)
    last = _lookup(pools.last, rng.integers(0, NAMES, users), quote=False)
    created = start_ms + (rng.random(users) * (end_ms - start_ms) * 0.9).astype(np.int64)
    login = created + (rng.random(users) * (end_ms - created)).astype(np.int64)
    domains = _lookup(DOMAINS, rng.integers(0, len(DOMAINS), users), quote=False)
    named = rng.random(users) < 0.9
    logged_in = rng.random(users) < 0.8
    ids = _text(np.arange(1, users + 1))
    emails = [csv_field(f"{f}.{l}.{i}@{d}".lower()) for f, l, i, d in zip(first, last, ids, domains)]
    usernames = [csv_field(f"{f}{l}{i}".lower()) for f, l, i in zip(first, last, ids)]
    names = _nullable([csv_field(f"{f} {l}") for f, l in zip(first, last)], named)
    return _rows(ids, emails, usernames, names, [csv_field(password_hash)] * users,
                 timestamps(created), _nullable(timestamps(login), logged_in))


@dataclass
class _Meetings:
    """Every meeting's own columns; segments and summaries are drawn from them."""

    owner: np.ndarray
    created: np.ndarray
    status: np.ndarray     # 0 ended, 1 live, 2 scheduled
    started: np.ndarray
    segments: np.ndarray   # how many transcript segments (0 when never started)
    ended: np.ndarray

    @classmethod
    def draw(cls, rng, users: int, start_ms: int, end_ms: int) -> "_Meetings":
        per_user = meetings_per_user(rng, users)
        owner = np.repeat(np.arange(1, users + 1), per_user)
        count = len(owner)
        created = start_ms + (rng.random(count) * (end_ms - start_ms)).astype(np.int64)
        roll = rng.random(count)
        status = np.where(roll < 0.85, 0, np.where(roll < 0.87, 1, 2))
        started = created + rng.integers(0, 60 * 24 * 3 + 1, count) * 60_000
        segments = np.where(status == 2, 0, segments_per_meeting(rng, count))
        ended = started + (segments * 18 + rng.integers(5, 121, count)) * 1000
        return cls(owner, created, status, started, segments, ended)

    def csv(self, rng, pools: Pools) -> str:
        count = len(self.owner)
        titles = _lookup(pools.titles, rng.integers(0, len(pools.titles), count))
        described = rng.random(count) < 0.5
        descriptions = _nullable(_sentences(rng, pools, rng.integers(1, 4, count)), described)
        status = _lookup(["ended", "live", "scheduled"], self.status)
        return _rows(_text(np.arange(1, count + 1)), _text(self.owner), titles, descriptions, status,
                     _nullable(timestamps(self.started), self.status != 2),
                     _nullable(timestamps(self.ended), self.status == 0), timestamps(self.created))

    def segments_csv(self, rng, pools: Pools) -> Iterator[str]:
        """Yield the segments' CSV a chunk of meetings at a time, ids in meeting order."""
        count = len(self.owner)
        speakers = rng.integers(0, NAMES * NAMES, (count, MAX_SPEAKERS))
        speaking = rng.integers(2, MAX_SPEAKERS + 1, count)
        names = [csv_field(f"{first} {last}") for first in pools.first for last in pools.last]
        first_id, meeting = 1, 0
        while meeting < count:
            last = int(np.searchsorted(np.cumsum(self.segments[meeting:]), SEGMENT_CHUNK)) + meeting + 1
            last = min(max(last, meeting + 1), count)
            chunk = slice(meeting, last)
            text, first_id = self._segment_chunk(rng, pools, names, chunk, speakers[chunk],
                                                 speaking[chunk], first_id)
            if text:
                yield text
            meeting = last

    def _segment_chunk(self, rng, pools, names, chunk: slice, speakers, speaking, first_id: int):
        per_meeting = self.segments[chunk]
        total = int(per_meeting.sum())
        if not total:
            return "", first_id
        local = np.repeat(np.arange(len(per_meeting)), per_meeting)
        offsets = np.cumsum(per_meeting) - per_meeting
        seq = np.arange(total) - offsets[local]
        length = rng.integers(2000, 30001, total)
        step = length + rng.integers(0, 1501, total)
        clock = np.cumsum(step) - step
        spoken = per_meeting > 0
        clock -= np.repeat(clock[offsets[spoken]], per_meeting[spoken])  # each meeting's from 0
        who = speakers[local, (rng.random(total) * speaking[local]).astype(np.int64)]
        said = _sentences(rng, pools, 1 + (rng.random(total) < 0.35))
        ids = np.arange(first_id, first_id + total)
        meeting_ids = np.arange(chunk.start + 1, chunk.stop + 1)[local]
        created = self.started[chunk][local] + clock + length
        text = _rows(_text(ids), _text(meeting_ids), _text(seq),
                     list(map(names.__getitem__, who.tolist())), said, _text(clock),
                     _text(clock + length), timestamps(created))
        return text, first_id + total

    def summaries_csv(self, rng, pools: Pools) -> str:
        summarised = np.flatnonzero((self.status == 0) & (rng.random(len(self.owner)) < 0.7))
        count = len(summarised)
        models = _lookup(MODELS, rng.integers(0, len(MODELS), count))
        content = _sentences(rng, pools, rng.integers(3, 10, count))
        created = self.ended[summarised] + rng.integers(2, 41, count) * 1000
        return _rows(_text(np.arange(1, count + 1)), _text(summarised + 1), models, content,
                     _text(60 + self.segments[summarised] * 35), _text(rng.integers(120, 451, count)),
                     timestamps(created))


def meetings_per_user(rng, users: int) -> np.ndarray:
    """Draw how many meetings each user owns (Pareto, shape 1.5: most a few, some very many)."""
    pareto = 1.0 + rng.pareto(1.5, users)  # numpy's is Lomax (Pareto II): shift it by one
    return np.minimum((pareto * 4).astype(np.int64) - 3, MAX_MEETINGS_PER_USER)


def segments_per_meeting(rng, meetings: int) -> np.ndarray:
    """Draw each meeting's number of transcript segments (log-normal: median 35, long tail)."""
    drawn = rng.lognormal(math.log(35), 0.8, meetings).astype(np.int64)
    return np.clip(drawn, 1, MAX_SEGMENTS)


def _sentences(rng, pools: Pools, how_many: np.ndarray) -> list[str]:
    """Join how_many[i] pool sentences for each row i (one CSV field each)."""
    pool = pools.sentences
    picks = rng.integers(0, len(pool), (int(how_many.max(initial=1)), len(how_many)))
    texts = list(map(pool.__getitem__, picks[0].tolist()))
    for position in range(1, len(picks)):
        more = picks[position].tolist()
        for row in np.flatnonzero(how_many > position).tolist():
            texts[row] = f"{texts[row]} {pool[more[row]]}"
    if any(map(_NEEDS_QUOTES.search, pool)):
        texts = list(map(csv_field, texts))
    return texts


_NEEDS_QUOTES = re.compile('[,"\n\r]')


def csv_field(value: str) -> str:
    """Quote a CSV field when it needs it (COPY's CSV rules: comma, quote, newline, CR; and an empty
    string, which unquoted would read as NULL)."""
    if not value or _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _lookup(values, indexes: np.ndarray, quote: bool = True) -> list[str]:
    table = [csv_field(v) for v in values] if quote else list(values)
    return list(map(table.__getitem__, indexes.tolist()))


def _text(numbers: np.ndarray) -> list[str]:
    return list(map(str, numbers.tolist()))


def _nullable(values: list[str], present: np.ndarray) -> list[str]:
    """Blank out (NULL, in COPY's CSV) the values where present is False."""
    for index in np.flatnonzero(~present).tolist():
        values[index] = ""
    return values


def _rows(*columns: list[str]) -> str:
    return "".join(map("%s\n".__mod__, map(",".join, zip(*columns))))


_CLOCK = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
_MILLIS = [f".{ms:03d}+00" for ms in range(1000)]


def timestamps(epoch_ms: np.ndarray) -> list[str]:
    """Format epoch milliseconds as PostgreSQL reads them back (UTC), e.g. 2026-01-02 03:04:05.006+00."""
    days, within = np.divmod(epoch_ms, DAY_MS)
    seconds, millis = np.divmod(within, 1000)
    unique, which = np.unique(days, return_inverse=True)
    epoch = datetime(1970, 1, 1)
    day_text = [(epoch + timedelta(days=int(d))).strftime("%Y-%m-%d ") for d in unique]
    return list(map("".join, zip(map(day_text.__getitem__, which.tolist()),
                                 map(_CLOCK.__getitem__, seconds.tolist()),
                                 map(_MILLIS.__getitem__, millis.tolist()))))
