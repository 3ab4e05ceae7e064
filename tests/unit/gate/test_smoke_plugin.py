"""The smoke suite's plugin: its options beside pytest-base-url's, and data-writing tests kept off remote targets."""
import pytest

from tests.e2e.plugin import is_loopback

pytest_plugins = ["pytester"]
# In-process runs; pytest-playwright cannot nest inside this run (and the plugin does not need it).
INNER = ["-p", "no:playwright", "-p", "no:cacheprovider"]

SUITE = """
import pytest

@pytest.mark.destructive
def test_registers_an_account():
    pass

def test_reads_health():
    pass
"""


def test_every_option_is_registered_beside_pytest_base_urls(pytester):
    result = pytester.runpytest(*INNER, "-p", "tests.e2e.plugin", "--help")
    assert result.ret == 0
    for option in ("--base-url", "--sink-url", "--destructive", "--gate-report"):
        assert option in result.stdout.str(), option


def test_the_folders_conftest_and_dash_p_together_register_the_options_once(pytester):
    pytester.makeconftest("from tests.e2e.conftest import pytest_addoption  # noqa: F401")
    pytester.makepyfile(SUITE)
    for extra in ([], ["-p", "tests.e2e.plugin"]):
        result = pytester.runpytest(*INNER, *extra, "--sink-url", "http://127.0.0.1:9", "--destructive")
        result.assert_outcomes(passed=2)


@pytest.mark.parametrize("target_url,outcomes", [
    ("https://mina-staging.replit.app", {"passed": 1, "skipped": 1}),
    ("http://127.0.0.1:5000", {"passed": 2}),
])
def test_data_writing_tests_run_only_on_this_machine(pytester, target_url, outcomes):
    pytester.makepyfile(SUITE)
    result = pytester.runpytest(*INNER, "-p", "tests.e2e.plugin", "--base-url", target_url, "-rs")
    result.assert_outcomes(**outcomes)
    if "skipped" in outcomes:
        result.stdout.fnmatch_lines(["*writes data on mina-staging.replit.app: pass --destructive*"])


def test_destructive_lets_them_run_on_a_remote_target(pytester):
    pytester.makepyfile(SUITE)
    result = pytester.runpytest(*INNER, "-p", "tests.e2e.plugin", "--base-url",
                                "https://mina-staging.replit.app", "--destructive")
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize("url,loopback", [
    ("http://127.0.0.1:5000", True), ("http://127.8.0.1", True), ("http://[::1]:5000", True),
    ("http://localhost:5000", True), ("https://mina-staging.replit.app", False),
    ("http://10.0.0.5:5000", False), ("http://localhost.example.com", False)])
def test_loopback_means_this_machine(url, loopback):
    assert is_loopback(url) is loopback


def test_the_sink_check_is_told_which_hosts_are_other_apps(pytester):
    pytester.makepyfile("""
def test_ignored(sink_ignored_hosts):
    assert sink_ignored_hosts == {"0123456789ab", "ba9876543210"}
""")
    result = pytester.runpytest(*INNER, "-p", "tests.e2e.plugin", "--sink-ignore-host", "0123456789ab",
                                "--sink-ignore-host", "ba9876543210")
    result.assert_outcomes(passed=1)

