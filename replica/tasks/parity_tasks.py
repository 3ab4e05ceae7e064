"""`staging.parity` (alias `doctor`): how the replica and this machine differ from staging."""
from __future__ import annotations

import json

from rich.table import Table

from ..core import console
from .cli import task
from .reporting import reported, settings_for

# The report's sections: key, table title, what its second column holds, marks for ok / not ok.
SECTIONS = (("staging", "staging vs replica", "staging", ("same", "differs")),
            ("machine", "this machine", "needs", ("ok", "missing")),
            ("maintenance", "maintenance: the runbook's daily and weekly checks", "expects",
             ("ok", "check")))


@task(name="parity", aliases=["doctor"], help={"name": "replica name", "json": "print JSON for scripts"})
@reported
def parity_(c, name=None, json_=False):
    """Compare the replica with staging's declared set-up and check this machine."""
    from ..commands import parity
    result = parity.report(settings_for(name))
    if json_:
        print(json.dumps(result, indent=2))
        return
    for key, title, wanted, words in SECTIONS:
        table = Table(title=title, title_justify="left")
        for column in ("item", wanted, "replica", "", "what to do"):
            table.add_column(column, overflow="fold")
        for row in result[key]:
            mark = f"[green]{words[0]}[/]" if row["same"] else f"[yellow]{words[1]}[/]"
            table.add_row(row["item"], row["staging"], row["replica"], mark, row["todo"])
        console.console.print(table)
    summary = f"{result['differences']} difference(s)"
    (console.warning if result["differences"] else console.success)(summary)
