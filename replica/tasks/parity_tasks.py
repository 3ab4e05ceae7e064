"""`staging.parity` (alias `doctor`): how the replica and this machine differ from staging."""
from __future__ import annotations

import json

from rich.table import Table

from ..core import console
from .cli import task
from .reporting import reported, settings_for


@task(name="parity", aliases=["doctor"], help={"name": "replica name", "json": "print JSON for scripts"})
@reported
def parity_(c, name=None, json_=False):
    """Compare the replica with staging's declared set-up and check this machine."""
    from ..commands import parity
    result = parity.report(settings_for(name))
    if json_:
        print(json.dumps(result, indent=2))
        return
    for title, rows in (("staging vs replica", result["staging"]), ("this machine", result["machine"])):
        table = Table(title=title, title_justify="left")
        for column in ("item", "staging" if rows is result["staging"] else "needs", "replica",
                       "", "what to do"):
            table.add_column(column, overflow="fold")
        for row in rows:
            words = ("same", "differs") if rows is result["staging"] else ("ok", "missing")
            mark = f"[green]{words[0]}[/]" if row["same"] else f"[yellow]{words[1]}[/]"
            table.add_row(row["item"], row["staging"], row["replica"], mark, row["todo"])
        console.console.print(table)
    summary = f"{result['differences']} difference(s)"
    (console.warning if result["differences"] else console.success)(summary)
