"""Every task's process starts by importing all the tasks (invoke's collection): the task modules
import the commands, gate and deploy layers inside their bodies, so `invoke staging.db.reset`
does not pay for the gate's numpy or the deploy flow before it runs (~0.2 s of each start)."""
import subprocess
import sys

from tests.unit.test_import_graph import ROOT

# what a task's body imports when it runs, never the collection
HEAVY = ("replica.deploy.deploy", "replica.commands.validate", "replica.gate.performance",
         "replica.data", "replica.engine", "numpy", "requests", "docker", "psycopg", "sqlalchemy")


def test_loading_the_tasks_imports_none_of_what_they_run():
    probe = ("import sys, replica.tasks; print(' '.join(m for m in sys.modules if m in "
             f"{HEAVY!r}))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    assert loaded == [], f"importing the tasks loads {loaded}: import them in the task's body"
