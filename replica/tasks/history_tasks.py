"""`staging.history`: every gate and deploy run, and the runbook's staging metrics."""
from __future__ import annotations

from .cli import task
from .reporting import reported, settings_for


@task(numbers={"limit": 1}, auto_shortflags=False,
      help={"json": "print the runs and metrics as JSON for scripts",
            "html": "write one self-contained page with plots over time to this file",
            "limit": "show at most this many of the newest runs in the table (default 20)"})
@reported
def history(c, json_=False, html=None, limit=20):
    """Show every gate and deploy run (verdict, duration, failed items, p95) and the runbook's metrics."""
    from ..commands.history import history as history_command

    history_command(settings_for(None), json_, html, limit)


TASKS = [history]
