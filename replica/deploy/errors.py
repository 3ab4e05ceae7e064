"""Errors of push-to-deploy and promotion, raised where the problem is known; tasks report them."""
from ..core.errors import ConfigError, StagingError
from ..core.exit_status import ExitStatus


class PromotionRefused(ConfigError):
    """A promotion that cannot be done as asked; nothing was tagged or merged."""


class PushFailed(StagingError):
    """`staging.promote --push`: the remote refused the push; nothing was promoted here or there."""

    exit_code = ExitStatus.PUSH_FAILED


class DeployRefused(ConfigError):
    """A deploy that cannot start (no remote, an unknown commit); nothing was deployed."""
