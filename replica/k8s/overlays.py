"""The fault profiles as kustomize overlays of the base: RFC 6902 patches, added and removed objects.

An overlay is computed, not written by hand: the base's objects and the profile's (both rendered
from the compose model) are compared object by object; a changed one gets a JSON patch
(`jsonpatch.make_patch`), one only the profile has is a resource of the overlay, and one only the
base has is deleted (a strategic-merge `$patch: delete`, which RFC 6902 cannot say). apply()
replays an overlay with `jsonpatch` to check it gives the profile's objects exactly.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import jsonpatch
import yaml


def key(obj: dict) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def file_name(obj: dict) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


@dataclass(frozen=True)
class Overlay:
    profile: str
    patches: dict[tuple[str, str], list[dict]] = field(default_factory=dict)  # (kind, name): ops
    added: list[dict] = field(default_factory=list)
    removed: list[tuple[str, str, str]] = field(default_factory=list)         # apiVersion, kind, name

    @property
    def empty(self) -> bool:
        return not (self.patches or self.added or self.removed)

    def kustomization(self, base: str = "../../base") -> dict:
        patches = [{"target": {"kind": kind, "name": name}, "patch": _yaml(ops)}
                   for (kind, name), ops in self.patches.items()]
        patches += [{"patch": _yaml({"apiVersion": api, "kind": kind,
                                               "metadata": {"name": name}, "$patch": "delete"})}
                     for api, kind, name in self.removed]
        document = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                    "resources": [base, *(file_name(obj) for obj in self.added)]}
        if patches:
            document["patches"] = patches
        return document


def _yaml(document) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def overlay(profile: str, base: list[dict], variant: list[dict]) -> Overlay:
    """The overlay turning base's objects into variant's."""
    ours, theirs = {key(o): o for o in base}, {key(o): o for o in variant}
    patches = {k: jsonpatch.make_patch(ours[k], theirs[k]).patch for k in ours if k in theirs
               and ours[k] != theirs[k]}
    added = [theirs[k] for k in theirs if k not in ours]
    removed = [(ours[k]["apiVersion"], *k) for k in ours if k not in theirs]
    return Overlay(profile, patches, added, removed)


def apply(base: list[dict], overlay_: Overlay) -> list[dict]:
    """Replay an overlay on the base's objects (jsonpatch), as kustomize would build it."""
    gone = {(kind, name) for _, kind, name in overlay_.removed}
    result = []
    for obj in base:
        if key(obj) in gone:
            continue
        ops = overlay_.patches.get(key(obj))
        result.append(jsonpatch.apply_patch(obj, ops) if ops else copy.deepcopy(obj))
    return result + [copy.deepcopy(obj) for obj in overlay_.added]
