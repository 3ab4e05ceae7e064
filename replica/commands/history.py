"""`staging.history`: every gate and deploy run (reporting/history.py records) and the runbook's
metrics, as a table, JSON, or one self-contained HTML page."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from rich.table import Table

from ..core import console
from ..stack.settings import Settings

TITLE = "mina-staging: runs and metrics"


def history(settings: Settings, json_: bool = False, html: str | None = None, limit: int = 20) -> None:
    """Show every gate and deploy run (verdict, duration, failed items, p95) and the runbook's metrics."""
    from ..reporting import history as history_module

    root = settings.root
    runs = history_module.load_runs(settings.results_dir)
    metrics = history_module.metrics(runs, history_module.promotions(root), datetime.now(timezone.utc))
    if html:
        from ..reporting import history_page
        Path(html).write_text(history_page.render(runs, metrics, TITLE))
        console.success(f"wrote {html} ({len(runs)} run(s))")
    if json_:
        print(json.dumps({"runs": [asdict(run) for run in runs], "metrics": metrics}, indent=2))
    elif not html:
        _print(runs[-limit:], metrics)


def _verdict(run) -> str:
    said = f"{run.verdict} (cached)" if run.cached_from else run.verdict
    return f"[green]{said}[/]" if run.passed else f"[red]{said}[/]"


def _print(runs, metrics: dict) -> None:
    from ..reporting import history as history_module

    table = Table(title=TITLE, title_justify="left")
    for column in ("started", "kind", "verdict", "time", "commit", "failed items", "p95 ms"):
        table.add_column(column, overflow="fold")
    for run in reversed(runs):
        p95 = run.latencies_ms.get(history_module.OVERALL_LATENCY)
        table.add_row(run.started, run.kind,
                      _verdict(run),
                      f"{run.duration_s:.0f} s" if run.duration_s is not None else "–",
                      (run.commit or "–")[:12], "; ".join(run.failed) or "–",
                      f"{p95:.0f}" if p95 is not None else "–")
    console.console.print(table)
    for name, words in history_module.describe(metrics).items():
        console.info(f"{name}: {words}")
