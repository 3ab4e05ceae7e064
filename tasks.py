"""invoke's entry point: `invoke --list` shows the tasks; `invoke staging.up --help` explains one."""
from replica.tasks import namespace as ns  # noqa: F401
