"""The suite's Chromium builds no browser UI that nobody sees, and keeps Playwright's own switches.

Headless Chromium 156 preloaded the omnibox's WebUI popup for every context: a renderer of its own
that took ~1.3 s of CPU per context (the meeting page's own renderer ~0.1 s), three contexts in
every smoke run."""
from tests.e2e import browser as browser_module

OMNIBOX_POPUP = "chrome://omnibox-popup"


def test_no_context_gets_an_omnibox_popup(browser):
    context = browser.new_context()
    context.new_page().goto("about:blank")
    session = browser.new_browser_cdp_session()
    try:
        targets = [t["url"] for t in session.send("Target.getTargets")["targetInfos"]]
    finally:
        session.detach()
        context.close()
    assert "about:blank" in targets
    assert not [url for url in targets if url.startswith(OMNIBOX_POPUP)], targets


def test_the_disable_features_switch_repeats_playwright_s_own_list():
    """Chromium keeps the last --disable-features: ours must name Playwright's too."""
    theirs = browser_module.playwright_disabled_features()
    assert len(theirs) >= 5 and all(name.isidentifier() for name in theirs), theirs
    [switch] = [arg for arg in browser_module.launch_args()["args"] if arg.startswith("--disable-features=")]
    assert switch.split("=", 1)[1].split(",") == theirs + browser_module.UNSEEN_UI_FEATURES


def test_without_playwright_s_list_no_switch_is_passed(monkeypatch):
    monkeypatch.setattr(browser_module, "playwright_disabled_features", lambda: [])
    assert not [arg for arg in browser_module.launch_args()["args"] if "disable-features" in arg]
