"""The gate's resilience item: under an `openai-*` profile, how the app's AI client met the faults.

mock-openai judges its own journal (`mocks/openai_mock/resilience.py`): retry-after honoured,
backoff, a retry budget, no retry of what must not be retried, broken streams treated as errors
(the sink's error events say which traces reported one). The item fails on any failed line, and is
skipped, saying so, when the run gave the client nothing to judge (`openai-slow` answers late, not
with errors).

    >>> record(checklist, "http://127.0.0.1:18080", ["openai-ratelimit"], sink_url, since=run_started)
"""
from __future__ import annotations

from .checklist import Checklist, ItemFailed, ItemSkipped

ITEM = "resilience"
TITLE = "AI client resilience under the fault profile (mock-openai's verdict)"


def record(checklist: Checklist, mock_url: str, openai_profiles: list[str],
           sink_url: str | None = None, since: float | None = None) -> None:
    """Record the resilience item when an `openai-*` profile is on (the profiles of the replica
    that put faults on the mock OpenAI: replica/stack/profiles.py in_group); otherwise nothing."""
    chosen = list(openai_profiles)
    if chosen:
        checklist.run(ITEM, lambda: judge(mock_url, chosen, sink_url, since), TITLE)


def judge(mock_url: str, profiles: list[str], sink_url: str | None = None, since: float | None = None) -> str:
    """Return the verdict's evidence; raise ItemFailed on a failed line, ItemSkipped when nothing was judged."""
    from mocks import control  # the mock's package loads Starlette: only when the item runs
    from mocks.openai_mock.resilience import FAILED, PASSED, UNSEEN

    try:
        report = control.openai_resilience(mock_url, since=since, sink_url=sink_url)
    except control.ControlError as error:
        raise ItemFailed(f"cannot read mock-openai's resilience verdict: {error}") from None
    under = f"under {', '.join(profiles)}"
    if report["verdict"] == FAILED:
        raise ItemFailed(f"{under}: " + summary(report, FAILED))
    if report["verdict"] == UNSEEN:
        raise ItemSkipped(f"{under}: nothing to judge in {report['calls']} AI call(s): no fault asked for a retry")
    return f"{under}, {report['calls']} AI call(s), {report['retries']} retries: " + summary(report, PASSED)


def summary(report: dict, result: str) -> str:
    """The verdict's lines with `result`, one clause each."""
    return "; ".join(f"{line['title']}: {line['evidence']}" for line in report["lines"] if line["result"] == result)
