"""The runbook's workflows as templates: valid YAML, on the runbook's triggers, calling our own tasks."""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from replica.tasks import namespace

TEMPLATES = Path(__file__).resolve().parents[3] / "ci-templates" / "github"


def workflow(name: str) -> dict:
    return yaml.safe_load((TEMPLATES / name).read_text())


def dev_calls(document: dict) -> list[list[str]]:
    """Every `./dev TASK ARGS` line of the workflow's run steps, split as a shell would."""
    lines = [line.strip() for job in document["jobs"].values() for step in job["steps"]
             for line in step.get("run", "").splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("./dev ")]


@pytest.mark.parametrize("name", ["deploy-staging.yml", "promote-to-production.yml"])
def test_every_task_a_template_calls_exists_with_the_flags_it_passes(name):
    calls = dev_calls(workflow(name))
    assert calls
    for task_name, *args in calls:
        task = namespace.task_with_config(task_name)[0]
        flags = {f"--{a.replace('_', '-')}" for a in task.argspec(task.body).parameters}
        assert {a for a in args if a.startswith("--")} <= flags, (task_name, args)


def test_deploy_staging_runs_on_a_push_to_staging_and_fails_on_a_red_record():
    document = workflow("deploy-staging.yml")
    assert document[True]["push"]["branches"] == ["staging"]  # YAML 1.1 reads `on` as true
    runs = "\n".join(step.get("run", "") for step in document["jobs"]["deploy-staging"]["steps"])
    assert "git push staging HEAD:staging" in runs
    assert 'record="$(ls -d results/deploy-* | sort | tail -1)/report.json"' in runs
    assert "jq -e '.passed' \"$record\"" in runs


def test_promotion_gates_before_it_promotes_and_pushes():
    calls = [call[0] for call in dev_calls(workflow("promote-to-production.yml"))]
    assert calls.index("staging.validate") < calls.index("staging.promote")
    promote_call = next(c for c in dev_calls(workflow("promote-to-production.yml"))
                        if c[0] == "staging.promote")
    assert "--push" in promote_call
