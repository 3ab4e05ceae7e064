"""POST /v1/audio/transcriptions: text chosen from a hash of the audio bytes, in every response format."""

from __future__ import annotations

import io
import wave

from starlette.requests import Request
from starlette.responses import Response

from . import models, text
from .errors import BadRequest, missing
from .http import EventStream, TextReply, Upload, json_response

FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
EXTENSIONS = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
BYTES_PER_SECOND = 16_000  # a 128 kbit/s stream, for compressed formats whose length we cannot read
WORDS_PER_SECOND = 2.5
WORDS_PER_SEGMENT = 12


def duration(upload: Upload) -> float:
    """Return the audio's length in seconds: exact for WAV, estimated from size otherwise."""
    if upload.data[:4] == b"RIFF":
        try:
            with wave.open(io.BytesIO(upload.data)) as wav:
                return round(wav.getnframes() / float(wav.getframerate()), 3)
        except (wave.Error, EOFError, ZeroDivisionError):
            pass
    return round(max(0.1, len(upload.data) / BYTES_PER_SECOND), 3)


def _validate(body: dict) -> tuple[Upload, str, str]:
    """Check the form fields, raising the real API's 400s; return the file, model and format."""
    for field in ("file", "model"):
        if field not in body:
            raise missing(field)
    upload, model = body["file"], body["model"]
    if not isinstance(upload, Upload):
        raise BadRequest("'file' must be a file upload.", param="file", code="invalid_type")
    if not isinstance(model, str):
        raise BadRequest("'model' must be a string.", param="model", code="invalid_type")
    models.require(model, models.TRANSCRIPTION_MODELS)
    extension = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
    if extension not in EXTENSIONS:
        raise BadRequest(f"Invalid file format. Supported formats: {list(EXTENSIONS)}", param="file",
                         code="invalid_value")
    if len(upload.data) < 16:
        raise BadRequest("Audio file is too short. Minimum audio length is 0.1 seconds.", param="file",
                         code="audio_too_short")
    fmt = body.get("response_format", "json")
    if fmt not in FORMATS:
        raise BadRequest(f"Invalid value: '{fmt}'. Supported values are: {', '.join(FORMATS)}.",
                         param="response_format", code="invalid_value")
    if model != "whisper-1" and fmt not in ("json", "text"):
        raise BadRequest(f"response_format '{fmt}' is not compatible with model '{model}'. Use 'json' or "
                         "'text' instead.", param="response_format", code="unsupported_value")
    return upload, model, fmt


def _segments(words: list[str], seconds: float) -> list[dict]:
    """Group words into evenly timed segments, like Whisper's."""
    per_word = seconds / max(1, len(words))
    segments = []
    for i, start in enumerate(range(0, len(words), WORDS_PER_SEGMENT)):
        chunk = words[start:start + WORDS_PER_SEGMENT]
        segments.append({
            "id": i, "seek": 0, "start": round(start * per_word, 2),
            "end": round((start + len(chunk)) * per_word, 2), "text": " " + _sentence(chunk),
            "tokens": [50364 + (sum(map(ord, w)) % 1000) for w in chunk], "temperature": 0.0,
            "avg_logprob": -0.25, "compression_ratio": 1.2, "no_speech_prob": 0.01,
        })
    return segments


def _sentence(words: list[str]) -> str:
    """Join words into a capitalized sentence ending with a period."""
    joined = " ".join(words)
    return joined[:1].upper() + joined[1:] + "."


def _clock(seconds: float, separator: str) -> str:
    """Format seconds as HH:MM:SS<sep>mmm."""
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}{separator}{ms % 1000:03d}"


def _subtitles(segments: list[dict], fmt: str) -> str:
    """Render segments as SRT or WebVTT."""
    sep = "," if fmt == "srt" else "."
    blocks = []
    for seg in segments:
        timing = f"{_clock(seg['start'], sep)} --> {_clock(seg['end'], sep)}"
        lines = [str(seg["id"] + 1), timing] if fmt == "srt" else [timing]
        blocks.append("\n".join(lines + [seg["text"].strip()]))
    header = "WEBVTT\n\n" if fmt == "vtt" else ""
    return header + "\n\n".join(blocks) + "\n"


async def transcribe(request: Request, body: dict) -> Response:
    """Transcribe the uploaded file into deterministic words derived from its bytes."""
    upload, model, fmt = _validate(body)
    seconds = duration(upload)
    count = min(4000, max(3, round(seconds * WORDS_PER_SECOND)))
    words = text.words_from_bytes(upload.data, count)
    segments = _segments(words, seconds)
    transcript = " ".join(seg["text"].strip() for seg in segments)
    if body.get("stream") == "true" and model != "whisper-1":
        return _stream(transcript)
    if fmt == "text":
        return TextReply(transcript + "\n")
    if fmt in ("srt", "vtt"):
        return TextReply(_subtitles(segments, fmt))
    usage = {"type": "duration", "seconds": max(1, round(seconds))}
    if fmt == "json":
        return json_response({"text": transcript, "usage": usage})
    verbose = {"task": "transcribe", "language": body.get("language") or "english", "duration": seconds,
               "text": transcript, "segments": segments, "usage": usage}
    if "word" in (body.get("timestamp_granularities") or []):
        per_word = seconds / len(words)
        verbose["words"] = [{"word": w, "start": round(i * per_word, 2), "end": round((i + 1) * per_word, 2)}
                            for i, w in enumerate(words)]
    return json_response(verbose)


def _stream(transcript: str) -> EventStream:
    """Stream a transcript as `transcript.text.delta` events and a final `transcript.text.done`."""
    words = transcript.split(" ")
    deltas = [w + " " for w in words[:-1]] + words[-1:]
    events = [EventStream.event({"type": "transcript.text.delta", "delta": d, "logprobs": []}) for d in deltas]
    tokens = text.count_tokens(transcript)
    usage = {"type": "tokens", "input_tokens": tokens, "output_tokens": tokens, "total_tokens": 2 * tokens}
    events.append(EventStream.event({"type": "transcript.text.done", "text": transcript, "usage": usage}))
    return EventStream(events, {"stream": True, "content": transcript, "events": len(events)})
