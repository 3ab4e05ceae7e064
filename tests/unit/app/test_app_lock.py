"""The lock in app/requirements.txt: exact pins, each with a reason, and the known traps."""
import re
from pathlib import Path

import pytest

LOCK = Path(__file__).resolve().parents[3] / "app" / "requirements.txt"
PIN = re.compile(r"^([A-Za-z0-9_.\[\]-]+)==([0-9][^\s#]*)\s+#\s*\S")


def pins() -> dict[str, str]:
    lines = [l for l in LOCK.read_text().splitlines() if l.strip() and not l.startswith("#")]
    found = {}
    for line in lines:
        match = PIN.match(line)
        assert match, f"not an exact pin with a reason: {line!r}"
        found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_every_line_is_an_exact_pin_with_a_reason():
    assert len(pins()) > 20


@pytest.mark.parametrize("name", ["greenlet", "eventlet", "gunicorn", "flask-socketio",
                                  "sqlalchemy", "psycopg", "psycopg-binary", "flask-migrate",
                                  "openai", "sentry-sdk", "redis", "flask-login", "flask-wtf"])
def test_required_packages_are_pinned(name):
    assert name in pins()


def test_known_traps_are_avoided():
    found = pins()
    assert int(found["gunicorn"].split(".")[0]) < 26  # 26 removed the eventlet worker
    assert found["redis"] != "8.0.0"                  # 8.0.0 broke pubsub.listen()
    assert found["sqlalchemy"].startswith("2.") and found["psycopg"].startswith("3.")
