"""`staging.history --html`: one self-contained page, the metrics, plots over time and every run.

The plots are matplotlib SVG inlined in the page: no JavaScript, no CDN, nothing fetched, so the
file opens anywhere (a CI artifact, a mail attachment) as it was written.
"""
from __future__ import annotations

import html
import io
from datetime import datetime, timedelta

from .history import OVERALL_LATENCY, RunRecord, describe, gate_runs_tested

PLOT_SIZE_IN = (7.5, 2.6)
MIN_SPAN = timedelta(hours=2)  # the narrowest time axis: a first run, or a morning's runs
GREEN, RED = "#1a7f37", "#cf222e"
STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;max-width:64rem;color:#1f2328}
table{border-collapse:collapse;font-size:.9rem}td,th{border-bottom:1px solid #d0d7de;padding:.25rem .5rem;
text-align:left;vertical-align:top}.passed{color:#1a7f37}.failed{color:#cf222e}figure{margin:1rem 0}
dt{font-weight:600}dd{margin:0 0 .5rem 0}"""


def render(runs: list[RunRecord], metrics: dict, title: str) -> str:
    """Return the whole page for these runs and metrics."""
    gates = gate_runs_tested(runs)
    figures = ([_figure("Gate pass rate (last 10 gate runs)", _svg(pass_rate_plot(gates))),
                _figure("Gate time per run", _svg(duration_plot(gates))),
                _figure("k6 smoke p95 latency per run", _svg(latency_plot(gates)))] if gates
               else ["<p>No gate runs recorded yet: run <code>invoke staging.validate</code>.</p>"])
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n<body><main>"
            f"<h1>{html.escape(title)}</h1>\n{_metrics_list(metrics)}\n<h2>Over time</h2>\n"
            + "\n".join(figures) + f"\n<h2>Runs</h2>\n{_runs_table(runs)}\n</main></body></html>\n")


def _figure(caption: str, svg: str) -> str:
    return (f"<figure><figcaption>{html.escape(caption)}</figcaption>"
            f"<div role=\"img\" aria-label=\"{html.escape(caption)}\">{svg}</div></figure>")


def _metrics_list(metrics: dict) -> str:
    items = "".join(f"<dt>{html.escape(name)}</dt><dd>{html.escape(words)}</dd>"
                    for name, words in describe(metrics).items())
    return f"<dl>{items}</dl>"


def _runs_table(runs: list[RunRecord]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("started", "kind", "verdict", "duration", "commit",
                                              "failed items", "p95 (ms)"))
    rows = []
    for run in reversed(runs):
        duration = f"{run.duration_s:.0f} s" if run.duration_s is not None else "–"
        p95 = run.latencies_ms.get(OVERALL_LATENCY)
        cells = [run.started, run.kind, f"{run.verdict} (cached)" if run.cached_from else run.verdict,
                 duration, (run.commit or "–")[:12],
                 "; ".join(run.failed) or "–", f"{p95:.0f}" if p95 is not None else "–"]
        rows.append("<tr>" + "".join(
            f"<td class=\"{run.verdict}\">{html.escape(c)}</td>" if n == 2 else f"<td>{html.escape(c)}</td>"
            for n, c in enumerate(cells)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def pass_rate_plot(gates: list[RunRecord]):
    rates = [sum(r.passed for r in gates[max(0, n - 9):n + 1]) / len(gates[max(0, n - 9):n + 1])
             for n in range(len(gates))]
    figure, axes = _axes("share passed")
    axes.plot(_times(gates), [100 * r for r in rates], marker="o", color=GREEN)
    axes.set_ylim(-5, 105)
    _fit_times(axes, gates)
    return figure


def duration_plot(gates: list[RunRecord]):
    timed = [run for run in gates if run.duration_s is not None]
    figure, axes = _axes("seconds")
    axes.plot(_times(timed), [run.duration_s for run in timed], color="#57606a", linewidth=1)
    axes.scatter(_times(timed), [run.duration_s for run in timed], zorder=3,
                 c=[GREEN if run.passed else RED for run in timed])
    axes.set_ylim(bottom=0)
    _fit_times(axes, timed)
    return figure


def latency_plot(gates: list[RunRecord]):
    figure, axes = _axes("ms")
    names = sorted({name for run in gates for name in run.latencies_ms},
                   key=lambda name: (name != OVERALL_LATENCY, name))
    for name in names:
        measured = [run for run in gates if name in run.latencies_ms]
        axes.plot(_times(measured), [run.latencies_ms[name] for run in measured], marker=".",
                  label=name, linewidth=2 if name == OVERALL_LATENCY else 1)
    if names:
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    axes.set_ylim(bottom=0)
    _fit_times(axes, gates)
    return figure


def _fit_times(axes, runs: list[RunRecord]) -> None:
    """Keep the time axis to the runs' span: matplotlib widens a single instant to years."""
    times = _times(runs)
    if times and max(times) - min(times) < MIN_SPAN:
        middle = min(times) + (max(times) - min(times)) / 2
        axes.set_xlim(middle - MIN_SPAN / 2, middle + MIN_SPAN / 2)


def _times(runs: list[RunRecord]) -> list[datetime]:
    return [run.started_at for run in runs]


def _axes(ylabel: str):
    from matplotlib import dates
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    figure = Figure(figsize=PLOT_SIZE_IN, layout="constrained")
    axes = figure.add_subplot()
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    locator = dates.AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    return figure, axes


def _svg(figure) -> str:
    """Return the figure as an <svg> element to inline (its XML prolog dropped)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg"):]
