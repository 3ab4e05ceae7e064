"""Where push-to-deploy keeps a replica's deployment, all under the pushing checkout's .staging/<replica>/."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REMOTE_NAME = "staging"  # the git remote `staging.remote.install` adds
DEPLOY_BRANCH = "staging"  # a push to this branch deploys, as a push to staging does on Replit
COMPOSE_FILE = "docker-compose.staging.yml"  # a commit without it has nothing to bring up


@dataclass(frozen=True)
class Layout:
    """The paths of one replica's deployment."""

    state_dir: Path  # the pushing checkout's .staging/<replica>

    @property
    def remote(self) -> Path:
        """The bare repository pushes land in; its post-receive hook deploys."""
        return self.state_dir / "remote.git"

    @property
    def work_tree(self) -> Path:
        """The checkout of the deployed commit the replica runs from."""
        return self.state_dir / "deploy"

    @property
    def candidate_tree(self) -> Path:
        """The checkout of the pushed commit its candidate replica is judged on."""
        return self.state_dir / "candidate"

    @property
    def lock(self) -> Path:
        """Held while a deploy runs: a second push waits for it."""
        return self.state_dir / "deploy.lock"

    @property
    def serving(self) -> Path:
        """The last green deployment: what a promotion that fails returns to."""
        return self.state_dir / "serving.json"
