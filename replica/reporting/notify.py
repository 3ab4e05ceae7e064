"""Announce gate and deploy results to the team's Slack webhook, with the runbook's payload.

The runbook's deploy workflow posts `{"text": "Staging deployment <status>", "blocks": [...]}` with
status, commit and URL (slackapi/slack-github-action). Announcing is a courtesy: a webhook that is
unset sends nothing, and one that fails or does not answer is a printed warning, never a verdict.

    >>> announce(Announcement("gate", passed=True, commit="3f2a...", url="http://127.0.0.1:5000"),
    ...          webhook_url=None)       # off: no request
    False
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from ..core import console

TIMEOUT_S = 3.0  # connect and answer: a webhook that hangs costs the gate at most this, twice
NOUNS = {"gate": "validation", "deploy": "deployment"}  # what the runbook's title calls each run


@dataclass(frozen=True)
class Announcement:
    """One finished run: a gate (`staging.validate`) or a deploy, its outcome, commit and app URL."""

    kind: str
    passed: bool
    commit: str
    url: str
    cached_from: str | None = None  # answered from the verdict cache: the run whose verdict this is

    @property
    def status(self) -> str:
        """The word GitHub's `job.status` gives the runbook's payload."""
        return "success" if self.passed else "failure"


def payload(announcement: Announcement) -> dict:
    """Return the runbook's Slack payload for one run: a text line and a section with the facts."""
    noun = NOUNS[announcement.kind]
    facts = (f"*Staging {noun.capitalize()}*\nStatus: {announcement.status}\n"
             f"Commit: {announcement.commit}\nURL: {announcement.url}"
             + (f"\nCached: the verdict of {announcement.cached_from} (nothing it judged changed)"
                if announcement.cached_from else ""))
    return {"text": f"Staging {noun} {announcement.status}",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": facts}}]}


def announce(announcement: Announcement, webhook_url: str | None,
             timeout: float | None = None) -> bool:
    """Post the announcement to webhook_url; True when it was accepted, False (and a warning) if not."""
    if not webhook_url:
        return False
    timeout = TIMEOUT_S if timeout is None else timeout
    where = _where(webhook_url)
    try:
        answer = requests.post(webhook_url, json=payload(announcement), timeout=timeout)
    except requests.Timeout:
        console.warning(f"announcement not sent: the webhook at {where} did not answer within "
                        f"{timeout:g} s (the {NOUNS[announcement.kind]} result stands)")
        return False
    except requests.RequestException as error:
        console.warning(f"announcement not sent: cannot reach the webhook at {where}: "
                        f"{type(error).__name__} (the {NOUNS[announcement.kind]} result stands)")
        return False
    if not answer.ok:
        console.warning(f"announcement refused: the webhook at {where} answered {answer.status_code} "
                        f"(the {NOUNS[announcement.kind]} result stands)")
        return False
    console.info(f"announced the {NOUNS[announcement.kind]} result ({announcement.status}) to {where}")
    return True


def _where(url: str) -> str:
    """Name a webhook by scheme and host only: a Slack webhook's path is its secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
