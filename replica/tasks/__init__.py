"""The invoke namespace users type: `invoke staging.<task>` (tasks.py at the root loads this)."""
from invoke import Collection

from . import bundle_tasks, cli, db_tasks, mock_tasks, parity_tasks, stack_tasks, test_tasks
from . import deploy_tasks, gate_tasks, history_tasks, k8s_tasks

cli.install()

staging = Collection("staging")
for task in stack_tasks.TASKS:
    staging.add_task(task)
staging.add_collection(db_tasks.collection)
staging.add_task(parity_tasks.parity_)
staging.add_task(bundle_tasks.bundle)
staging.add_collection(mock_tasks.openai)
staging.add_task(mock_tasks.errors)
for task in gate_tasks.VALIDATE_TASKS:
    staging.add_task(task)
staging.add_collection(deploy_tasks.remote)
for task in deploy_tasks.PROMOTE_TASKS:
    staging.add_task(task)
for task in history_tasks.TASKS:
    staging.add_task(task)
staging.add_collection(k8s_tasks.collection)
hooks = Collection("hooks", *gate_tasks.HOOK_TASKS)

namespace = Collection(staging, test_tasks.test, hooks)
