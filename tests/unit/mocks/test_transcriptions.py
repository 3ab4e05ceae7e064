"""Audio transcriptions through the official SDK, in every response format."""

import io
import math
import struct
import wave

import openai
import pytest


def wav(seconds: float, pitch: int = 440, rate: int = 16000) -> bytes:
    """Return a mono 16-bit WAV of a sine tone."""
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / rate)))
                      for i in range(int(seconds * rate)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate), w.writeframes(frames)
    return out.getvalue()


CHUNK = wav(6.0)


def transcribe(client, data=CHUNK, name="chunk.wav", **extra):
    return client.audio.transcriptions.create(model=extra.pop("model", "whisper-1"), file=(name, data), **extra)


def test_json_text_is_stable_across_calls(client):
    first, second = transcribe(client), transcribe(client, response_format="json")
    assert first.text == second.text and len(first.text.split()) == 15  # 6 s at 2.5 words/s


def test_different_audio_gives_different_text(client):
    assert transcribe(client).text != transcribe(client, wav(6.0, pitch=220)).text


def test_verbose_json_segments_span_the_wav_duration(client):
    result = transcribe(client, response_format="verbose_json", timestamp_granularities=["word", "segment"])
    assert result.duration == 6.0 and result.language == "english"
    assert result.segments[0].start == 0 and result.segments[-1].end == 6.0
    assert " ".join(s.text.strip() for s in result.segments) == transcribe(client).text
    assert len(result.words) == 15


def test_text_format_is_the_json_text_plus_newline(client):
    assert transcribe(client, response_format="text") == transcribe(client).text + "\n"


def test_srt_has_numbered_cues_with_comma_millis(client):
    srt = transcribe(client, response_format="srt")
    assert srt.startswith("1\n00:00:00,000 --> 00:00:04,800\n")
    assert "2\n00:00:04,800 --> 00:00:06,000\n" in srt


def test_vtt_has_a_header_and_dot_millis(client):
    vtt = transcribe(client, response_format="vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:04.800\n")


def test_compressed_formats_are_estimated_from_size(client):
    result = transcribe(client, b"\x1aE\xdf\xa3" + bytes(32_000), name="chunk.webm", response_format="verbose_json")
    assert result.duration == 2.0


def test_gpt4o_transcribe_refuses_subtitles(client):
    with pytest.raises(openai.BadRequestError) as caught:
        transcribe(client, model="gpt-4o-transcribe", response_format="srt")
    assert caught.value.param == "response_format"


def test_unknown_file_type_is_a_400_on_file(client):
    with pytest.raises(openai.BadRequestError) as caught:
        transcribe(client, name="notes.txt")
    assert caught.value.param == "file" and "Invalid file format" in caught.value.message


def test_unknown_model_is_a_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        transcribe(client, model="whisper-9")
    assert caught.value.code == "model_not_found"


def test_an_upload_over_the_cap_is_a_413(start_mock):
    url = start_mock(max_upload_bytes=100_000)
    with openai.OpenAI(base_url=f"{url}/v1", api_key="sk-staging-local", max_retries=0) as small:
        with pytest.raises(openai.APIStatusError) as caught:
            transcribe(small, wav(10.0))
    assert caught.value.status_code == 413 and caught.value.code == "request_too_large"


def test_gpt4o_transcribe_streams_deltas_then_the_full_text(client):
    events = list(transcribe(client, model="gpt-4o-mini-transcribe", stream=True))
    deltas = "".join(e.delta for e in events if e.type == "transcript.text.delta")
    assert events[-1].type == "transcript.text.done" and deltas == events[-1].text
    assert events[-1].text == transcribe(client, model="gpt-4o-mini-transcribe").text
