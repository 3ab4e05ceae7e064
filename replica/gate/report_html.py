"""A self-contained HTML report of one k6 run (no scripts, no downloads): outcome, thresholds, metrics."""
from __future__ import annotations

from html import escape

STATS = ("avg", "med", "p(90)", "p(95)", "p(99)", "max", "rate", "count", "value")
STYLE = ("body{font-family:system-ui,sans-serif;margin:2rem;color:#1a1a1a}"
         "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.3rem .6rem;text-align:right}"
         "td:first-child,th:first-child{text-align:left}.bad{color:#a40000;font-weight:bold}"
         ".good{color:#0b6b0b}")


def render(result) -> str:
    """Return the report page for a K6Result."""
    status = "good" if result.ok else "bad"
    rows = "".join(_metric_row(name, values)
                   for name, values in sorted(result.summary.get("metrics", {}).items()))
    crossed = "".join(f"<li>{escape(t)}</li>" for t in result.failed_thresholds) or "<li>none</li>"
    head = "".join(f"<th>{escape(s)}</th>" for s in ("metric", *STATS, "thresholds"))
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>k6 {escape(result.suite)}: {escape(result.outcome.value)}</title>"
            f"<style>{STYLE}</style></head><body><main>"
            f"<h1>k6 {escape(result.suite)} suite</h1>"
            f"<p class=\"{status}\">{escape(result.outcome.value)}: {escape(result.message)} "
            f"(exit code {result.exit_code}, {result.seconds:.1f} s)</p>"
            f"<h2>Crossed thresholds</h2><ul>{crossed}</ul>"
            f"<h2>Metrics</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
            f"<h2>k6 output (tail)</h2><pre>{escape(result.log_tail)}</pre></main></body></html>\n")


def write(result) -> None:
    """Write report.html next to metrics.json."""
    result.html_path.write_text(render(result))


def _metric_row(name: str, values: dict) -> str:
    cells = "".join(f"<td>{_fmt(values.get(s))}</td>" for s in STATS)
    marks = "".join(f"<span class=\"{'bad' if failed else 'good'}\">{escape(expr)} "
                    f"{'✘' if failed else '✔'}</span> "
                    for expr, failed in (values.get("thresholds") or {}).items())
    return f"<tr><td>{escape(name)}</td>{cells}<td>{marks}</td></tr>"


def _fmt(value) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if isinstance(value, float) else escape(str(value))
