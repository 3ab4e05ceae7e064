"""The vendored browser libraries are exactly what static/vendor/README.md records, and are served."""
import hashlib
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[3] / "app"
VENDOR = APP / "mina" / "static" / "vendor"
ROW = re.compile(r"^\| `(?P<file>[^`]+)` \| `(?P<package>[^`]+)` \| (?P<version>[\d.]+) \| "
                 r"`(?P<sha256>[0-9a-f]{64})` \|", re.MULTILINE)
# python-socketio major -> the socket.io-client majors that speak its protocol (its docs' table)
CLIENTS_FOR_SERVER = {"5": {"3", "4"}}


def recorded() -> list[dict]:
    return [m.groupdict() for m in ROW.finditer((VENDOR / "README.md").read_text())]


def test_the_readme_records_every_vendored_script():
    assert {row["file"] for row in recorded()} == {p.name for p in VENDOR.glob("*.js")}


@pytest.mark.parametrize("row", recorded(), ids=lambda row: row["file"])
def test_vendored_file_matches_its_recorded_hash(row):
    data = (VENDOR / row["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == row["sha256"], (
        f"{row['file']} is not the recorded {row['package']} {row['version']}: "
        "re-vendor it or update the README row")


def test_socketio_client_speaks_the_servers_protocol():
    (row,) = [r for r in recorded() if r["package"] == "socket.io-client"]
    banner = (VENDOR / row["file"]).read_text()[:200]
    assert f"Socket.IO v{row['version']}" in banner, "the file's banner disagrees with the README"
    server = re.search(r"^python-socketio==(\d+)\.", (APP / "requirements.txt").read_text(),
                       re.MULTILINE).group(1)
    assert row["version"].split(".")[0] in CLIENTS_FOR_SERVER[server], (
        f"socket.io-client {row['version']} does not speak python-socketio {server}.x's protocol")


def test_the_app_serves_the_vendored_client_before_the_page_script(client):
    (row,) = [r for r in recorded() if r["package"] == "socket.io-client"]
    served = client.get(f"/static/vendor/{row['file']}")
    assert served.status_code == 200
    assert hashlib.sha256(served.data).hexdigest() == row["sha256"]
    template = (APP / "mina" / "templates" / "meeting.html").read_text()
    assert template.index(f"vendor/{row['file']}") < template.index("live.js")
