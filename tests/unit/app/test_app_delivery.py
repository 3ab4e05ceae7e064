"""The cross-worker managers say when a broadcast was lost, and tell meeting rooms they missed some."""
import pytest

from mina.fanout import PostgresManager
from mina.fanout_redis import RedisFanout

MESSAGE = {"method": "emit", "event": "segment", "data": {}, "namespace": "/", "room": "meeting:1"}


@pytest.mark.parametrize("manager", [RedisFanout("redis://127.0.0.1:1/0"),
                                     PostgresManager("postgresql://mina@127.0.0.1:1/none")],
                         ids=["redis", "postgres"])
def test_a_publish_that_cannot_reach_the_queue_is_reported_lost(manager):
    with manager.tracking() as outcome:
        manager._publish(MESSAGE)  # what every room broadcast calls; it logs and drops
    assert outcome.lost is True


def test_a_publish_the_queue_takes_is_not_lost(redis_url):
    with RedisFanout(redis_url).tracking() as outcome:
        RedisFanout(redis_url)._publish(MESSAGE)
    assert outcome.lost is False


def test_outside_tracking_a_lost_publish_is_only_logged():
    RedisFanout("redis://127.0.0.1:1/0")._publish(MESSAGE)  # no error for internal messages


class RecordingServer:
    def __init__(self):
        self.sent = []

    def emit(self, event, data, to, ignore_queue):
        self.sent.append((event, data, to, ignore_queue))


def test_each_meeting_room_on_this_worker_hears_it_may_have_missed_segments():
    manager = RedisFanout("redis://127.0.0.1:1/0")
    manager.server = RecordingServer()
    manager.rooms = {"/": {"meeting:7": {}, "meeting:9": {}, "sid-abc": {}, None: {}}}
    assert manager.announce_missed("fanout_interrupted") == 2
    assert sorted(manager.server.sent, key=lambda sent: sent[2]) == [
        ("segments_missed", {"meeting_id": 7, "reason": "fanout_interrupted"}, "meeting:7", True),
        ("segments_missed", {"meeting_id": 9, "reason": "fanout_interrupted"}, "meeting:9", True)]
