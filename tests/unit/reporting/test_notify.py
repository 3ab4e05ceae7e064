"""The notifier posts the runbook's Slack payload to a local receiver; failing to is only a warning."""
import pytest

from replica.core.errors import ConfigError
from replica.reporting import notify
from replica.reporting.notify import Announcement
from replica.stack.settings import slack_webhook_url

from tests.support.webhook_receiver import SECRET_PATH, SilentWebhook, WebhookReceiver

COMMIT = "3f2a9c0d1e2b3c4d5e6f708192a3b4c5d6e7f809"


def test_a_deploy_result_is_the_runbooks_payload_with_status_commit_and_url():
    with WebhookReceiver() as receiver:
        sent = notify.announce(Announcement("deploy", True, COMMIT, "http://127.0.0.1:5000"),
                               receiver.url)
        post = receiver.next_post()
    assert sent is True
    assert post["path"] == SECRET_PATH and post["content_type"] == "application/json"
    assert post["body"] == {
        "text": "Staging deployment success",
        "blocks": [{"type": "section", "text": {
            "type": "mrkdwn",
            "text": f"*Staging Deployment*\nStatus: success\nCommit: {COMMIT}\n"
                    "URL: http://127.0.0.1:5000"}}]}


def test_a_red_gate_is_announced_as_a_failed_validation():
    with WebhookReceiver() as receiver:
        notify.announce(Announcement("gate", False, COMMIT, "http://127.0.0.1:5001"), receiver.url)
        body = receiver.next_post()["body"]
    assert body["text"] == "Staging validation failure"
    assert "Status: failure\n" in body["blocks"][0]["text"]["text"]


def test_a_webhook_that_never_answers_is_a_warning_without_its_secret_path(capsys):
    with SilentWebhook() as silent:
        sent = notify.announce(Announcement("gate", True, COMMIT, "http://127.0.0.1:5000"),
                               silent.url, timeout=0.5)
    err = " ".join(capsys.readouterr().err.split())  # rich wraps a warning at the width
    assert sent is False
    assert "did not answer within 0.5 s" in err and "result stands" in err
    assert "127.0.0.1" in err and "not-a-real-secret" not in err


def test_a_webhook_that_refuses_is_a_warning_naming_its_status(capsys):
    with WebhookReceiver(status=404) as receiver:
        sent = notify.announce(Announcement("deploy", False, COMMIT, "u"), receiver.url)
    assert sent is False and "answered 404" in " ".join(capsys.readouterr().err.split())


def test_unset_announces_nothing(monkeypatch):
    def no_request(*args, **kwargs):
        raise AssertionError("a request was made")
    monkeypatch.setattr(notify.requests, "post", no_request)
    assert slack_webhook_url({}) is None and slack_webhook_url({"SLACK_WEBHOOK_URL": " "}) is None
    assert notify.announce(Announcement("gate", True, COMMIT, "u"), slack_webhook_url({})) is False


@pytest.mark.parametrize("url", ["hooks.slack.com/services/x", "ftp://h/x", "http://", "http://h:99999/x"])
def test_a_malformed_webhook_url_is_a_config_error_that_does_not_echo_it(url):
    with pytest.raises(ConfigError, match="SLACK_WEBHOOK_URL is not an http") as caught:
        slack_webhook_url({"SLACK_WEBHOOK_URL": url})
    assert url not in str(caught.value)
