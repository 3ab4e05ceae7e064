"""`staging.bundle`: an archive for a bug report, secrets redacted."""
from __future__ import annotations

from pathlib import Path


from .cli import task
from .reporting import reported, settings_for


@task(help={"name": "replica name", "output": "archive path (default results/bundles/<replica>-<time>.tar.gz)"})
@reported
def bundle(c, name=None, output=None):
    """Write one archive for a bug report: config, logs, health, versions, parity, journal, errors, spans."""
    from ..commands.bundle import bundle as make_bundle
    make_bundle(settings_for(name), Path(output) if output else None)
