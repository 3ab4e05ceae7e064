"""`docker compose` for one replica: the stack file, its project name and its variables."""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ComposeError, not_up
from ..stack.settings import Settings, health_compose_env
from ..stack.state import COMPOSE_ENV



@dataclass(frozen=True)
class Compose:
    """Runs compose commands against one replica's project."""

    settings: Settings
    extra_env_files: tuple[Path, ...] = ()  # read after compose.env, overriding it (the gate's variants)

    @property
    def env_file(self) -> Path:
        return self.settings.state_dir / COMPOSE_ENV

    def base_command(self) -> list[str]:
        extra = [arg for path in self.extra_env_files for arg in ("--env-file", str(path))]
        return ["docker", "compose", "--project-directory", str(self.settings.root),
                "-f", str(self.settings.compose_file), "--env-file", str(self.env_file), *extra]

    def require_env(self) -> None:
        """Fail clearly when this replica was never brought up (no variables to run compose with)."""
        if not self.env_file.is_file():
            raise not_up(self.settings.name)

    def run(self, *args: str, capture: bool = True, check: bool = True,
            timeout: float | None = None) -> subprocess.CompletedProcess:
        """Run `docker compose ARGS`; raise ComposeError with compose's own words on failure."""
        self.require_env()
        done = subprocess.run([*self.base_command(), *args], capture_output=capture, text=True,
                              timeout=timeout, env=self._process_env())
        if check and done.returncode != 0:
            detail = (done.stderr or done.stdout or "").strip() if capture else ""
            raise ComposeError(f"`docker compose {' '.join(args)}` failed"
                               + (f":\n{detail[-2000:]}" if detail else ""))
        return done

    def popen(self, *args: str) -> subprocess.Popen:
        """Start `docker compose ARGS` without waiting (its output captured)."""
        self.require_env()
        return subprocess.Popen([*self.base_command(), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, env=self._process_env(),
                                start_new_session=True)

    def exec_interactive(self, *args: str) -> int:
        """Run `docker compose ARGS` attached to this terminal; return its exit code."""
        self.require_env()
        return subprocess.call([*self.base_command(), *args], env=self._process_env())

    def _process_env(self) -> dict[str, str]:
        # COMPOSE_PROFILES comes from the env file; a stray one in the shell must not override it.
        env = {key: value for key, value in os.environ.items()
               if key not in ("COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME", "COMPOSE_FILE")}
        env.setdefault("DOCKER_BUILDKIT", "1")
        # this version's healthcheck figures, even with a compose.env an older version wrote
        env.update(health_compose_env())
        return env
