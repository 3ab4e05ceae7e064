"""The app survives the server closing its connections (a data reset, a restart, Neon's suspend)."""
import psycopg


def terminate_app_connections(postgres_url: str, database_url: str) -> int:
    database = database_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        return admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()", [database]).fetchone()[0]


def test_reads_and_writes_recover_without_an_error(client, register, postgres_url, migrated_url):
    register(client, "alice")
    meeting = client.post("/api/meetings", json={"title": "Before"}).json
    for _ in range(3):  # fill both pools (the ORM's and the hot read path's)
        assert client.get("/api/meetings").status_code == 200
        assert client.get(f"/api/meetings/{meeting['id']}").status_code == 200
    assert terminate_app_connections(postgres_url, migrated_url) > 0
    statuses = [client.get("/api/meetings").status_code,
                client.get(f"/api/meetings/{meeting['id']}").status_code,
                client.post("/api/meetings", json={"title": "After"}).status_code,
                client.get("/api/meetings").status_code]
    assert statuses == [200, 200, 201, 200]
