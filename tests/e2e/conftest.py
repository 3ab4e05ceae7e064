"""The smoke suite's plugin when pytest is pointed at tests/e2e (the runbook's command), and the browser."""
import pytest

from tests.e2e import browser, plugin
from tests.e2e.target import unreachable_reason


def pytest_addoption(parser, pluginmanager):
    """Register the plugin unless `-p tests.e2e.plugin` already did, so its hooks run once."""
    if not pluginmanager.is_registered(plugin):
        pluginmanager.register(plugin, "tests.e2e.plugin")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, on Debian's chromium with a fake microphone."""
    try:
        return {**browser_type_launch_args, **browser.launch_args()}
    except FileNotFoundError as missing:
        pytest.fail(f"cannot drive the pages: {missing}", pytrace=False)


@pytest.fixture(scope="session")
def base_url(target) -> str:
    """The app under test (pytest-base-url's --base-url, else the local replica), answering."""
    reason = unreachable_reason(target.base_url)
    if reason:
        pytest.fail(f"{reason} (source: {target.source}); is the app up?", pytrace=False)
    return target.base_url
