"""The rows of each fixture table: users, then meetings with their segments and summaries."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator

MODELS = ("gpt-4o-mini", "gpt-4o-mini", "gpt-4o", "gpt-4.1-mini")
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
POOL = 4000  # distinct Faker sentences: sampling a pool is ~50x faster than calling Faker per row


@dataclass(frozen=True)
class Pools:
    """Values drawn once from Faker(seed), then sampled by random.Random(seed)."""

    first: list[str]
    last: list[str]
    sentences: list[str]
    titles: list[str]

    @classmethod
    def build(cls, seed: int) -> "Pools":
        from faker import Faker

        fake = Faker("en_US")
        fake.seed_instance(seed)
        return cls(first=[fake.first_name() for _ in range(500)],
                   last=[fake.last_name() for _ in range(500)],
                   sentences=[fake.sentence(nb_words=random.Random(i).randint(4, 22))
                              for i in range(POOL)],
                   titles=[fake.catch_phrase() for _ in range(POOL // 4)])


def ts(moment: datetime) -> str:
    """Format a timestamp as PostgreSQL reads it back (UTC)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f+00")


def meetings_per_user(rng: random.Random) -> int:
    """Draw how many meetings one user owns (most a few, some very many; mean about 9)."""
    return min(int(rng.paretovariate(1.5) * 4) - 3, 300)


def segments_per_meeting(rng: random.Random) -> int:
    """Draw a meeting's number of transcript segments (log-normal: median 35, long tail)."""
    return max(1, min(int(rng.lognormvariate(math.log(35), 0.8)), 1500))


def user_rows(rng: random.Random, pools: Pools, users: int, start: datetime, end: datetime,
              password_hash: str) -> Iterator[list]:
    """Yield users rows: unique emails and usernames, a shared known password hash."""
    span = (end - start).total_seconds()
    for uid in range(1, users + 1):
        first, last = rng.choice(pools.first), rng.choice(pools.last)
        created = start + timedelta(seconds=rng.random() * span * 0.9)
        login = created + timedelta(seconds=rng.random() * (end - created).total_seconds())
        yield [uid, f"{first}.{last}.{uid}@{rng.choice(DOMAINS)}".lower(),
               f"{first}{last}{uid}".lower(), f"{first} {last}" if rng.random() < 0.9 else None,
               password_hash, ts(created), ts(login) if rng.random() < 0.8 else None]


def meeting_rows(rng: random.Random, pools: Pools, users: int, start: datetime, end: datetime,
                 ids: dict[str, int]) -> Iterator[tuple[str, list]]:
    """Yield (table, row) for each meeting, then its transcript segments and summary."""
    span = (end - start).total_seconds()
    for owner in range(1, users + 1):
        for _ in range(meetings_per_user(rng)):
            ids["meeting"] += 1
            yield from _meeting(rng, pools, owner, ids, start + timedelta(seconds=rng.random() * span))


def _meeting(rng, pools: Pools, owner: int, ids: dict[str, int], created: datetime):
    mid = ids["meeting"]
    roll = rng.random()
    status = "ended" if roll < 0.85 else ("live" if roll < 0.87 else "scheduled")
    started = created + timedelta(minutes=rng.randint(0, 60 * 24 * 3)) if status != "scheduled" else None
    count = segments_per_meeting(rng) if started else 0
    ended = started + timedelta(seconds=count * 18 + rng.randint(5, 120)) if status == "ended" else None
    description = " ".join(rng.choices(pools.sentences, k=rng.randint(1, 3))) if rng.random() < 0.5 else None
    yield "meetings", [mid, owner, rng.choice(pools.titles), description, status,
                       ts(started) if started else None, ts(ended) if ended else None, ts(created)]
    speakers = [f"{rng.choice(pools.first)} {rng.choice(pools.last)}" for _ in range(rng.randint(2, 6))]
    clock = 0
    for seq in range(count):
        ids["segment"] += 1
        length = rng.randint(2000, 30000)
        text = " ".join(rng.choices(pools.sentences, k=1 + (rng.random() < 0.35)))
        yield "transcript_segments", [ids["segment"], mid, seq, rng.choice(speakers), text, clock,
                                      clock + length, ts(started + timedelta(milliseconds=clock + length))]
        clock += length + rng.randint(0, 1500)
    if status == "ended" and rng.random() < 0.7:
        ids["summary"] += 1
        content = " ".join(rng.choices(pools.sentences, k=rng.randint(3, 9)))
        yield "summaries", [ids["summary"], mid, rng.choice(MODELS), content, 60 + count * 35,
                            rng.randint(120, 450), ts(ended + timedelta(seconds=rng.randint(2, 40)))]
