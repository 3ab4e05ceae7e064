"""`staging.history --html` renders with data in headless Chromium: plots drawn, nothing fetched."""
import pytest
from invoke import Context

from replica.reporting import history_page
from replica.tasks import history_tasks

from tests.e2e.browser import describe, violations
from tests.unit.reporting.history_data import a_run, three_weeks


@pytest.fixture
def written(tmp_path, monkeypatch):
    """The page the task writes for three weeks of runs."""
    results = tmp_path / "results"
    three_weeks(results)
    monkeypatch.setenv("STAGING_RESULTS_DIR", str(results))
    path = tmp_path / "history.html"
    history_tasks.history(Context(), html=str(path))
    return path


def test_the_page_shows_three_plots_the_metrics_and_every_run(written, page):
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(written.as_uri())
    figures = page.locator("figure")
    assert figures.count() == 3
    for n in range(3):
        box = figures.nth(n).locator("svg").bounding_box()
        assert box["width"] > 300 and box["height"] > 100, box
        assert figures.nth(n).locator("svg path").count() > 10  # axes, ticks and the data drawn
    assert page.locator("tbody tr").count() == 13
    assert "70% of 10 gate runs" in page.locator("dl").inner_text()
    assert [url for url in fetched if not url.startswith("file://")] == []  # self-contained


def test_the_page_has_no_accessibility_violations(written, page):
    found = violations(page, written.as_uri())
    assert found == [], describe(found)


def test_an_empty_history_is_a_page_that_says_so(tmp_path, monkeypatch, page):
    monkeypatch.setenv("STAGING_RESULTS_DIR", str(tmp_path / "none"))
    path = tmp_path / "history.html"
    history_tasks.history(Context(), html=str(path))
    page.goto(path.as_uri())
    assert page.locator("figure").count() == 0
    assert "No gate runs recorded yet" in page.locator("main").inner_text()


@pytest.mark.parametrize("plot", [history_page.pass_rate_plot, history_page.duration_plot,
                                  history_page.latency_plot])
def test_a_first_run_is_plotted_over_hours_not_years(plot):
    (axes,) = plot([a_run()]).axes
    left, right = axes.get_xlim()  # matplotlib's dates are in days
    assert right - left <= 1 / 12 + 1e-9


def test_a_cache_hit_is_shown_as_cached_and_left_out_of_the_plots(monkeypatch):
    import dataclasses
    from replica.reporting import history
    ran = a_run(day=0)
    hit = dataclasses.replace(a_run(day=1, duration=0.7), cached_from=f"results/{ran.name}",
                              name="cached-20261103T090000Z")
    plotted = []
    monkeypatch.setattr(history_page, "duration_plot", lambda gates: plotted.append(gates) or
                        history_page.pass_rate_plot(gates))
    page = history_page.render([ran, hit], history.metrics([ran, hit], [], hit.started_at), "t")
    assert plotted == [[ran]] and history.gate_runs_tested([ran, hit]) == [ran]
    assert ">passed (cached)</td>" in page
