"""`staging.parity` (alias `doctor`): how the replica and this machine differ from staging."""
from __future__ import annotations

import json

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
    else:
        parity.print_report(console.console, result)
