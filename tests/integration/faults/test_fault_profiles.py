"""Each fault profile changes the running stack (one throwaway replica, switched profile by profile)."""
import json
import tarfile
import time
import uuid

import openai
import pytest
import requests

from replica.engine import health
from replica.commands import bundle, up
from replica.stack.plan import load
from replica.engine.compose import Compose

pytestmark = pytest.mark.stack
PLANTED = {"SECRET_KEY": "planted-secret-key-" + uuid.uuid4().hex,
           "OPENAI_API_KEY": "sk-planted-" + uuid.uuid4().hex}


@pytest.fixture(scope="module")
def faults(replica_settings):
    settings = replica_settings("faults")
    stack = up.up(settings)
    yield settings, stack
    from replica.commands.down import down
    down(settings, volumes=True)


def switch(faults, *profiles, env=None):
    return up.up(faults[0], profiles=list(profiles), env=env)


def signed_in(stack) -> requests.Session:
    session = requests.Session()
    name = uuid.uuid4().hex[:10]
    answer = session.post(stack.url("app") + "/api/auth/register", timeout=10, json={
        "email": f"{name}@example.com", "username": name, "password": "staging-password"})
    assert answer.status_code == 201, answer.text
    return session


def meeting_with_transcript(stack, session) -> int:
    meeting = session.post(stack.url("app") + "/api/meetings", json={"title": "Fault drill"},
                           timeout=10).json()
    meeting_id = meeting.get("id") or meeting["meeting"]["id"]
    Compose(stack.settings).run("exec", "-T", "db", "psql", "-U", stack.compose_env["DB_USER"], "-d",
                      stack.compose_env["DB_NAME"], "-c",
                      "INSERT INTO transcript_segments (meeting_id, seq, speaker, text) "
                      f"VALUES ({int(meeting_id)}, 1, 'alice', 'we ship on friday')")
    return meeting_id


def summary_status(stack) -> requests.Response:
    session = signed_in(stack)
    meeting_id = meeting_with_transcript(stack, session)
    return session.post(f"{stack.url('app')}/api/meetings/{meeting_id}/summary", timeout=60)


def ready(stack) -> requests.Response:
    return requests.get(stack.url("app") + "/health/ready", timeout=10)


def app_container(stack):
    (container,) = health.engine_client().containers.list(filters={"label": [
        f"{health.PROJECT_LABEL}={stack.settings.project}", f"{health.SERVICE_LABEL}=app"]})
    return container


def test_openai_ratelimit_gives_the_user_a_retryable_429(faults):
    answer = summary_status(switch(faults, "openai-ratelimit"))
    assert answer.status_code == 429 and answer.json()["retryable"] is True


def test_openai_down_gives_the_user_a_retryable_503(faults):
    answer = summary_status(switch(faults, "openai-down"))
    assert answer.status_code == 503 and answer.json()["retryable"] is True


def test_openai_slow_delays_the_mock(faults):
    stack = switch(faults, "openai-slow")
    client = openai.OpenAI(base_url=stack.url("mock-openai") + "/v1",
                           api_key=stack.app_env["OPENAI_API_KEY"], max_retries=0)
    started = time.perf_counter()
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert time.perf_counter() - started >= 1.0


def test_db_slow_adds_latency_to_every_query(faults, monkeypatch):
    monkeypatch.setenv("STAGING_DB_LATENCY_MS", "100")
    stack = switch(faults, "db-slow")
    assert stack.app_env["DATABASE_URL"].split("@")[1].startswith("db-proxy:5432")
    assert ready(stack).json()["database"]["ms"] >= 100


def test_tls_makes_the_app_connect_with_sslmode_require(faults):
    stack = switch(faults, "tls")
    assert "sslmode=require" in stack.app_env["DATABASE_URL"]
    probe = ("import os, psycopg; c = psycopg.connect(os.environ['DATABASE_URL'].replace("
             "'postgresql://', 'postgresql://', 1)); print(c.pgconn.ssl_in_use)")
    code, output = app_container(stack).exec_run(["python", "-c", probe])
    assert code == 0 and output.decode().strip() == "True"
    assert ready(stack).status_code == 200


def test_cold_start_refuses_the_database_after_idle_then_recovers(faults, monkeypatch):
    monkeypatch.setenv("STAGING_COLD_START_IDLE_S", "2")
    monkeypatch.setenv("STAGING_COLD_START_MS", "3000")
    stack = switch(faults, "cold-start")
    time.sleep(3.5)  # idle past the suspend time: the compute sleeps
    first = ready(stack)
    assert first.status_code == 503, first.text
    deadline = time.monotonic() + 20
    while ready(stack).status_code != 200:
        assert time.monotonic() < deadline, "the database never woke up"
        time.sleep(0.5)


def test_small_limits_the_app_container(faults):
    stack = switch(faults, "small")
    host = app_container(stack).attrs["HostConfig"]
    assert host["NanoCpus"] == 500_000_000 and host["Memory"] == 1024 ** 3


def test_pooled_puts_pgbouncer_between_app_and_database(faults):
    stack = switch(faults, "pooled")
    assert "pgbouncer" in stack.services
    assert stack.app_env["DATABASE_URL"].split("@")[1].startswith("pgbouncer:6432")
    assert ready(stack).status_code == 200
    assert summary_status(stack).status_code == 201


def test_turning_profiles_off_restores_the_previous_stack_exactly(faults):
    settings, original = faults
    switch(faults, "db-slow", "small", "openai-down")
    restored = switch(faults)
    assert restored.compose_env == original.compose_env
    assert restored.app_env == original.app_env
    assert set(health.service_states(health.engine_client(), settings.project)) == {
        *original.services, "migrate"}


def test_a_bundle_holds_none_of_the_planted_secrets(faults, tmp_path):
    stack = switch(faults, env=PLANTED)
    assert summary_status(stack).status_code == 201  # the journal now holds the planted key
    archive = bundle.bundle(faults[0], tmp_path / "bug.tar.gz")
    with tarfile.open(archive) as opened:
        texts = {m.name: opened.extractfile(m).read().decode() for m in opened if m.isfile()}
    assert "bundle/openai-journal.json" in texts and "bundle/logs/app.log" in texts
    assert json.loads(texts["bundle/openai-journal.json"])
    for name, text in texts.items():
        for secret in PLANTED.values():
            assert secret not in text, f"{secret} leaked into {name}"
    switch(faults)


def test_prod_scale_loads_production_sized_fixtures(faults):
    stack = switch(faults, "prod-scale")
    done = Compose(stack.settings).run("exec", "-T", "db", "psql", "-tA", "-U", stack.compose_env["DB_USER"],
                             "-d", stack.compose_env["DB_NAME"], "-c", "SELECT count(*) FROM users")
    assert int(done.stdout.strip()) >= 20_000
    assert load(faults[0]).profiles == ("prod-scale",)
