"""The runbook's validation checklist: items, their results, evidence and time; a table and a verdict."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from rich.table import Table
from rich.text import Text

from ..core.errors import StagingError

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
MARKS = {PASSED: "[green]✔ passed[/]", FAILED: "[red]✘ failed[/]", SKIPPED: "[yellow]– skipped[/]"}

# The runbook's "Validation Checklist", in its order; keys name items in code and in report.json.
RUNBOOK_ITEMS = {
    "starts": "Application starts without errors",
    "migrations": "Database migrations applied successfully",
    "api": "All API endpoints returning expected responses",
    "websocket": "WebSocket connections working",
    "transcription": "Real-time transcription functional",
    "summary": "AI summary generation working",
    "auth": "Authentication flow working",
    "sentry": "No errors in Sentry (staging environment)",
    "performance": "Performance within SLO targets",
    "accessibility": "Accessibility tests passing",
}
# The runbook's "Required Tests Before Production" that the checklist above does not cover. Each
# must pass, or be skipped for a reason it names (a vulnerability service that cannot be reached).
REQUIRED_TESTS = {
    "migration-tests": "Migration tests: upgrade, downgrade -1, upgrade on the fixtures, data intact",
    "security-code": "Security tests: no new bandit finding in app/",
    "security-deps": "Security tests: no known vulnerable dependency (pip-audit)",
    "security-live": "Security tests: session cookie flags, no debugger, ports on loopback only",
}


VARIANT_PREFIX = "variant-"  # items of the gate's variant apps (replica/commands/variant_apps.py)


class ItemFailed(Exception):
    """Raised inside a check: the item failed, and the message is its evidence."""


class ItemSkipped(Exception):
    """Raised inside a check that cannot apply here: the message says why."""


@dataclass
class Item:
    key: str
    title: str
    result: str = SKIPPED
    evidence: str = "not run"
    seconds: float = 0.0
    ran: bool = False             # recorded by a check (an item never run stays False)


@dataclass
class Checklist:
    """Items in runbook order, plus the gate's own steps (up, reset) before them."""

    items: list[Item] = field(default_factory=list)
    results: str = ""             # the folder holding this run's evidence, once written

    def item(self, key: str, title: str | None = None) -> Item:
        """Return the item named key, adding it (runbook title by default) if new."""
        for found in self.items:
            if found.key == key:
                return found
        new = Item(key, title or RUNBOOK_ITEMS.get(key) or REQUIRED_TESTS.get(key, key))
        self.items.append(new)
        return new

    def record(self, key: str, result: str, evidence: str, seconds: float = 0.0) -> Item:
        """Set an item's result; a failure is never overwritten by a later pass."""
        item = self.item(key)
        if item.result == FAILED and result != FAILED:
            return item
        item.result, item.evidence, item.seconds = result, evidence, round(seconds, 2)
        item.ran = True
        return item

    def run(self, key: str, check, title: str | None = None) -> Item:
        """Time check(); its return value is the evidence, ItemFailed (or any StagingError) fails it."""
        self.item(key, title)
        started = time.monotonic()
        try:
            evidence = check()
        except ItemSkipped as reason:
            return self.record(key, SKIPPED, str(reason), time.monotonic() - started)
        except ItemFailed as failure:
            return self.record(key, FAILED, str(failure), time.monotonic() - started)
        except StagingError as error:
            evidence = f"{error}" + (f" → {error.hint}" if error.hint else "")
            return self.record(key, FAILED, evidence, time.monotonic() - started)
        return self.record(key, PASSED, str(evidence or "ok"), time.monotonic() - started)

    @property
    def failed(self) -> list[Item]:
        return [i for i in self.items if i.result == FAILED]

    @property
    def passed(self) -> bool:
        """Green only when nothing failed, every runbook item passed and every required test ran."""
        ran = {i.key for i in self.items if i.result == PASSED}
        reasoned = {i.key for i in self.items if i.result == SKIPPED and i.ran}
        return (not self.failed and all(key in ran for key in RUNBOOK_ITEMS)
                and all(key in ran | reasoned for key in REQUIRED_TESTS))

    def verdict(self) -> str:
        """One sentence: what to do next."""
        if self.failed:
            names = ", ".join(i.title for i in self.failed)
            return f"NOT READY: {len(self.failed)} item(s) failed: {names}. Fix them before pushing."
        if not self.passed:
            results = {i.key: i.result for i in self.items}
            ran = {i.key for i in self.items if i.ran}
            missing = [title for key, title in RUNBOOK_ITEMS.items() if results.get(key) != PASSED]
            missing += [title for key, title in REQUIRED_TESTS.items() if key not in ran]
            return f"INCOMPLETE: not checked: {', '.join(missing)}."
        skipped = [i.title for i in self.items if i.key in REQUIRED_TESTS and i.result == SKIPPED]
        note = f" Skipped, with the reason in the table: {', '.join(skipped)}." if skipped else ""
        return f"READY: every runbook item passed; staging would be green.{note}"

    def table(self, title: str = "staging validation") -> Table:
        """Render the checklist as a rich table: item, result, evidence, time."""
        table = Table(title=title, title_justify="left", show_lines=False)
        for column, kwargs in (("item", {}), ("result", {"no_wrap": True}),
                               ("evidence", {"overflow": "fold"}), ("time", {"justify": "right"})):
            table.add_column(column, **kwargs)
        for item in self.ordered():
            table.add_row(Text(item.title), MARKS[item.result], Text(item.evidence), f"{item.seconds:.1f} s")
        return table

    def ordered(self) -> list[Item]:
        """The gate's own steps as they ran, the runbook's items in its order, then the variants'."""
        rank = {key: n for n, key in enumerate([*RUNBOOK_ITEMS, *REQUIRED_TESTS])}

        def place(item: Item) -> tuple[int, int]:
            if item.key.startswith(VARIANT_PREFIX):
                return 2, 0
            return (1, rank[item.key]) if item.key in rank else (0, 0)
        return sorted(self.items, key=place)

    def to_dict(self) -> dict:
        return {"passed": self.passed, "verdict": self.verdict(),
                "items": [asdict(i) for i in self.ordered()]}
