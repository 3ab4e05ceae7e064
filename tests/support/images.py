"""The project's own service images for throwaway test containers: tags and, when missing, a build.

The tags are the ones `invoke staging.up` uses (a hash of what each build reads, replica/engine/images.py),
so a machine that has run the replica already has them and nothing is built; there is no registry
to pull from. A missing image is built the way `up` builds it, by `docker compose build` over a
stack prepared for a scratch replica (`<test replica>-images`, only its `.staging/` files).
This is the one module of tests/support that imports replica/ internals.
"""
from __future__ import annotations

import functools
import os
from dataclasses import replace

from replica.engine import images
from replica.stack import profiles, plan as stack
from replica.stack.services import IMAGE_SERVICES
from replica.stack.settings import from_environment, test_replica_name
from replica.engine.compose import Compose

TEST_REPLICA = test_replica_name()
POOLED = "pooled"  # the profile whose stack includes the PgBouncer image


def _settings():
    name = f"{TEST_REPLICA}-images"
    return replace(from_environment().with_name(name), pinned_ports={})


def image_tags(*variables: str) -> dict[str, str]:
    """Return {DB_IMAGE: tag, ...} for the named compose variables, building the missing images."""
    return {v: _tag(v) for v in variables}


@functools.cache  # once per process: the tags hash every file a build reads
def _tag(variable: str) -> str:
    return _ensure(variable)[variable]


def _ensure(*variables: str) -> dict[str, str]:
    settings = _settings()
    base = images.ensure_base_image(settings)
    tags = images.service_image_tags(settings, base)
    if "PGBOUNCER_IMAGE" in variables:
        tags.update(images.pooler_image_tag(settings))
    missing = [v for v in variables if not images.image_id(tags[v])]
    if missing:
        chosen = profiles.resolve([POOLED] if "PGBOUNCER_IMAGE" in missing else [])
        prepared = stack.prepare(settings, set(), chosen, None, images.image_environment)
        Compose(prepared.settings).run("build", *(IMAGE_SERVICES[v] for v in missing), timeout=1800)
        tags = {**tags, **{v: prepared.compose_env[v] for v in missing}}
    return {v: tags[v] for v in variables}
