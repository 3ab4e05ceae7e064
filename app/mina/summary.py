"""AI summaries of a meeting's transcript through the OpenAI chat API."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask_login import login_required
from sqlalchemy import select

from .ai import AI_FAILURES, get_client, to_api_error
from .api import read_only
from .errors import ApiError
from .extensions import db
from .idempotency import commit_created, idempotent
from .meetings import get_meeting
from .models import Summary, TranscriptSegment

bp = Blueprint("summary", __name__, url_prefix="/api/meetings")

SYSTEM_PROMPT = ("You summarise meeting transcripts. Reply with a short summary, "
                 "then the decisions and action items as bullet lists.")
MAX_TRANSCRIPT_CHARS = 60_000


def transcript_text(meeting_id: int) -> str:
    """Return the meeting's transcript as 'speaker: text' lines, oldest first."""
    rows = db.session.execute(
        select(TranscriptSegment.speaker, TranscriptSegment.text)
        .where(TranscriptSegment.meeting_id == meeting_id)
        .order_by(TranscriptSegment.seq)).all()
    lines = [f"{speaker or 'unknown'}: {text}" for speaker, text in rows]
    return "\n".join(lines)[-MAX_TRANSCRIPT_CHARS:]


def ask_for_summary(title: str, transcript: str):
    """Call the chat API; raise ApiError (429/503/502) on any OpenAI failure."""
    try:
        return get_client().chat.completions.create(
            model=current_app.config.get("SUMMARY_MODEL", "gpt-4o-mini"),
            messages=[{"role": "system", "content": SYSTEM_PROMPT},
                      {"role": "user", "content": f"Meeting: {title}\n\n{transcript}"}])
    except AI_FAILURES as exc:
        raise to_api_error(exc, "the summary") from exc


@bp.post("/<id:meeting_id>/summary")
@login_required
@idempotent
def create(meeting_id: int):
    meeting = get_meeting(meeting_id)
    title, transcript = meeting.title, transcript_text(meeting_id)
    if not transcript:
        raise ApiError(409, "this meeting has no transcript yet; nothing to summarise")
    db.session.commit()  # release the connection while waiting on the AI service
    completion = ask_for_summary(title, transcript)
    content = (completion.choices[0].message.content or "").strip() if completion.choices else ""
    if not content:
        raise ApiError(502, "the AI service returned an empty summary", retryable=True)
    usage = completion.usage
    summary = Summary(meeting_id=meeting_id, model=completion.model or "unknown",
                      content=content,
                      prompt_tokens=usage.prompt_tokens if usage else None,
                      completion_tokens=usage.completion_tokens if usage else None)
    db.session.add(summary)
    db.session.flush()
    return commit_created(summary.to_dict())


@bp.get("/<id:meeting_id>/summary")
@read_only
@login_required
def latest(meeting_id: int):
    get_meeting(meeting_id)
    summary = db.session.scalar(
        select(Summary).where(Summary.meeting_id == meeting_id)
        .order_by(Summary.created_at.desc(), Summary.id.desc()).limit(1))
    if summary is None:
        raise ApiError(404, f"meeting {meeting_id} has no summary yet")
    return jsonify(summary.to_dict())
