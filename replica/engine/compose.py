"""`docker compose` for one replica: the stack file, its project name and its variables."""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import ComposeError, not_up
from ..stack.envprofile import read_env_file
from ..stack.settings import Settings, health_compose_env
from ..stack.state import COMPOSE_ENV

INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")  # not `$${...}`: an escaped `$`


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
        """This process's environment without what would override the replica's own variables.

        Compose lets the shell's variables win over `--env-file`: a developer's OPENAI_API_KEY
        would become the mock's accepted key, a stray STAGING_PROJECT would point `down
        --volumes` at another project. So every variable of the env files and every one the
        compose file interpolates comes from the replica alone (and COMPOSE_* that pick files)."""
        owned = {"COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME", "COMPOSE_FILE",
                 *interpolated(self.settings.compose_file),
                 *(key for path in (self.env_file, *self.extra_env_files) for key in env_keys(path))}
        env = {key: value for key, value in os.environ.items() if key not in owned}
        env.setdefault("DOCKER_BUILDKIT", "1")
        # this version's healthcheck figures, even with a compose.env an older version wrote
        env.update(health_compose_env())
        return env


def interpolated(compose_file: Path) -> set[str]:
    """The variables a compose file interpolates (`${NAME}`, `${NAME:-default}`, ...)."""
    try:
        return set(INTERPOLATION.findall(compose_file.read_text()))
    except OSError:
        return set()


def env_keys(path: Path) -> set[str]:
    """The variables an env file sets (none when it is missing)."""
    return set(read_env_file(path)) if path.is_file() else set()
