"""The invoke namespace users type: `invoke staging.<task>` (tasks.py at the root loads this)."""
from invoke import Collection

from . import db_tasks, stack_tasks, test_tasks

staging = Collection("staging")
for task in stack_tasks.TASKS:
    staging.add_task(task)
staging.add_collection(db_tasks.collection)

namespace = Collection(staging, test_tasks.test)
