"""`staging.k8s.render`: the replica as Kubernetes manifests, checked offline, written to a folder."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ..core import console
from ..core.errors import ConfigError
from ..engine import images as images_module
from ..k8s import output, render as render_module, validation
from ..stack import plan
from ..stack.services import BUILD_INPUTS, IMAGES, OPTIONAL_BUILD_INPUTS
from ..stack.settings import DEBIAN_SUITE, POOLER_SUITE, Settings

DEFAULT_KUBERNETES_VERSION = "1.34"
DEFAULT_REPOSITORY = "mina-staging"
DEFAULT_PARALLELISM = 2
REGISTRY = re.compile(r"[a-z0-9.-]+(:\d+)?(/[a-z0-9._-]+)*")
REPOSITORY = re.compile(r"[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*")


def default_output(settings: Settings) -> Path:
    return settings.state_dir / "k8s"


def image_tags(settings: Settings) -> dict[str, str]:
    """The replica's content-hash tags: those `up` built (its record), else computed as `up` would."""
    recorded = plan.load(settings)
    built = recorded.compose_env if recorded else {}
    tags = {i.variable: built[i.variable] for i in IMAGES
            if built.get(i.variable) and not built[i.variable].endswith(":unused")}
    base = settings.base_image or f"debian:{DEBIAN_SUITE}-slim"
    computed = {**images_module.service_image_tags(settings, base, BUILD_INPUTS),
                **images_module.service_image_tags(settings, f"debian:{POOLER_SUITE}-slim",
                                                   OPTIONAL_BUILD_INPUTS)}
    return {**computed, **tags}


def in_registry(tags: dict[str, str], registry: str | None, repository: str) -> dict[str, str]:
    """mina-staging/app:<hash> as REGISTRY/REPOSITORY/app:<hash> (the tags the user pushes)."""
    if registry is not None and not REGISTRY.fullmatch(registry):
        raise ConfigError(f"--registry {registry!r} is not a registry host (e.g. ghcr.io/acme)")
    if not REPOSITORY.fullmatch(repository):
        raise ConfigError(f"--repository {repository!r} is not an image repository path",
                          hint="lower-case path parts, e.g. mina-staging or team/mina")
    prefix = f"{registry}/{repository}" if registry else repository
    return {variable: f"{prefix}/{tag.split('/', 1)[1]}" for variable, tag in tags.items()}


def origin_url(settings: Settings) -> str | None:
    done = subprocess.run(["git", "-C", str(settings.root), "remote", "get-url", "origin"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def render(settings: Settings, output_dir: str | None = None, *, profiles: list[str] | None = None,
           k6: bool = False, parallelism: int | None = None, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION,
           registry: str | None = None, repository: str = DEFAULT_REPOSITORY,
           git_url: str | None = None) -> Path:
    """Render, validate offline and write the replica's manifests; return the folder."""
    version = validation.check_version(kubernetes_version)
    render_module.check_profiles(profiles)
    if parallelism is not None and not k6:
        raise ConfigError("--parallelism is the k6 TestRuns' runner count: give it with --k6")
    if k6:
        parallelism = render_module.k6_testrun.check_parallelism(
            DEFAULT_PARALLELISM if parallelism is None else parallelism)
    target = Path(output_dir) if output_dir else default_output(settings)
    output.check_writable(target)
    if git_url is not None:
        render_module.applicationset.github_repository(git_url)
    origin = origin_url(settings) if git_url is None else None
    if origin and not render_module.applicationset.GITHUB_URL.fullmatch(origin):
        origin = None
    tags = in_registry(image_tags(settings), registry, repository)
    rendering = render_module.render(settings, tags, profiles=profiles, git_url=git_url or origin,
                                     k6_parallelism=parallelism if k6 else None)
    objects = [*rendering.base, *(o for objs in rendering.variants.values() for o in objs),
               *rendering.k6, *([rendering.application_set] if rendering.application_set else [])]
    unchecked = validation.validate(objects, version)
    output.write(rendering, target)
    validation.check_builds(target, rendering)
    console.success(f"rendered {len(rendering.base)} objects and {len(rendering.overlays)} overlay(s) "
                    f"to {target}: valid for Kubernetes {version}, every kustomization builds")
    if unchecked:
        console.info(f"not schema-checked (custom resources, no bundled schema): {', '.join(unchecked)}")
    if not rendering.application_set:
        console.info("no ApplicationSet: origin is not a GitHub repository (pass --git-url)")
    console.info(f"images to push: {', '.join(sorted(set(tags.values())))}")
    console.info(f"deploy: kubectl apply -k {target / 'base'}  (a profile: {target / 'overlays'}/<name>)")
    return target
