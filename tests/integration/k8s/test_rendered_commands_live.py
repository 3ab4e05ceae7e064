"""The rendered pods' commands, run where they would run: in the replica's own containers (the same
images and environment). No cluster here: this is as close to a kubelet as the engine gets."""
from replica.commands import k8s as k8s_command
from replica.engine import health
from replica.k8s import render

MARKER = "/dev/shm/mina-healthy"   # the settled probes' marker (docker-compose.staging.yml)


def _container(replica, service):
    (container,) = health.engine_client().containers.list(filters={"label": [
        f"{health.PROJECT_LABEL}={replica.settings.project}", f"{health.SERVICE_LABEL}={service}"]})
    return container


def _pod_specs(replica):
    rendering = render.render(replica.settings, k8s_command.image_tags(replica.settings))
    return {o["metadata"]["name"]: o["spec"]["template"]["spec"] for o in rendering.base
            if o["kind"] in ("Deployment", "StatefulSet")}


def test_every_rendered_probe_passes_in_its_service_container(replica):
    for name, spec in _pod_specs(replica).items():
        container = _container(replica, name)
        container.exec_run(["rm", "-f", MARKER])   # not settled: the probe answers at once
        probe = spec["containers"][0]["readinessProbe"]["exec"]["command"]
        done = container.exec_run(probe)
        assert done.exit_code == 0, (name, done.output.decode(errors="replace"))


def test_the_apps_init_container_passes_once_migrated_and_waits_on_an_unmigrated_database(replica):
    (init,) = _pod_specs(replica)["app"]["initContainers"]
    app = _container(replica, "app")
    done = app.exec_run(init["command"])
    assert done.exit_code == 0, done.output.decode(errors="replace")
    # a database without the schema (here: none at all): still waiting when `timeout` ends it
    elsewhere = ("export DATABASE_URL=$(echo \"$DATABASE_URL\" | sed 's#/[^/?]*\\([?]\\|$\\)#/no_schema_yet\\1#');"
                 " timeout 30 sh -c \"$0\"")
    waiting = app.exec_run(["sh", "-c", elsewhere, init["command"][-1]])
    assert waiting.exit_code == 124, waiting.output.decode(errors="replace")
    assert b"waiting for the migrate Job" in waiting.output
