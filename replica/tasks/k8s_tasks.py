"""`staging.k8s.render`: the replica as Kubernetes manifests (replica/commands/k8s.py)."""
from __future__ import annotations

from invoke import Collection

from .cli import task
from .reporting import reported, settings_for
from .stack_tasks import NAME_HELP


@task(name="render", iterable=["profile"], numbers={"parallelism": 1}, auto_shortflags=False,
      help={"name": NAME_HELP,
            "output": "write the manifests here (default .staging/<replica>/k8s; replaced whole)",
            "profile": "render only these fault profiles' overlays (repeatable; default: every one "
                       "that changes an object)",
            "k6": "also render the k6 load and stress suites as k6-operator TestRuns",
            "parallelism": "with --k6: k6 runner pods per TestRun (default 2)",
            "kubernetes_version": "validate against this Kubernetes version's schemas (default 1.34)",
            "registry": "the registry the user pushes the replica's images to (e.g. ghcr.io/acme)",
            "repository": "the images' repository path in it (default mina-staging)",
            "git_url": "the GitHub repository the ApplicationSet deploys pull requests of "
                       "(default: origin, when it is GitHub)"})
@reported
def render_(c, name=None, output=None, profile=None, k6=False, parallelism=None, kubernetes_version="1.34",
            registry=None, repository="mina-staging", git_url=None):
    """Render the replica as Kubernetes manifests, validate them offline, write a kustomization."""
    from ..commands.k8s import render

    render(settings_for(name), output, profiles=profile, k6=k6, parallelism=parallelism,
           kubernetes_version=kubernetes_version, registry=registry, repository=repository,
           git_url=git_url)


collection = Collection("k8s", render_)
