"""Kubernetes objects from the resolved compose model (replica/k8s/model.py), one builder per kind.

Each compose service becomes what Kubernetes runs it as: `db` a StatefulSet with a PVC (its named
volume), `migrate` a Job, the others Deployments; every service with a port a Service of its
name (so the compose hostnames the app's environment holds resolve in the namespace). A
container's `args` is the compose `command` (both replace the image's CMD, keep its ENTRYPOINT),
its environment a Secret of its own (`<service>-env`, envFrom: it holds passwords), its
readiness and liveness probes the compose healthcheck (the same test, interval, timeout, retries).
The app waits for the migrate Job as compose's `service_completed_successfully` does: an
initContainer of the app's image polls until the database is at the migrations' head.
"""
from __future__ import annotations

import re

from ..stack.services import BY_NAME

PART_OF = "mina-staging"
STATEFUL = {"db"}
DATA_MOUNT_SUBPATH = "data"   # a fresh volume's root may hold lost+found, which initdb refuses
# `flask db current` prints the revision the database is at, `flask db heads` the migrations' head
SCHEMA_AT_HEAD = ('until [ -n "$(flask --app main db heads 2>/dev/null | tail -n 1)" ] && '
                  '[ "$(flask --app main db current 2>/dev/null | tail -n 1)" = '
                  '"$(flask --app main db heads 2>/dev/null | tail -n 1)" ]; '
                  'do echo "waiting for the migrate Job"; sleep 2; done')
DURATION = re.compile(r"(\d+)(ms|s|m|h)")
MEMORY_UNITS = {"b": "", "k": "Ki", "m": "Mi", "g": "Gi"}


def labels(service: str, component: str | None = None) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": PART_OF,
            **({"app.kubernetes.io/component": component} if component else {})}


def seconds(duration: str) -> int:
    """A compose duration ("1s", "1m30s") in whole seconds, at least 1 (what a probe accepts)."""
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    total = sum(int(n) * scale[unit] for n, unit in DURATION.findall(str(duration)))
    return max(1, round(total))


def memory_quantity(compose_memory: str) -> str:
    """A compose memory size ("1g", "512m") as a Kubernetes quantity ("1Gi", "512Mi")."""
    match = re.fullmatch(r"(\d+)([bkmg]?)b?", compose_memory.strip().lower())
    if not match:
        raise ValueError(f"not a compose memory size: {compose_memory!r}")
    return match.group(1) + MEMORY_UNITS[match.group(2) or "b"]


def probe(healthcheck: dict) -> dict:
    """A compose healthcheck as an exec probe: the same test, every interval, within the timeout."""
    test = healthcheck["test"]
    command = test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]
    return {"exec": {"command": list(command)}, "periodSeconds": seconds(healthcheck["interval"]),
            "timeoutSeconds": seconds(healthcheck["timeout"]),
            "failureThreshold": int(healthcheck["retries"]), "successThreshold": 1}


def env_secret(name: str, environment: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": f"{name}-env", "labels": labels(name)},
            "stringData": dict(sorted(environment.items()))}


def container(name: str, service: dict, resources: dict | None = None) -> dict:
    spec = {"name": name, "image": service["image"], "imagePullPolicy": "IfNotPresent"}
    if service.get("command"):
        spec["args"] = list(service["command"])
    if service.get("environment"):
        spec["envFrom"] = [{"secretRef": {"name": f"{name}-env"}}]
    port = BY_NAME[name].container_port
    if port and not BY_NAME[name].one_shot:
        spec["ports"] = [{"name": "service", "containerPort": port, "protocol": "TCP"}]
    if service.get("healthcheck"):
        spec["readinessProbe"] = probe(service["healthcheck"])
        spec["livenessProbe"] = probe(service["healthcheck"])
    if resources:
        spec["resources"] = resources
    return spec


def resources_of(compose_env: dict[str, str]) -> dict | None:
    """The app's requests (and equal limits: staging's instance size) from APP_CPUS/APP_MEM_LIMIT."""
    cpus, memory = compose_env.get("APP_CPUS", "0"), compose_env.get("APP_MEM_LIMIT", "0")
    quantities = {}
    if float(cpus or 0) > 0:
        quantities["cpu"] = cpus
    if memory and memory != "0":
        quantities["memory"] = memory_quantity(memory)
    return {"requests": dict(quantities), "limits": dict(quantities)} if quantities else None


def pod_template(name: str, containers: list[dict], init: list[dict] | None = None,
                 restart: str | None = None, volumes: list[dict] | None = None) -> dict:
    spec: dict = {"containers": containers, "enableServiceLinks": False}
    if init:
        spec["initContainers"] = init
    if restart:
        spec["restartPolicy"] = restart
    if volumes:
        spec["volumes"] = volumes
    return {"metadata": {"labels": labels(name)}, "spec": spec}


def deployment(name: str, template: dict) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": labels(name)},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels(name)}, "template": template}}


def statefulset(name: str, service: dict, storage: str) -> dict:
    """A StatefulSet whose named compose volumes become volumeClaimTemplates."""
    spec = container(name, service)
    mounts, claims = [], []
    for volume in service.get("volumes") or []:
        source, target = (volume["source"], volume["target"]) if isinstance(volume, dict) \
            else volume.split(":")[:2]
        mounts.append({"name": source, "mountPath": target, "subPath": DATA_MOUNT_SUBPATH})
        claims.append({"metadata": {"name": source, "labels": labels(name)},
                       "spec": {"accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": storage}}}})
    spec["volumeMounts"] = mounts
    grace = seconds(service.get("stop_grace_period", "30s"))
    template = pod_template(name, [spec])
    template["spec"]["terminationGracePeriodSeconds"] = grace
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "labels": labels(name)},
            "spec": {"serviceName": name, "replicas": 1, "selector": {"matchLabels": labels(name)},
                     "template": template, "volumeClaimTemplates": claims}}


# A Job's pod template cannot change: Argo CD replaces it on every sync (a Sync hook, the previous
# run deleted first), so a new image's migrations run; `kubectl apply -k` needs `kubectl delete job`.
ARGO_CD_REPLACED_EACH_SYNC = {"argocd.argoproj.io/hook": "Sync",
                              "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}


def job(name: str, service: dict) -> dict:
    """A one-shot compose service as a Job, retried until its dependencies answer."""
    template = pod_template(name, [container(name, service)], restart="OnFailure")
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "labels": labels(name),
                         "annotations": dict(ARGO_CD_REPLACED_EACH_SYNC)},
            "spec": {"backoffLimit": 20, "template": template}}


def wait_for_schema(app: dict) -> dict:
    """The app's initContainer: its image and environment, until the database is at head."""
    return {"name": "wait-for-migrate", "image": app["image"], "imagePullPolicy": "IfNotPresent",
            "command": ["sh", "-c", SCHEMA_AT_HEAD],
            "envFrom": [{"secretRef": {"name": "app-env"}}]}


def service_object(name: str) -> dict:
    port = BY_NAME[name].container_port
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "labels": labels(name)},
            "spec": {"selector": labels(name),
                     "ports": [{"name": "service", "port": port, "targetPort": port, "protocol": "TCP"}]}}


def network_policy() -> dict:
    """Every pod of the namespace admits traffic from pods of the namespace only."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "same-namespace-only", "labels": labels(PART_OF)},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {}}]}]}}


def objects(model: dict, storage: str = "10Gi") -> list[dict]:
    """Every object of the replica under one set of profiles, in apply order."""
    services, compose_env = model["services"], model["compose_env"]
    found: list[dict] = [network_policy()]
    for name, service in services.items():
        if service.get("environment"):
            found.append(env_secret(name, service["environment"]))
    for name, service in services.items():
        if name in STATEFUL:
            found.append(statefulset(name, service, storage))
        elif BY_NAME[name].one_shot:
            found.append(job(name, service))
        else:
            resources = resources_of(compose_env) if name == "app" else None
            init = [wait_for_schema(service)] if "migrate" in (service.get("depends_on") or {}) else None
            found.append(deployment(name, pod_template(name, [container(name, service, resources)], init)))
        if BY_NAME[name].container_port and not BY_NAME[name].one_shot:
            found.append(service_object(name))
    return found
