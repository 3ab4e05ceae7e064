"""Measure latency ratios on a running app: each request paired with a calibration request.

The probe logs in as the fixture user with the most meetings (at `prod-scale`, the user whose list
costs the most), falling back to a fresh test account with a few meetings when the gate cannot read
the database, then sends, per round and per kind in a shuffled order, the kind's request and the
calibration request side by side on one keep-alive connection (so on one gunicorn worker), in a
random order. The ratio of the two latencies is what the verdict compares.

    >>> probe = Probe.open("http://127.0.0.1:5000", rule, database_url)
    >>> probe.measure(["list", "show"], 30)   # {"list": [2.9, 3.1, ...], "show": [...]}
"""
from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field

import requests

from . import fixture_users
from .checklist import ItemFailed
from .ratios import Rule

TIMEOUT_S = 30
FALLBACK_MEETINGS = 10


@dataclass
class Probe:
    base_url: str
    rule: Rule
    session: requests.Session
    meeting: int
    user: str
    timings: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # (measured, cal) ms
    rng: random.Random = field(default_factory=lambda: random.Random(11))

    @classmethod
    def open(cls, base_url: str, rule: Rule, database_url: str | None = None) -> "Probe":
        """Log in (fixture user, else a fresh test account) and warm every path up."""
        session = requests.Session()
        heaviest = fixture_users.heaviest(database_url, 1) if database_url else []
        if heaviest:
            user, meeting = heaviest[0].login, heaviest[0].meeting
            _post(session, base_url, "/api/auth/login", {"login": user, "password": fixture_users.PASSWORD}, 200)
        else:
            user, meeting = _test_account(session, base_url)
        probe = cls(base_url, rule, session, meeting, user)
        for _ in range(rule.warmup):
            for kind in [None, *rule.kinds]:
                probe._timed(kind)
        return probe

    def measure(self, kinds: list[str], pairs: int) -> dict[str, list[float]]:
        """Return `pairs` values per kind: its latencies over the batch's calibration quantile."""
        batch: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
        for _ in range(pairs):
            for kind in self.rng.sample(kinds, len(kinds)):
                first, second = (kind, None) if self.rng.random() < 0.5 else (None, kind)
                times = {first: self._timed(first), second: self._timed(second)}
                batch[kind].append((times[kind], times[None]))
        for kind, timed in batch.items():
            self.timings.setdefault(kind, []).extend(timed)
        return {kind: normalized(timed, self.rule.quantile) for kind, timed in batch.items()}

    def path(self, kind: str | None) -> str:
        return self.rule.calibration if kind is None else self.rule.kinds[kind].format(meeting=self.meeting)

    def medians_ms(self) -> dict[str, tuple[float, float]]:
        """Median latency of each kind and of its calibration requests, in ms."""
        from .stats import median
        return {kind: (median([m for m, _ in pairs]), median([c for _, c in pairs]))
                for kind, pairs in self.timings.items()}

    def _timed(self, kind: str | None) -> float:
        path = self.path(kind)
        for attempt in range(2):
            started = time.perf_counter()
            try:
                response = self.session.get(f"{self.base_url}{path}", timeout=TIMEOUT_S)
                break
            except requests.ConnectionError as error:
                # gunicorn closes an idle keep-alive connection after 2 s: on a busy machine the
                # next request on it can race the close. Sent again (and timed afresh) once.
                if attempt:
                    raise ItemFailed(f"latency probe: GET {path} failed: {error}") from None
            except requests.RequestException as error:
                raise ItemFailed(f"latency probe: GET {path} failed: {error}") from None
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise ItemFailed(f"latency probe: GET {path} answered {response.status_code}: "
                             f"{response.text[:200]}")
        return elapsed


def normalized(timed: list[tuple[float, float]], q: float) -> list[float]:
    """Divide each measured latency by the q-quantile of the calibration latencies beside them."""
    from .stats import quantile
    unit = max(quantile([calibration for _, calibration in timed], q), 1e-3)
    return [measured / unit for measured, _ in timed]


def _test_account(session: requests.Session, base_url: str) -> tuple[str, int]:
    tag = uuid.uuid4().hex[:12]
    user = {"email": f"probe-{tag}@example.com", "username": f"probe_{tag}", "password": f"Probe-{tag}-1"}
    _post(session, base_url, "/api/auth/register", user, 201)
    meetings = [_post(session, base_url, "/api/meetings", {"title": f"probe {n}"}, 201)["id"]
                for n in range(FALLBACK_MEETINGS)]
    return user["username"], meetings[0]


def _post(session: requests.Session, base_url: str, path: str, body: dict, expected: int,
          what: str = "latency probe") -> dict:
    try:
        response = session.post(f"{base_url}{path}", json=body, timeout=TIMEOUT_S)
    except requests.RequestException as error:
        raise ItemFailed(f"{what}: POST {path} failed: {error}") from None
    if response.status_code != expected:
        raise ItemFailed(f"{what}: POST {path} answered {response.status_code} "
                         f"(expected {expected}): {response.text[:200]}")
    return response.json()
