"""The resilience verdict: from journal entries, how a client behaved under the faults it was given.

Entries are grouped into calls: attempts of one request (same method, path and body) that a client
sent again after a failed answer. The official SDKs number their attempts in `x-stainless-retry-count`
(0 first); without it, an identical request within `RETRY_WINDOW_S` of a failure is taken as a retry.
Each check below is judged over the calls and is `passed`, `failed`, or `unseen` (nothing in the
journal lets it be judged):

  retry_after    every retry after an answer with retry-after(-ms) waited at least that long
  backoff        every retry after a failure without one waited, and the waits did not shrink
  budget         no call was retried more than the budget (judged once a call ended on a retryable error)
  non_retryable  no retry after a 4xx other than 408/409/429, or after `x-should-retry: false`
  broken_answer  a cut stream or a malformed body was treated as an error: the client asked again,
                 or reported an error in the request's trace (the journal notes each request's trace
                 id, tracing.py; `reported` are the traces with error events); one neither asked
                 again nor reported in its trace was swallowed: failed

How the app then answered its own user is not in the journal, nor in the sink (an error event does
not carry the app's response status): the smoke suite's profile expectations judge that.

    >>> verdict(journal.entries(), budget=2)["verdict"]
    'passed'
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import faults, tracing
from .errors import status_error

PASSED, FAILED, UNSEEN = "passed", "failed", "unseen"
DEFAULT_BUDGET = 2        # the official SDKs' default max_retries
RETRY_WINDOW_S = 120.0    # an identical request this soon after a failure is its retry (no SDK header)
WAIT_TOLERANCE_S = 0.05   # a retry this much earlier than retry-after asked still honours it
MIN_BACKOFF_S = 0.1       # a retry sooner than this after a failure did not back off
SHRINK_TOLERANCE = 0.75   # a backoff wait may be jittered down to this share of the one before
SERVER_MAX_RETRY_AFTER_S = 60.0  # a longer retry-after tells the SDKs not to retry at all
RETRYABLE_4XX = {408, 409, 429}
BROKEN_FAULTS = {"cut", "malformed"}
TITLES = {
    "retry_after": "honoured retry-after / retry-after-ms",
    "backoff": "backed off between retries",
    "budget": "stopped at a retry budget",
    "non_retryable": "did not retry what must not be retried",
    "broken_answer": "treated a cut stream or malformed body as an error",
}


@dataclass(frozen=True)
class Attempt:
    """One journal entry, as the verdict reads it."""

    seq: int
    start: float
    end: float
    status: int
    fault: faults.Fault | None
    retry_count: int | None
    trace_id: str | None

    @property
    def broken(self) -> bool:
        """A 200 whose body the client could not use: a cut stream or malformed JSON."""
        return self.fault is not None and self.fault.kind in BROKEN_FAULTS

    @property
    def failed(self) -> bool:
        return self.status >= 400 or self.broken

    @property
    def asked_wait(self) -> float | None:
        """Seconds the answer asked the client to wait (retry-after-ms first, as the SDKs read it)."""
        if self.fault is None or self.fault.kind != "status":
            return None
        headers = status_error(self.fault.status, self.fault.seconds).headers
        if "retry-after-ms" in headers:
            return float(headers["retry-after-ms"]) / 1000
        return float(headers["retry-after"]) if "retry-after" in headers else None

    @property
    def forbids_retry(self) -> bool:
        """The answer said not to retry: `x-should-retry: false`, or a 4xx the SDKs never retry."""
        if self.fault is not None and self.fault.no_retry:
            return True
        return 400 <= self.status < 500 and self.status not in RETRYABLE_4XX


@dataclass
class Call:
    """The attempts of one request, oldest first."""

    fingerprint: tuple
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return len(self.attempts) - 1

    @property
    def open(self) -> bool:
        """The last attempt failed: a retry may still come."""
        return self.attempts[-1].failed

    def waits(self) -> list[tuple[Attempt, Attempt, float]]:
        """(failed attempt, its retry, seconds between the answer and the retry) for each retry."""
        pairs = zip(self.attempts, self.attempts[1:])
        return [(before, after, after.start - before.end) for before, after in pairs]


def _header(entry: dict, name: str) -> str | None:
    headers = entry.get("headers")
    value = headers.get(name) if isinstance(headers, dict) else None
    return value if isinstance(value, str) else None


def _trace_id(entry: dict) -> str | None:
    """The trace the journal noted for the request, else read from its headers (an older entry)."""
    noted = entry.get("trace_id")
    if isinstance(noted, str) and noted:
        return noted
    headers = entry.get("headers")
    return tracing.trace_id(headers) if isinstance(headers, dict) else None


def _fault(token: object) -> faults.Fault | None:
    try:
        return faults.parse(token) if isinstance(token, str) and token else None
    except faults.FaultError:
        return None  # not a token the mock would inject: judge the entry by its status alone


def attempt(entry: dict) -> Attempt:
    """Read one journal entry."""
    count = _header(entry, "x-stainless-retry-count")
    end = float(entry.get("time") or 0.0)
    return Attempt(seq=int(entry.get("seq") or 0), start=end - float(entry.get("duration_ms") or 0) / 1000,
                   end=end, status=int(entry.get("status") or 0), fault=_fault(entry.get("fault")),
                   retry_count=int(count) if count and count.isdigit() else None, trace_id=_trace_id(entry))


def _fingerprint(entry: dict) -> tuple:
    return entry.get("method"), entry.get("path"), json.dumps(entry.get("body"), sort_keys=True, default=str)


def _retry_of(calls: list[Call], step: Attempt) -> Call | None:
    """The open call `step` retries, if any (the oldest one it fits, for concurrent identical calls)."""
    for call in calls:
        if not call.open:
            continue
        if step.retry_count is not None:
            if step.retry_count > 0 and call.retries + 1 == step.retry_count:
                return call
        elif call.attempts[-1].retry_count is None and step.start - call.attempts[-1].end <= RETRY_WINDOW_S:
            return call
    return None


def group(entries: list[dict]) -> list[Call]:
    """Group journal entries into calls, in the order their first attempts arrived."""
    calls: list[Call] = []
    by_fingerprint: dict[tuple, list[Call]] = {}
    for entry in sorted(entries, key=lambda e: e.get("seq") or 0):
        step, fingerprint = attempt(entry), _fingerprint(entry)
        same = by_fingerprint.setdefault(fingerprint, [])
        call = _retry_of(same, step)
        if call is None:
            call = Call(fingerprint)
            same.append(call)
            calls.append(call)
        call.attempts.append(step)
    return calls


def _line(check: str, result: str, evidence: str) -> dict:
    return {"check": check, "title": TITLES[check], "result": result, "evidence": evidence}


def _retry_after(calls: list[Call]) -> dict:
    waits = [(a, b, gap, a.asked_wait) for call in calls for a, b, gap in call.waits()
             if a.asked_wait is not None and 0 < a.asked_wait <= SERVER_MAX_RETRY_AFTER_S]
    early = [(a, b, gap, asked) for a, b, gap, asked in waits if gap < asked - WAIT_TOLERANCE_S]
    if early:
        a, b, gap, asked = early[0]
        return _line("retry_after", FAILED, f"{len(early)} of {len(waits)} retries came early, first: "
                     f"#{b.seq} {gap * 1000:.0f} ms after #{a.seq}'s {a.status} asked {asked * 1000:.0f} ms")
    if not waits:
        return _line("retry_after", UNSEEN, "no retry followed an answer with retry-after")
    shortest = min(gap / asked for _a, _b, gap, asked in waits)
    return _line("retry_after", PASSED, f"{len(waits)} retries, each after the wait asked "
                 f"(shortest {shortest:.2f}x of it)")


def _backoff(calls: list[Call]) -> dict:
    per_call = [[(a, b, gap) for a, b, gap in call.waits() if a.asked_wait is None and not a.forbids_retry]
                for call in calls]
    waits = [w for waits in per_call for w in waits]
    if not waits:
        return _line("backoff", UNSEEN, "no retry followed a failure without retry-after")
    hasty = [(a, b, gap) for a, b, gap in waits if gap < MIN_BACKOFF_S]
    if hasty:
        a, b, gap = hasty[0]
        return _line("backoff", FAILED, f"{len(hasty)} of {len(waits)} retries without a wait, first: "
                     f"#{b.seq} {gap * 1000:.0f} ms after #{a.seq}'s {a.status or a.fault.token}")
    for call_waits in per_call:
        for (_a, _b, earlier), (a, b, later) in zip(call_waits, call_waits[1:]):
            if later < earlier * SHRINK_TOLERANCE:
                return _line("backoff", FAILED, f"the waits shrank: #{b.seq} came {later * 1000:.0f} ms after "
                             f"#{a.seq}, the retry before waited {earlier * 1000:.0f} ms")
    shortest = min(gap for _a, _b, gap in waits)
    return _line("backoff", PASSED, f"{len(waits)} retries, each after a wait (shortest {shortest * 1000:.0f} ms), "
                 "none shorter than the one before")


def _budget(calls: list[Call], budget: int) -> dict:
    over = [call for call in calls if call.retries > budget]
    if over:
        worst = max(over, key=lambda call: call.retries)
        return _line("budget", FAILED, f"{len(over)} call(s) retried more than {budget} times, the worst "
                     f"{worst.retries} times ({worst.fingerprint[1]}, #{worst.attempts[0].seq}-#{worst.attempts[-1].seq})")
    gave_up = [call for call in calls if call.attempts[-1].status >= 400 and not call.attempts[-1].forbids_retry]
    if not gave_up:
        return _line("budget", UNSEEN, "no call ended on a retryable error (none had to give up)")
    most = max(call.retries for call in gave_up)
    return _line("budget", PASSED, f"{len(gave_up)} call(s) ended on a retryable error and stopped after at most "
                 f"{most} retr{'y' if most == 1 else 'ies'} (budget {budget})")


def _non_retryable(calls: list[Call]) -> dict:
    forbidden = [(a, b) for call in calls for a, b, _gap in call.waits() if a.forbids_retry]
    refused = sum(1 for call in calls for step in call.attempts if step.forbids_retry)
    if forbidden:
        a, b = forbidden[0]
        why = "x-should-retry: false" if a.fault is not None and a.fault.no_retry else f"a {a.status}"
        return _line("non_retryable", FAILED, f"{len(forbidden)} retr{'y' if len(forbidden) == 1 else 'ies'} "
                     f"of what must not be retried, first: #{b.seq} after #{a.seq}'s {why}")
    if not refused:
        return _line("non_retryable", UNSEEN, "no answer forbade a retry")
    return _line("non_retryable", PASSED, f"{refused} answer(s) that forbade a retry, none retried")


def _broken_answers(calls: list[Call], reported: set[str] | None) -> dict:
    broken = [(index, call, step) for index, call in enumerate(calls) for step in call.attempts if step.broken]
    if not broken:
        return _line("broken_answer", UNSEEN, "no stream was cut and no body malformed")
    noticed, silent, unknown = 0, [], 0
    for index, call, step in broken:
        asked_again = step is not call.attempts[-1] or any(
            later.fingerprint == call.fingerprint and later.attempts[0].start - step.end <= RETRY_WINDOW_S
            for later in calls[index + 1:])
        if asked_again or (reported is not None and step.trace_id in reported):
            noticed += 1
        elif reported is not None and step.trace_id is not None:
            silent.append(step)
        else:
            unknown += 1
    if silent:
        step = silent[0]
        return _line("broken_answer", FAILED, f"{len(silent)} of {len(broken)} broken answers were swallowed: "
                     f"#{step.seq} ({step.fault.token}) was not asked again and trace {step.trace_id} "
                     "has no error event")
    if unknown:
        return _line("broken_answer", UNSEEN, f"{noticed} of {len(broken)} broken answers were asked again or "
                     f"reported; for {unknown} the mock cannot tell (no retry, and no trace with the sink's events)")
    return _line("broken_answer", PASSED, f"{noticed} broken answer(s), each asked again or reported as an error")


def verdict(entries: list[dict], budget: int = DEFAULT_BUDGET, reported: set[str] | None = None) -> dict:
    """Judge how the client behaved under the faults in `entries` (journal entries, any order).

    `budget`: the most retries a call may take. `reported`: trace ids that have error events in the
    sink (None: the sink was not read, so a broken answer nobody asked again stays `unseen`).
    """
    calls = group(entries)
    lines = [_retry_after(calls), _backoff(calls), _budget(calls, budget), _non_retryable(calls),
             _broken_answers(calls, reported)]
    results = {line["result"] for line in lines}
    overall = FAILED if FAILED in results else PASSED if PASSED in results else UNSEEN
    faulted = sum(1 for call in calls if any(step.failed for step in call.attempts))
    return {"verdict": overall, "calls": len(calls), "faulted_calls": faulted,
            "retries": sum(call.retries for call in calls), "budget": budget, "lines": lines}
