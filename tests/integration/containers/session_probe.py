"""A whole test session in one test, run as a subprocess by test_container_reaper.py (its name does
not match test_*.py, so the suite itself never collects it)."""


def test_a_session_gets_its_redis(redis_url):
    assert redis_url.startswith("redis://")
