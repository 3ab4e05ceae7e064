"""The replica's compose model for Kubernetes: the compose file resolved as `up` would run it there.

One source of truth: the same compose file, compose environment (plan.compose_environment) and
app environment (plan.app_environment) `staging.up` uses, resolved by replica/stack/compose_model.py.
Only what a cluster has differently is given here: no host ports, the app's URL is its Service's,
images are tags a registry holds, and the app's env file is handed over without being written.
"""
from __future__ import annotations

from ..stack import compose_model, credentials, envprofile, plan
from ..stack.profiles import Profile
from ..stack.services import CONTAINER_PORTS, SERVICES
from ..stack.settings import Settings

APP_SERVICE_URL = f"http://app:{CONTAINER_PORTS['app']}"   # ${APP_URL} in the app's environment


def resolved(settings: Settings, profiles: list[Profile], images: dict[str, str]) -> dict:
    """The resolved compose model of the replica under these profiles, for a cluster."""
    app_env, db_credentials, upstream = plan.app_environment(settings, profiles, None, APP_SERVICE_URL)
    services = [s for s in SERVICES if s != "redis" or envprofile.redis_enabled(app_env)]
    compose_profiles = plan.compose_profiles_of(services, profiles)
    compose_env = plan.compose_environment(
        settings, profiles, compose_profiles, images=images, app_env=app_env,
        db_credentials=db_credentials, upstream=upstream, chosen_ports={},
        redis_password=credentials.replica_secrets(settings)["REDIS_PASSWORD"])
    env_files = {compose_env["APP_ENV_FILE"]: app_env}
    return {"compose_env": compose_env,
            **compose_model.resolve(settings.compose_file, compose_env, env_files)}
