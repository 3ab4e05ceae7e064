"""The runbook's "Security Tests: no new vulnerabilities": bandit against a baseline, a dependency
audit when a vulnerability service answers, and live checks of the running replica.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from .checklist import ItemFailed, ItemSkipped

BANDIT_BASELINE = Path(__file__).with_name("bandit_baseline.json")
BANDIT_TARGET = "app"
REQUIREMENTS = "app/requirements.txt"
AUDIT_TIMEOUT_S = 3          # per request: an unreachable service must not slow the gate
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
DEBUGGER_PROBES = ("/console", "/?__debugger__=yes&cmd=resource&f=debugger.js")
DEBUGGER_MARKS = ("Werkzeug Debugger", "__debugger__", "werkzeug.debug", "CONSOLE_MODE")


def _tool(name: str) -> list[str]:
    """Run a Python tool with this interpreter, so the project's own venv is what runs."""
    return [sys.executable, "-m", name]


def bandit_check(root: Path, baseline: Path = BANDIT_BASELINE) -> str:
    """Run bandit over app/; fail on any finding the committed baseline does not hold."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "bandit.json"
        command = [*_tool("bandit"), "-r", BANDIT_TARGET, "-q", "-f", "json", "-o", str(report)]
        if baseline.is_file():
            command += ["-b", str(baseline)]
        try:
            done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            raise ItemFailed("bandit still running after 120 s; stopped") from None
        try:
            results = json.loads(report.read_text())
        except (OSError, ValueError):
            raise ItemFailed(f"bandit did not run (exit {done.returncode}): "
                             f"{(done.stderr or done.stdout).strip()[-300:]}") from None
    rank = {"HIGH": 0, "MEDIUM": 1, "LOW": 2}
    new = sorted(results.get("results", []), key=lambda r: rank.get(r.get("issue_severity"), 3))
    accepted = len(json.loads(baseline.read_text()).get("results", [])) if baseline.is_file() else 0
    lines = results.get("metrics", {}).get("_totals", {}).get("loc", 0)
    if new:
        first = new[0]
        raise ItemFailed(f"bandit: {len(new)} new finding(s) not in {baseline.name}, worst: "
                         f"{first['test_id']} {first['filename']}:{first['line_number']} "
                         f"{first['issue_text']} ({first['issue_severity']})")
    return (f"bandit over {BANDIT_TARGET}/ ({lines} lines): no new findings "
            f"({accepted} accepted in {baseline.name})")


def write_bandit_baseline(root: Path, baseline: Path = BANDIT_BASELINE) -> int:
    """Record today's bandit findings as the accepted baseline; return how many."""
    command = [*_tool("bandit"), "-r", BANDIT_TARGET, "-q", "-f", "json", "-o", str(baseline)]
    subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
    return len(json.loads(baseline.read_text()).get("results", []))


def audit_command(requirements: Path) -> list[str]:
    return [*_tool("pip_audit"), "-r", str(requirements), "--no-deps", "--disable-pip",
            "--timeout", str(AUDIT_TIMEOUT_S), "-f", "json", "--progress-spinner", "off"]


def dependency_audit(root: Path, runner=subprocess.run) -> str:
    """Audit app/requirements.txt with pip-audit; SKIPPED, with the reason, when no service answers.

    pip-audit itself exits 0 with "No known vulnerabilities found" when its service cannot be
    reached (each package is then "not found"): a one-package probe tells the two apart quickly.
    """
    requirements = root / REQUIREMENTS
    pins = [line.split("#", 1)[0].strip() for line in requirements.read_text().splitlines()]
    pins = [pin for pin in pins if pin]
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.txt"
        probe.write_text(pins[0] + "\n")
        unaudited = _unaudited(_audit(runner, probe, root))
        if unaudited:
            raise ItemSkipped(f"dependency audit not run: the vulnerability service is not reachable "
                              f"from here ({unaudited[0]}); run `pip-audit -r {REQUIREMENTS}` "
                              f"where it is")
    report = _audit(runner, requirements, root)
    unaudited = _unaudited(report)
    vulnerable = [d for d in report.get("dependencies", []) if d.get("vulns")]
    if vulnerable:
        first = vulnerable[0]
        raise ItemFailed(f"pip-audit: {len(vulnerable)} vulnerable package(s), first: {first['name']} "
                         f"{first.get('version')} {first['vulns'][0].get('id')} "
                         f"(fix: {', '.join(first['vulns'][0].get('fix_versions') or ['none'])})")
    audited = len(report.get("dependencies", [])) - len(unaudited)
    note = f"; not audited: {', '.join(unaudited)}" if unaudited else ""
    return f"pip-audit: {audited} pinned packages of {REQUIREMENTS}, no known vulnerabilities{note}"


def _audit(runner, requirements: Path, root: Path) -> dict:
    try:
        done = runner(audit_command(requirements), cwd=root, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise ItemSkipped("dependency audit not run: pip-audit got no answer within 120 s") from None
    try:
        return json.loads(done.stdout)
    except ValueError:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ItemSkipped(f"dependency audit not run: pip-audit could not reach its vulnerability "
                          f"service (exit {done.returncode}: {tail[0][:200]})") from None


def _unaudited(report: dict) -> list[str]:
    return [d.get("skip_reason") or d["name"] for d in report.get("dependencies", [])
            if d.get("skip_reason")]


def live_checks(base_url: str, published: dict[str, list[str]] | None, edge_tls: bool) -> str:
    """Check the running app: session cookie flags, no debugger, nothing published off loopback."""
    import requests

    problems, evidence = [], []
    cookie = _session_cookie(requests, base_url)
    flags = {"HttpOnly": "httponly" in cookie.lower(),
             "SameSite": "samesite=lax" in cookie.lower() or "samesite=strict" in cookie.lower()}
    if edge_tls and base_url.startswith("https://"):
        flags["Secure"] = "; secure" in cookie.lower()
    missing = [flag for flag, ok in flags.items() if not ok]
    if missing:
        problems.append(f"session cookie lacks {', '.join(missing)}: {cookie[:120]}")
    secure_note = "" if "Secure" in flags else (
        "; Secure checked on https targets only (this one is http on loopback)" if edge_tls
        else "; Secure not required: staging.declared.yml declares no TLS edge")
    evidence.append(f"session cookie {', '.join(flags)}{secure_note}")
    for path in DEBUGGER_PROBES:
        answer = requests.get(f"{base_url}{path}", timeout=10)
        if answer.status_code < 400 and any(mark in answer.text for mark in DEBUGGER_MARKS):
            problems.append(f"the Werkzeug debugger answers at {path} (HTTP {answer.status_code})")
    evidence.append(f"no debugger at {', '.join(p.split('&')[0] for p in DEBUGGER_PROBES)}")
    if published is None:
        evidence.append("ports not checked: the target is not a replica this gate brought up")
    else:
        exposed = [f"{service} on {address}" for service, addresses in published.items()
                   for address in addresses if address.rsplit(":", 1)[0].strip("[]") not in LOOPBACK]
        if exposed:
            problems.append(f"published beyond loopback: {', '.join(exposed)}")
        evidence.append(f"{sum(len(a) for a in published.values())} published ports, all on 127.0.0.1")
    if problems:
        raise ItemFailed("; ".join(problems))
    return "; ".join(evidence)


def _session_cookie(requests, base_url: str) -> str:
    """Return the Set-Cookie header of the session cookie the login page starts."""
    answer = requests.get(f"{base_url}/login", timeout=10)
    cookies = [value for key, value in answer.raw.headers.items() if key.lower() == "set-cookie"]
    session = [cookie for cookie in cookies if cookie.split("=", 1)[0].strip() == "session"]
    if not session:
        raise ItemFailed(f"GET /login set no session cookie (HTTP {answer.status_code}; "
                         f"cookies: {', '.join(c.split('=', 1)[0] for c in cookies) or 'none'})")
    return session[0]


def declares_edge_tls(declared: dict) -> bool:
    """Whether staging.declared.yml says staging's public URL is https (TLS at the edge)."""
    return str(declared.get("public_url", "")).startswith("https://")
