"""Live transcription over Socket.IO: join a meeting, send audio, receive segments."""
from __future__ import annotations

import base64
import binascii
import logging
import os
from datetime import datetime, timezone

import openai
from flask import Flask, current_app, request
from flask_login import current_user
from flask_socketio import emit, join_room, leave_room
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .ai import AI_FAILURES, get_client
from .delivery import MISSED_EVENT, ROOM_PREFIX
from .api import MAX_ID
from .extensions import db, socketio
from .green import eventlet_active
from .models import Meeting, TranscriptSegment
from .tracing import traced
from .websocket import serve_websocket_only

log = logging.getLogger(__name__)
MAX_AUDIO_BYTES = 512 * 1024
MAX_SEQ = 2**31 - 1
REPLAY_LIMIT = 500  # segments a join replays; more: re-join with the new last_seq
_undelivered: set[int] = set()  # meetings whose last broadcast reached only this worker


FOREIGN_KEY_VIOLATION = "23503"  # the meeting row went away between our read and our insert


class EventError(Exception):
    """A Socket.IO event the client must fix; sent back as an `error` event."""

    def __init__(self, code: str, message: str, *, retryable: bool = False):
        super().__init__(message)
        self.code, self.message, self.retryable = code, message, retryable


def init_socketio(app: Flask, settings) -> None:
    """Bind Socket.IO: WebSocket only (no sticky sessions), a queue across workers."""
    kwargs = {"async_mode": app.config.get("SOCKETIO_ASYNC_MODE")
              or ("eventlet" if eventlet_active() else "threading"),
              "transports": ["websocket"], "max_http_buffer_size": MAX_AUDIO_BYTES * 2,
              "cors_allowed_origins": allowed_origins(settings),
              "logger": settings.enable_verbose_logging, "engineio_logger": False}
    # Always name the manager: Flask-SocketIO keeps init_app's options across apps (tests build many)
    kwargs["client_manager"] = None  # "local": python-socketio's in-process manager
    fanout = app.config.get("MINA_FANOUT") or ("redis" if settings.redis_url else "postgres")
    if fanout == "redis":  # python-socketio's Redis manager, reporting lost broadcasts
        from .fanout_redis import RedisFanout
        kwargs["client_manager"] = RedisFanout(settings.redis_url)
    elif fanout == "postgres":  # LISTEN needs a direct connection: DATABASE_DIRECT_URL if set
        from .fanout import PostgresManager
        kwargs["client_manager"] = PostgresManager(settings.listen_url)
    app.extensions["mina.fanout"] = fanout
    app.extensions["mina.fanout_manager"] = kwargs.get("client_manager")
    socketio.init_app(app, **kwargs)
    serve_websocket_only(socketio.server.eio)
    if fanout == "postgres" and eventlet_active():  # a serving worker; not `flask db upgrade`
        start_fanout_listener(socketio.server)


def start_fanout_listener(server) -> None:
    """Start the client manager's listener now rather than at the first Socket.IO client.

    python-socketio does this lazily in Server._handle_eio_connect; until then a broken LISTEN
    (a transaction-mode pooler) goes unnoticed and readiness cannot tell. Staging's gunicorn
    (no --preload) builds the app in each eventlet worker after the fork, so this runs in the
    worker and the listener is a green thread of its hub. Setting the server's own flag keeps
    the lazy start from initializing the manager a second time.
    """
    if server.manager_initialized:
        return
    server.manager_initialized = True
    server.manager.initialize()


def allowed_origins(settings):
    """Same-origin always, plus FRONTEND_URL when set."""
    extra = {settings.frontend_url.rstrip("/")} if settings.frontend_url else set()

    def check(origin, environ):
        same = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin is None or origin == same or origin in extra
    return check


def room_for(meeting_id: int) -> str:
    return f"{ROOM_PREFIX}{meeting_id}"


def owned_meeting(data) -> Meeting:
    """Return the caller's meeting named by data['meeting_id'] or raise EventError."""
    if not isinstance(data, dict):
        raise EventError("bad_event", "event data must be an object")
    meeting_id = data.get("meeting_id")
    if isinstance(meeting_id, bool) or not isinstance(meeting_id, int) or meeting_id < 1:
        raise EventError("bad_event", "'meeting_id' must be a positive integer")
    if meeting_id > MAX_ID:  # beyond BIGINT: no such row (and PostgreSQL would refuse the query)
        raise EventError("not_found", f"meeting {meeting_id} not found")
    meeting = db.session.scalar(select(Meeting).where(
        Meeting.id == meeting_id, Meeting.owner_id == current_user.id))
    if meeting is None:
        raise EventError("not_found", f"meeting {meeting_id} not found")
    return meeting


def parse_last_seq(data: dict) -> int | None:
    """Return the join's `last_seq` (the highest seq the client has), or None when absent."""
    last_seq = data.get("last_seq")
    if last_seq is None:
        return None
    if isinstance(last_seq, bool) or not isinstance(last_seq, int) or not -1 <= last_seq <= MAX_SEQ:
        raise EventError("bad_event", "'last_seq' must be an integer from -1 (none yet) up")
    return last_seq


def replay_missed(meeting_id: int, last_seq: int) -> tuple[int, bool]:
    """Send this client the meeting's stored segments after `last_seq`, oldest first.

    Returns (how many were sent, whether more remain: then re-join with the new last_seq, or
    read GET /api/meetings/<id>/segments?after_seq=). Sent straight to this socket, which is on
    this worker, so it works while the cross-worker queue is down.
    """
    segments = db.session.scalars(
        select(TranscriptSegment).where(TranscriptSegment.meeting_id == meeting_id,
                                        TranscriptSegment.seq > last_seq)
        .order_by(TranscriptSegment.seq).limit(REPLAY_LIMIT + 1)).all()
    for segment in segments[:REPLAY_LIMIT]:
        emit("segment", {**segment.to_dict(), "worker_pid": os.getpid(), "replayed": True},
             ignore_queue=True)
    return min(len(segments), REPLAY_LIMIT), len(segments) > REPLAY_LIMIT


def broadcast_segment(payload: dict, meeting_id: int) -> bool:
    """Send a stored segment to the meeting's room on every worker; False if that failed.

    On failure this worker's own participants still get it; the others are told
    `segments_missed` (by their listener when it reconnects, and through the queue with this
    meeting's next successful broadcast) and replay the gap by re-joining with `last_seq`.
    """
    room, manager = room_for(meeting_id), socketio.server.manager
    if not hasattr(manager, "tracking"):  # one process, no queue: nothing to lose
        socketio.emit("segment", payload, to=room)
        return True
    with manager.tracking() as outcome:
        socketio.emit("segment", payload, to=room)
    if outcome.lost:
        log.warning("segment %s of meeting %s reached only this worker's participants",
                    payload["seq"], meeting_id)
        socketio.emit("segment", payload, to=room, ignore_queue=True)
        _undelivered.add(meeting_id)
        return False
    if meeting_id in _undelivered:
        _undelivered.discard(meeting_id)
        socketio.emit(MISSED_EVENT, {"meeting_id": meeting_id, "reason": "broadcast_failed"},
                      to=room)
    return True


def parse_chunk(data: dict) -> tuple[int, bytes]:
    """Validate an audio_chunk event and return (seq, audio bytes)."""
    seq, audio = data.get("seq"), data.get("audio")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise EventError("bad_event", "'seq' must be a non-negative integer")
    if isinstance(audio, str):
        if len(audio) > MAX_AUDIO_BYTES * 4 // 3 + 4:
            raise EventError("too_large", f"audio chunk is over {MAX_AUDIO_BYTES} bytes")
        try:
            audio = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            raise EventError("bad_event", "'audio' is not valid base64") from None
    if not isinstance(audio, (bytes, bytearray)) or not audio:
        raise EventError("bad_event", "'audio' must be non-empty bytes or base64 text")
    if len(audio) > MAX_AUDIO_BYTES:
        raise EventError("too_large", f"audio chunk is over {MAX_AUDIO_BYTES} bytes")
    speaker = data.get("speaker")
    if isinstance(speaker, str) and ("\x00" in speaker or not speaker.isprintable()):
        raise EventError("bad_event", "'speaker' must be printable text (no NUL or control characters)")
    for key in ("start_ms", "end_ms"):
        value = data.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= MAX_SEQ):
            raise EventError("bad_event", f"'{key}' must be a non-negative integer")
    return seq, bytes(audio)


def transcribe(audio: bytes, seq: int) -> str:
    """Send one chunk to the transcription API and return its text."""
    try:
        result = get_client().audio.transcriptions.create(
            model="whisper-1", file=(f"chunk-{seq}.webm", audio, "audio/webm"))
    except AI_FAILURES as exc:
        import sentry_sdk

        sentry_sdk.capture_exception(exc)
        retryable = not isinstance(exc, openai.APIStatusError) or exc.status_code >= 429
        raise EventError("transcription_failed",
                         f"transcription failed ({type(exc).__name__}); resend the chunk",
                         retryable=retryable) from exc
    return (getattr(result, "text", None) or "").strip()


def store_segment(meeting: Meeting, seq: int, text: str, data: dict) -> TranscriptSegment:
    """Insert the segment; a seq already stored is an error and is never overwritten."""
    speaker = data.get("speaker") if isinstance(data.get("speaker"), str) else None
    segment = TranscriptSegment(
        meeting_id=meeting.id, seq=seq, text=text, start_ms=data.get("start_ms"),
        end_ms=data.get("end_ms"),
        speaker=(speaker or current_user.display_name or current_user.username)[:100])
    if meeting.status == "scheduled":
        meeting.status, meeting.started_at = "live", datetime.now(timezone.utc)
    db.session.add(segment)
    try:
        db.session.commit()
    except IntegrityError as err:
        db.session.rollback()
        if getattr(err.orig, "sqlstate", None) == FOREIGN_KEY_VIOLATION:
            raise meeting_deleted(segment.meeting_id) from None
        raise EventError("duplicate_seq", f"segment {seq} is already stored") from None
    return segment


def meeting_deleted(meeting_id: int) -> EventError:
    return EventError("meeting_deleted",
                      f"meeting {meeting_id} was deleted while this chunk was transcribed")


def send_error(err: EventError, event: str) -> dict:
    log.info("socket.io %s rejected for sid %s: %s", event, request.sid, err.message)
    body = {"event": event, "code": err.code, "message": err.message,
            "retryable": err.retryable}
    emit("error", body, ignore_queue=True)  # this socket is on this worker: no queue needed
    return {"ok": False, **body}


@socketio.on("connect")
def on_connect(auth=None):
    if not current_user.is_authenticated:
        log.info("socket.io connect refused: not logged in")
        return False  # refused: the client gets connect_error (raising would hit on_error)
    emit("welcome", {"worker_pid": os.getpid(), "user_id": current_user.id}, ignore_queue=True)


@socketio.on("join")
def on_join(data=None):
    try:
        meeting = owned_meeting(data)
        last_seq = parse_last_seq(data)
    except EventError as err:
        return send_error(err, "join")
    meeting_id = meeting.id
    join_room(room_for(meeting_id))
    ack = {"ok": True, "meeting_id": meeting_id, "worker_pid": os.getpid(),
           "fanout": current_app.extensions["mina.fanout"]}
    if last_seq is not None:
        ack["replayed"], ack["more"] = replay_missed(meeting_id, last_seq)
    db.session.rollback()  # end the read transaction; the socket may stay open for hours
    return ack


@socketio.on("leave")
def on_leave(data=None):
    try:
        meeting = owned_meeting(data)
    except EventError as err:
        return send_error(err, "leave")
    meeting_id = meeting.id
    leave_room(room_for(meeting_id))
    db.session.rollback()
    return {"ok": True, "meeting_id": meeting_id}


@socketio.on("audio_chunk")
@traced("audio_chunk")
def on_audio_chunk(data=None):
    try:
        meeting = owned_meeting(data)
        seq, audio = parse_chunk(data)
        exists = db.session.scalar(select(TranscriptSegment.id).where(
            TranscriptSegment.meeting_id == meeting.id, TranscriptSegment.seq == seq))
        if exists is not None:
            raise EventError("duplicate_seq", f"segment {seq} is already stored")
        meeting_id = meeting.id
        db.session.commit()  # no transaction held open across the transcription call
        text = transcribe(audio, seq)
        meeting = db.session.get(Meeting, meeting_id)  # it may have been deleted meanwhile
        if meeting is None:
            raise meeting_deleted(meeting_id)
        segment = store_segment(meeting, seq, text, data)
    except EventError as err:
        db.session.rollback()
        return send_error(err, "audio_chunk")
    payload = {**segment.to_dict(), "worker_pid": os.getpid()}
    delivered = broadcast_segment(payload, meeting_id)
    return {"ok": True, "seq": seq, "segment_id": segment.id, "broadcast": delivered}


@socketio.on_error_default
def on_unexpected(exc):
    db.session.rollback()
    log.exception("socket.io handler failed: %s", exc)
    emit("error", {"code": "server_error", "message": "the server could not handle that event",
                   "retryable": True})
    return {"ok": False, "code": "server_error"}
