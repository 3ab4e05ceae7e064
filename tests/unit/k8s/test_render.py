"""The Kubernetes rendering holds what compose runs: command, environment, probes, ports, per profile.

The compose model (replica/stack/compose_model.py) is the reference: each rendered container is
compared with its compose service, for the base and under every fault profile; the overlays are
replayed with jsonpatch and built by `kubectl kustomize`, and must give each profile's objects.
"""
from __future__ import annotations

import pytest

from replica.k8s import manifests, model, overlays, render, validation, output
from replica.stack import profiles as profiles_module
from replica.stack.services import BY_NAME
from tests.unit.k8s.checkout import checkout_settings, registry_images

PROFILES = [n for n in profiles_module.catalogue() if n not in render.BASE_PROFILES]


def by_key(objects):
    return {overlays.key(o): o for o in objects}


def pod_spec(obj):
    return obj["spec"]["template"]["spec"]


def workloads(objects):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] in ("Deployment", "StatefulSet", "Job")}


@pytest.fixture(scope="module")
def rendered_checkout(tmp_path_factory):
    return checkout_settings(tmp_path_factory.mktemp("rendered") / "checkout")


@pytest.fixture(scope="module")
def rendering(rendered_checkout):
    """One rendering for the tests that only read it (each render resolves every profile)."""
    return render.render(rendered_checkout, registry_images(rendered_checkout),
                         git_url="https://github.com/acme/mina.git", k6_parallelism=3)


@pytest.mark.parametrize("profile", [None, *PROFILES])
def test_every_container_runs_what_compose_runs(settings, images, profile):
    catalogue = profiles_module.catalogue()
    chosen = [catalogue[n] for n in (*render.BASE_PROFILES, *([profile] if profile else []))]
    compose = model.resolved(settings, chosen, images)
    objects = manifests.objects(compose)
    secrets = {o["metadata"]["name"]: o["stringData"] for o in objects if o["kind"] == "Secret"}
    assert set(workloads(objects)) == set(compose["services"])
    for name, obj in workloads(objects).items():
        service, (container,) = compose["services"][name], pod_spec(obj)["containers"]
        assert container["image"] == service["image"]
        assert container.get("args") == service.get("command"), name
        environment = {k: v for ref in container.get("envFrom", [])
                       for k, v in secrets[ref["secretRef"]["name"]].items()}
        assert environment == service["environment"], name
        healthcheck = service.get("healthcheck")
        for probe in ("readinessProbe", "livenessProbe"):
            if healthcheck is None:
                assert probe not in container
                continue
            assert ["CMD", *container[probe]["exec"]["command"]] == healthcheck["test"], name
            assert container[probe]["periodSeconds"] == manifests.seconds(healthcheck["interval"])
            assert container[probe]["timeoutSeconds"] == manifests.seconds(healthcheck["timeout"])
            assert container[probe]["failureThreshold"] == int(healthcheck["retries"])
        ports = [p["containerPort"] for p in container.get("ports", [])]
        targets = sorted(int(p.split(":")[-1]) for p in service.get("ports", []))
        assert ports == (targets or ([BY_NAME[name].container_port] if BY_NAME[name].container_port
                                     and not BY_NAME[name].one_shot else []))


def test_the_app_is_stagings_gunicorn_command_and_waits_for_the_migrate_job(rendering, rendered_checkout):
    from replica.stack import declared
    app = workloads(rendering.base)["app"]
    assert " ".join(pod_spec(app)["containers"][0]["args"]) == declared.app_command(rendered_checkout.root)
    (init,) = pod_spec(app)["initContainers"]
    assert init["image"] == pod_spec(app)["containers"][0]["image"] and "db current" in init["command"][-1]
    migrate = workloads(rendering.base)["migrate"]
    assert migrate["kind"] == "Job"   # replaced on each Argo CD sync: its pod template is immutable
    assert migrate["metadata"]["annotations"]["argocd.argoproj.io/hook-delete-policy"] == "BeforeHookCreation"


def test_postgres_is_a_statefulset_with_a_claim_and_the_app_has_smalls_requests(rendering):
    db = workloads(rendering.base)["db"]
    assert db["kind"] == "StatefulSet"
    (claim,) = db["spec"]["volumeClaimTemplates"]
    assert pod_spec(db)["containers"][0]["volumeMounts"][0]["name"] == claim["metadata"]["name"]
    small = profiles_module.catalogue()["small"].compose_env
    resources = pod_spec(workloads(rendering.base)["app"])["containers"][0]["resources"]
    assert resources["requests"] == {"cpu": small["APP_CPUS"],
                                     "memory": manifests.memory_quantity(small["APP_MEM_LIMIT"])}


def test_nothing_outside_the_namespace_is_admitted(rendering):
    (policy,) = [o for o in rendering.base if o["kind"] == "NetworkPolicy"]
    assert policy["spec"]["podSelector"] == {} and policy["spec"]["policyTypes"] == ["Ingress"]
    assert policy["spec"]["ingress"] == [{"from": [{"podSelector": {}}]}]   # no namespaceSelector


def test_a_service_per_port_named_as_compose_names_its_host(rendering):
    services = {o["metadata"]["name"]: o["spec"]["ports"][0]["port"]
                for o in rendering.base if o["kind"] == "Service"}
    assert services == {"app": 5000, "db": 5432, "redis": 6379, "mock-openai": 8080, "error-sink": 9000}


def test_each_overlay_replayed_with_jsonpatch_gives_its_profiles_objects(rendering):
    assert set(rendering.overlays) >= {"tls", "pooled", "redis-off", "db-slow", "openai-down"}
    for name, overlay in rendering.overlays.items():
        assert by_key(overlays.apply(rendering.base, overlay)) == by_key(rendering.variants[name]), name


def test_every_kustomization_builds_to_the_rendered_objects(rendering, tmp_path):
    roots = output.write(rendering, tmp_path / "k8s")
    assert by_key(validation.kustomize_build(tmp_path / "k8s" / "base")) == by_key(rendering.base)
    for name in rendering.overlays:
        built = validation.kustomize_build(tmp_path / "k8s" / "overlays" / name)
        assert by_key(built) == by_key(rendering.variants[name]), name
    assert tmp_path / "k8s" / "k6" in roots
    validation.check_builds(tmp_path / "k8s", rendering)


def test_an_overlay_that_builds_something_else_is_caught(rendering, tmp_path):
    output.write(rendering, tmp_path / "k8s")
    kustomization = tmp_path / "k8s" / "overlays" / "tls" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().split("patches:")[0])   # its patches lost
    with pytest.raises(validation.ValidationFailed, match="overlays/tls"):
        validation.check_builds(tmp_path / "k8s", rendering)


def test_a_failed_write_leaves_the_previous_render_as_it_was(rendering, tmp_path, monkeypatch):
    output.write(rendering, tmp_path / "k8s")
    before = {p: p.read_bytes() for p in (tmp_path / "k8s").rglob("*") if p.is_file()}
    monkeypatch.setattr(output, "_kustomized", lambda *args: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        output.write(rendering, tmp_path / "k8s")
    assert {p: p.read_bytes() for p in (tmp_path / "k8s").rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k8s"]   # nothing staged left


def test_every_object_passes_kubernetes_schemas(rendering):
    objects = [*rendering.base, *(o for objs in rendering.variants.values() for o in objs), *rendering.k6]
    unchecked = validation.validate(objects, validation.check_version("1.34"))
    assert unchecked == ["k6.io/v1alpha1/TestRun"]


def test_a_field_kubernetes_does_not_know_is_refused(rendering):
    broken = [{**rendering.base[0], "spec": {**rendering.base[0]["spec"], "bogus": 1}}]
    with pytest.raises(validation.ValidationFailed, match="bogus"):
        validation.validate(broken, "1.34")


def test_the_applicationset_gives_each_pull_request_its_namespace(rendering):
    spec = rendering.application_set["spec"]
    (generator,) = spec["generators"]
    assert generator["pullRequest"]["github"]["owner"] == "acme"
    assert generator["pullRequest"]["github"]["repo"] == "mina"
    assert spec["template"]["spec"]["destination"]["namespace"] == "mina-staging-pr-{{.number}}"
    assert spec["template"]["spec"]["source"]["targetRevision"] == "{{.head_sha}}"


def test_the_k6_testruns_have_the_parallelism(rendering):
    runs = [o for o in rendering.k6 if o["kind"] == "TestRun"]
    assert runs and all(r["spec"]["parallelism"] == 3 for r in runs)


def test_images_are_the_replicas_tags_in_the_named_registry(rendering, rendered_checkout):
    from replica.commands import k8s as k8s_command
    tags = k8s_command.image_tags(rendered_checkout)
    app = pod_spec(workloads(rendering.base)["app"])["containers"][0]["image"]
    assert app == "registry.example:5000/team/mina/" + tags["APP_IMAGE"].split("/", 1)[1]
