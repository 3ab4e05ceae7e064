"""The checklist: results, verdicts, and the table users read (evidence printed verbatim)."""
from rich.console import Console

from replica.core.errors import StackNotUpError
from replica.gate.checklist import (FAILED, PASSED, REQUIRED_TESTS, RUNBOOK_ITEMS, SKIPPED,
                                    Checklist, ItemFailed, ItemSkipped)


def all_passed() -> Checklist:
    checklist = Checklist()
    for key in [*RUNBOOK_ITEMS, *REQUIRED_TESTS]:
        checklist.record(key, PASSED, "ok", 0.1)
    return checklist


def render(checklist: Checklist) -> str:
    console = Console(width=200, record=True)
    console.print(checklist.table())
    return console.export_text()


def test_every_runbook_item_passed_is_ready():
    assert all_passed().passed
    assert all_passed().verdict().startswith("READY")


def test_a_failed_item_is_named_in_the_verdict():
    checklist = all_passed()
    checklist.record("accessibility", FAILED, "/login: label (critical)")
    assert not checklist.passed
    assert "Accessibility tests passing" in checklist.verdict()


def test_a_runbook_item_that_never_ran_is_not_green():
    checklist = all_passed()
    checklist.item("summary").result = SKIPPED
    assert not checklist.passed and "AI summary generation working" in checklist.verdict()


def test_a_required_test_that_never_ran_is_not_green():
    checklist = Checklist()
    for key in RUNBOOK_ITEMS:
        checklist.record(key, PASSED, "ok")
    checklist.item("security-code")
    assert not checklist.passed
    assert checklist.verdict().startswith("INCOMPLETE") and REQUIRED_TESTS["security-code"] in checklist.verdict()


def test_a_required_test_skipped_for_a_reason_is_green_and_named_in_the_verdict():
    checklist = all_passed()
    checklist.run("security-deps", _raise(ItemSkipped("the vulnerability service is not reachable")))
    assert checklist.passed
    assert "skipped" in checklist.verdict().lower() and REQUIRED_TESTS["security-deps"] in checklist.verdict()
    assert "not reachable" in render(checklist)


def test_required_tests_follow_the_runbook_items_in_the_table():
    keys = [item.key for item in all_passed().ordered()]
    assert keys == [*RUNBOOK_ITEMS, *REQUIRED_TESTS]


def test_a_failure_is_not_overwritten_by_a_later_pass():
    checklist = Checklist()
    checklist.record("sentry", FAILED, "2 errors")
    checklist.record("sentry", PASSED, "clean")
    assert checklist.item("sentry").evidence == "2 errors"


def test_run_times_checks_and_turns_exceptions_into_results():
    checklist = Checklist()
    checklist.run("api", lambda: "7/7 tests passed")
    checklist.run("reset", _raise(ItemSkipped("no fixtures yet")), "Data reset")
    checklist.run("summary", _raise(ItemFailed("HTTP 503")))
    checklist.run("starts", _raise(StackNotUpError("not up", hint="run up")))
    results = {i.key: (i.result, i.evidence) for i in checklist.items}
    assert results == {"api": (PASSED, "7/7 tests passed"), "reset": (SKIPPED, "no fixtures yet"),
                       "summary": (FAILED, "HTTP 503"), "starts": (FAILED, "not up → run up")}


def test_table_shows_item_result_evidence_and_time_verbatim():
    checklist = all_passed()
    checklist.record("accessibility", FAILED, "test_page[/] failed: [/] is not markup", 2.5)
    text = render(checklist)
    assert "Accessibility tests passing" in text and "✘ failed" in text
    assert "test_page[/] failed: [/] is not markup" in text and "2.5 s" in text


def test_report_dict_carries_verdict_and_items():
    report = all_passed().to_dict()
    assert report["passed"] and len(report["items"]) == len(RUNBOOK_ITEMS) + len(REQUIRED_TESTS)
    assert set(report["items"][0]) == {"key", "title", "result", "evidence", "seconds", "ran"}


def _raise(error):
    def check():
        raise error
    return check


def test_gate_steps_come_first_then_the_runbook_order():
    checklist = Checklist()
    checklist.record("auth", PASSED, "ok")
    checklist.record("stack", PASSED, "up")
    checklist.record("starts", PASSED, "ok")
    assert [i.key for i in checklist.ordered()] == ["stack", "starts", "auth"]
