"""`staging.k8s.render` as a user runs it: a folder that `kubectl apply -k` and Argo CD read."""
import json

import yaml

from replica.commands import k8s as k8s_command
from replica.stack.state import STACK_FILE


def test_the_command_writes_base_overlays_applicationset_and_k6(settings, tmp_path):
    out = k8s_command.render(settings, str(tmp_path / "out"), k6=True, parallelism=4,
                             git_url="https://github.com/acme/mina", kubernetes_version="v1.33.0")
    assert sorted(p.name for p in out.iterdir()) == ["applicationset.yaml", "base", "k6", "overlays"]
    kustomization = yaml.safe_load((out / "base" / "kustomization.yaml").read_text())
    assert all((out / "base" / name).is_file() for name in kustomization["resources"])
    runs = [yaml.safe_load(p.read_text()) for p in (out / "k6").glob("testrun-*.yaml")]
    assert runs and {r["spec"]["parallelism"] for r in runs} == {4}


def test_without_a_github_origin_there_is_no_applicationset(settings, tmp_path):
    out = k8s_command.render(settings, str(tmp_path / "out"))   # the tmp checkout is no git clone
    assert not (out / "applicationset.yaml").exists() and not (out / "k6").exists()


def test_the_images_are_those_up_built_when_it_ran(settings):
    computed = k8s_command.image_tags(settings)
    record = {"services": [], "ports": {}, "app_env": {}, "profiles": [],
              "compose_env": {"APP_IMAGE": "mina-staging/app:built0000000",
                              "PGBOUNCER_IMAGE": "mina-staging/pgbouncer:unused"}}
    (settings.state_dir).mkdir(parents=True, exist_ok=True)
    (settings.state_dir / STACK_FILE).write_text(json.dumps(record))
    tags = k8s_command.image_tags(settings)
    assert tags["APP_IMAGE"] == "mina-staging/app:built0000000"
    assert tags["PGBOUNCER_IMAGE"] == computed["PGBOUNCER_IMAGE"]   # never built: computed as up would


def test_registry_and_repository_prefix_the_tags():
    tags = {"APP_IMAGE": "mina-staging/app:abc"}
    assert k8s_command.in_registry(tags, None, "mina-staging") == tags
    assert k8s_command.in_registry(tags, "ghcr.io/acme", "mina") == {"APP_IMAGE": "ghcr.io/acme/mina/app:abc"}
