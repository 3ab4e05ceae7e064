"""The replica's services, one row each: everything else (compose variables, ports, URLs, status,
which image to build, which profile runs it) is derived from this table, and
tests/unit/stack/test_services_table.py holds each row to docker-compose.staging.yml.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Image:
    """An image the replica builds: its short name and what its build reads (hashed into its tag)."""

    variable: str                  # the compose variable holding its tag, e.g. APP_IMAGE
    short: str                     # the tag's repository part: mina-staging/<short>:<digest>
    inputs: tuple[str, ...]        # paths under the checkout
    optional: bool = False         # built only when a profile asks for it (on Debian trixie)


@dataclass(frozen=True)
class Service:
    """One compose service of the replica."""

    name: str
    image: str                     # Image.variable
    container_port: int | None = None  # what it listens on inside the stack network
    host_port: int | None = None   # its preferred port on 127.0.0.1 (None: not published)
    scheme: str | None = None      # of its URL on the host
    profile: str | None = None     # the compose profile that runs it (None: always)
    one_shot: bool = False         # runs to completion (migrate), not kept running

    @property
    def published(self) -> bool:
        return self.host_port is not None


IMAGES = (
    Image("DB_IMAGE", "db", ("docker/postgres",)),
    Image("REDIS_IMAGE", "redis", ("docker/redis",)),
    Image("MOCKS_IMAGE", "mocks", ("docker/python/Dockerfile", "mocks")),
    Image("APP_IMAGE", "app", ("docker/python/Dockerfile", "docker/python/gunicorn_replica.conf.py",
                               "docker/python/replica-requirements.txt", "app", "db/migrations")),
    Image("PGBOUNCER_IMAGE", "pgbouncer", ("docker/pgbouncer",), optional=True),
)

TABLE = (
    Service("app", "APP_IMAGE", 5000, 5000, "http"),
    Service("db", "DB_IMAGE", 5432, 15432, "postgresql"),
    Service("redis", "REDIS_IMAGE", 6379, 16379, "redis", profile="redis"),
    Service("mock-openai", "MOCKS_IMAGE", 8080, 18080, "http"),
    Service("error-sink", "MOCKS_IMAGE", 9000, 19000, "http"),
    Service("migrate", "APP_IMAGE", one_shot=True),
    Service("db-proxy", "MOCKS_IMAGE", 5432, profile="dbproxy"),
    Service("pgbouncer", "PGBOUNCER_IMAGE", 6432, profile="pooled"),
)
BY_NAME = {service.name: service for service in TABLE}

# Derived views, for the modules that read one column.
SERVICES = tuple(s.name for s in TABLE if s.published)                 # users type these
ONE_SHOT_SERVICES = tuple(s.name for s in TABLE if s.one_shot)
PROFILE_SERVICES = {s.profile: s.name for s in TABLE if s.profile and not s.published}
PREFERRED_PORTS = {s.name: s.host_port for s in TABLE if s.published}
CONTAINER_PORTS = {s.name: s.container_port for s in TABLE if s.container_port}
URL_SCHEMES = {s.name: s.scheme for s in TABLE if s.scheme}
# Which service's build makes each image (`docker compose build SERVICE`): the first that uses it.
IMAGE_SERVICES = {image.variable: next(s.name for s in TABLE if s.image == image.variable)
                  for image in IMAGES}
BUILD_INPUTS = {i.variable: (i.short, list(i.inputs)) for i in IMAGES if not i.optional}
OPTIONAL_BUILD_INPUTS = {i.variable: (i.short, list(i.inputs)) for i in IMAGES if i.optional}
APP_PORT = BY_NAME["app"].container_port   # gunicorn's bind inside the container


def compose_variable(service: str, what: str) -> str:
    """Name a service's compose variable: compose_variable("app-pooled", "PORT") is APP_POOLED_PORT."""
    return f"{service.upper().replace('-', '_')}_{what}"
