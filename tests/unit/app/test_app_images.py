"""The app and db images stop and run the way staging's processes need (read from their files)."""
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]


def stage(dockerfile: str, name: str) -> list[str]:
    """Return the instruction lines of one build stage (continuations joined)."""
    text = (REPO / dockerfile).read_text().replace("\\\n", " ")
    lines, current = [], None
    for line in text.splitlines():
        match = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line, re.I)
        if match:
            current = match.group(1)
        elif current == name and line.strip() and not line.lstrip().startswith("#"):
            lines.append(line.strip())
    return lines


def test_postgres_image_stops_with_a_fast_shutdown():
    lines = stage("docker/postgres/Dockerfile", None)
    assert "STOPSIGNAL SIGINT" in lines  # SIGTERM is "smart": it waits for the app's pools


def test_compose_gives_the_shutdown_checkpoint_time_before_a_kill():
    compose = yaml.safe_load((REPO / "docker-compose.staging.yml").read_text())
    grace = compose["services"]["db"]["stop_grace_period"]
    assert re.fullmatch(r"\d+s", grace) and int(grace[:-1]) >= 30


def test_app_image_gives_gunicorn_a_writable_control_socket_directory():
    lines = stage("docker/python/Dockerfile", "app")
    env = next(line for line in lines if line.startswith("ENV XDG_RUNTIME_DIR="))
    runtime_dir = env.split("=", 1)[1]
    made = [i for i, line in enumerate(lines)
            if line.startswith("RUN install -d -o mina -g mina") and line.endswith(runtime_dir)]
    user = lines.index("USER mina")
    assert made and made[0] < user  # created as root, owned by the user gunicorn runs as
