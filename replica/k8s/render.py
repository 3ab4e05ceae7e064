"""The replica rendered for Kubernetes: the base, an overlay per fault profile, the ApplicationSet, k6.

The base is the replica under the `small` profile (staging's instance size gives the app's resource
requests) with Redis on, as staging runs it; each other fault profile that changes an object is an
overlay (replica/k8s/overlays.py). Profiles that change nothing a cluster runs (prod-scale: the
data the replica loads) have none.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.errors import ConfigError
from ..stack import profiles as profiles_module
from ..stack.settings import Settings
from . import applicationset, k6_testrun, manifests, model, overlays

BASE_PROFILES = ("small",)
K6_SUITES = k6_testrun.FULL_SUITES


@dataclass(frozen=True)
class Rendering:
    base: list[dict]
    overlays: dict[str, overlays.Overlay]
    variants: dict[str, list[dict]]          # each profile's objects, what its overlay must build
    application_set: dict | None = None
    k6: list[dict] = field(default_factory=list)


def check_profiles(names: list[str] | None) -> list[str]:
    """The overlays asked for (default: every profile but the base's); an unknown one is an error."""
    catalogue = profiles_module.catalogue()
    unknown = [n for n in names or [] if n not in catalogue]
    if unknown:
        raise ConfigError(f"unknown profile {unknown[0]!r}",
                          hint=f"one of {', '.join(catalogue)} (`invoke staging.profiles`)")
    return list(names) if names else [n for n in catalogue if n not in BASE_PROFILES]


def render(settings: Settings, images: dict[str, str], *,
           profiles: list[str] | None = None, git_url: str | None = None,
           path: str = "deploy/k8s/base", k6_parallelism: int | None = None) -> Rendering:
    catalogue = profiles_module.catalogue()
    wanted = check_profiles(profiles)
    if k6_parallelism is not None:
        k6_testrun.check_parallelism(k6_parallelism)

    def objects_under(names: list[str]) -> list[dict]:
        chosen = [catalogue[n] for n in dict.fromkeys([*BASE_PROFILES, *names])]
        return manifests.objects(model.resolved(settings, chosen, images))

    base = objects_under([])
    variants = {name: objects_under([name]) for name in wanted}
    computed = {name: overlays.overlay(name, base, objs) for name, objs in variants.items()}
    return Rendering(
        base=base,
        overlays={name: o for name, o in computed.items() if not o.empty},
        variants={name: variants[name] for name, o in computed.items() if not o.empty},
        application_set=applicationset.application_set(git_url, path) if git_url else None,
        k6=k6_testrun.render(k6_parallelism) if k6_parallelism is not None else [])
