"""The k6 suites as a k6-operator TestRun: the pods see k6/ as it is here, and k6 accepts the run.

Each test lays the scripts ConfigMap out as the kubelet mounts it (each item's key at its path under
the runner's volumeMount), then runs what k6-operator's initializer runs there: `k6 archive` of the
TestRun's localFile with the runner's env given as `-e NAME=value`.
"""
import json
import subprocess
from pathlib import Path

import pytest

from replica.core.errors import ConfigError
from replica.gate import k6_runner
from replica.gate.errors import GateError
from replica.k8s import k6_testrun


def mount(configmap: dict, run: dict, at: Path) -> Path:
    """Write the ConfigMap's items where the runner's volumeMount puts them; return the mount."""
    runner = run["spec"]["runner"]
    (volume,) = [v for v in runner["volumes"] if v["name"] == k6_testrun.SCRIPTS_VOLUME]
    (mounted,) = [m for m in runner["volumeMounts"] if m["name"] == k6_testrun.SCRIPTS_VOLUME]
    assert volume["configMap"]["name"] == configmap["metadata"]["name"]
    root = at / mounted["mountPath"].lstrip("/")
    for item in volume["configMap"]["items"]:
        (root / item["path"]).parent.mkdir(parents=True, exist_ok=True)
        (root / item["path"]).write_text(configmap["data"][item["key"]])
    return root


def initializer_archive(run: dict, root: Path, tmp_path: Path, **env) -> subprocess.CompletedProcess:
    """k6-operator's initializer: `k6 archive <localFile> -e NAME=value… -O archive.tar`."""
    script = root / Path(run["spec"]["script"]["localFile"]).relative_to(k6_testrun.SCRIPTS_MOUNT)
    variables = {e["name"]: e["value"] for e in run["spec"]["runner"]["env"]} | env
    argv = [str(k6_runner.find_k6()), "archive", str(script), "-O", str(tmp_path / "archive.tar")]
    argv += [arg for key, value in variables.items() for arg in ("-e", f"{key}={value}")]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def test_the_mounted_scripts_are_k6_as_it_is_here(tmp_path):
    configmap, run = k6_testrun.render(2, ("load",))
    root = mount(configmap, run, tmp_path)
    mounted = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}
    here = k6_runner.K6_DIR
    read = ["load.js", "smoke.js", "stress.js", "slo.json",
            *(f"lib/{f.name}" for f in (here / "lib").glob("*.js"))]
    assert mounted == {path: (here / path).read_text() for path in read}


@pytest.mark.parametrize("suite", ["smoke", "load", "stress"])
def test_k6_archives_each_suite_as_the_initializer_would_and_plans_its_peak(suite, tmp_path):
    configmap, run = k6_testrun.render(3, (suite,))
    root = mount(configmap, run, tmp_path)
    archived = initializer_archive(run, root, tmp_path)
    assert archived.returncode == 0, archived.stderr
    inspected = subprocess.run([str(k6_runner.find_k6()), "inspect", "--execution-requirements",
                                str(tmp_path / "archive.tar")], capture_output=True, text=True, timeout=60)
    plan = json.loads((k6_runner.K6_DIR / "slo.json").read_text())["suites"][suite]
    peak = plan.get("vus") or max(target for _, target in plan["stages"])
    assert json.loads(inspected.stdout)["maxVUs"] == peak   # the operator splits these over 3 pods
    assert run["spec"]["parallelism"] == 3


@pytest.mark.parametrize("env, refusal", [
    ({"BASE_URL": "https://mina-staging.replit.app"}, "not a Service of this namespace"),
    ({"K6_IN_CLUSTER": "false"}, "not a loopback address")])   # outside a TestRun: loopback only
def test_the_scripts_still_refuse_any_other_target(env, refusal, tmp_path):
    configmap, run = k6_testrun.render(1, ("smoke",))
    archived = initializer_archive(run, mount(configmap, run, tmp_path), tmp_path, **env)
    assert archived.returncode != 0 and refusal in archived.stderr


def test_the_runner_image_is_the_k6_the_gate_runs_here():
    version = subprocess.run([str(k6_runner.find_k6()), "version"], capture_output=True, text=True)
    _, run = k6_testrun.render(2, ("load",))
    assert version.stdout.startswith(f"k6 v{run['spec']['runner']['image'].split(':')[1]} ")


@pytest.mark.parametrize("parallelism", [0, -2, "4", True])
def test_a_parallelism_below_one_is_refused(parallelism):
    with pytest.raises(ConfigError, match="at least 1"):
        k6_testrun.render(parallelism, ("load",))


def test_an_unknown_suite_is_refused_before_anything_is_rendered():
    with pytest.raises(GateError, match="no k6 suite"):
        k6_testrun.render(2, ("soak",))


def test_by_default_the_full_suites_share_one_scripts_configmap():
    configmap, *runs = k6_testrun.render(2)
    assert [run["spec"]["script"]["localFile"] for run in runs] == ["/k6/load.js", "/k6/stress.js"]
    assert {run["spec"]["runner"]["volumes"][0]["configMap"]["name"] for run in runs} == \
        {configmap["metadata"]["name"]}
