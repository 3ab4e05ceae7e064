"""What the gate does after its verdict: record the run in the history and announce it.

    >>> run = GateRun.begin(settings.root)      # before the gate: commit, tree, start, webhook
    >>> run.end(checklist)                      # after it: results/<run>/run.json, then Slack
    >>> run.end_cached(cached, results_dir, replica)  # or a cache hit: results/cached-<time>/

Neither step can change the verdict: a record that cannot be written and an announcement that
cannot be sent are each a printed warning.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..core import console
from ..core.errors import describe_os_error
from ..gate.errors import ResultsNotWritableError
from ..gate.results import prepare_dir, run_name
from ..stack.settings import slack_webhook_url
from ..reporting import history, notify, revision


@dataclass(frozen=True)
class GateRun:
    """A gate run under way: what it judges and when it began."""

    commit: str | None
    tree: str | None
    started: datetime
    began: float                  # time.monotonic() at the start: the duration's origin
    webhook_url: str | None

    @classmethod
    def begin(cls, root: Path, environ: dict[str, str] | None = None,
              tree: str | None = None) -> "GateRun":
        """Note the commit and tree about to be judged (tree: revision.judged_tree, if taken
        already); a malformed webhook URL is refused here."""
        webhook = slack_webhook_url(environ)  # bad input fails before the gate changes anything
        return cls(revision.commit(root), tree or revision.judged_tree(root),
                   datetime.now(timezone.utc), time.monotonic(), webhook)

    def end(self, checklist) -> history.RunRecord | None:
        """Write the run's record beside its report and announce its verdict; return the record."""
        run_dir = Path(checklist.results) if checklist.results else None
        record = None
        try:
            if run_dir is None:
                raise OSError("the gate wrote no results folder")
            record = history.gate_record(run_dir, self.started, time.monotonic() - self.began,
                                         self.commit, self.tree)
            history.write_record(run_dir, record)
        except OSError as error:
            console.warning(f"this gate run is not in the history ({describe_os_error(error)})")
        except ValueError as error:
            console.warning(f"this gate run is not in the history (its report: {error})")
        notify.announce(notify.Announcement("gate", checklist.passed, self.commit or "unknown",
                                            _app_url(run_dir)), self.webhook_url)
        return record


    def end_cached(self, cached, results_dir: Path, replica: str) -> history.RunRecord | None:
        """Record a verdict answered from the verdict cache as a cache hit
        (results/cached-<time>/run.json) and announce it as cached; return the record."""
        record = None
        try:
            run_dir = prepare_dir(Path(results_dir) / run_name("cached"))
            record = history.cached_record(run_dir, self.started, time.monotonic() - self.began,
                                           self.commit, self.tree, cached.passed, cached.verdict,
                                           replica, cached.run)
            history.write_record(run_dir, record)
        except (OSError, ResultsNotWritableError) as error:
            console.warning(f"this cache hit is not in the history ({error})")
        notify.announce(notify.Announcement("gate", cached.passed, self.commit or "unknown",
                                            _app_url(Path(cached.run)), cached.run),
                        self.webhook_url)
        return record


def _app_url(run_dir: Path | None) -> str:
    """The app the gate checked, as its report names it."""
    try:
        return json.loads((run_dir / history.REPORT_FILE).read_text()).get("base_url") or "unknown"
    except (OSError, ValueError, TypeError, AttributeError):
        return "unknown"
