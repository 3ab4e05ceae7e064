"""Deterministic "model output": summaries from words, words from bytes, vectors from text."""

from __future__ import annotations

import hashlib
import random
import re
import struct
from collections import Counter

_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")

STOPWORDS = frozenset(
    """a about after all also am an and any are as at be because been but by can could did do does
    for from had has have he her here him his how i if in into is it its just me more my no not now
    of on one or our out over she so some such than that the their them then there these they this
    those to too up us very was we well were what when where which who will with would yes you your
    okay ok yeah um uh like going get got let lets dont thats its im were youre theyre""".split()
)

# Whisper-ish vocabulary for transcripts made from audio bytes; meeting words, so output reads plausibly.
VOCABULARY = (
    "agenda action item budget launch timeline review design customer feedback team sprint goal "
    "release deadline risk plan update metrics roadmap priority decision follow up owner meeting "
    "notes summary question answer proposal draft schedule quarter revenue hiring onboarding "
    "support ticket incident fix deploy staging production test coverage demo slide report "
    "partner contract pricing marketing campaign research data model analysis dashboard "
    "we should next week today tomorrow agree discuss confirm share send check move start finish"
).split()


def tokens(text: str) -> list[str]:
    """Split text into the mock's tokens (words and punctuation), the unit of every usage count."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    """Count the mock's tokens in a text."""
    return len(_TOKEN.findall(text))


def keywords(text: str, limit: int = 5) -> list[str]:
    """Return the most frequent non-stopwords, ties broken by first appearance."""
    words = [w.lower() for w in _WORD.findall(text)]
    counts = Counter(w for w in words if w not in STOPWORDS and len(w) > 2)
    first_seen = {w: i for i, w in reversed(list(enumerate(words)))}
    ranked = sorted(counts, key=lambda w: (-counts[w], first_seen[w]))
    return ranked[:limit]


def summarize(text: str) -> str:
    """Build a meeting-summary-like answer that depends only on the words of `text`."""
    words = _WORD.findall(text)
    if not words:
        return "There is nothing to summarize: the transcript has no words."
    sentences = [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]
    first = " ".join(sentences[0].split()[:30]) if sentences else ""
    topics = keywords(text)
    lines = [
        f"Summary of a {len(words)}-word transcript.",
        f"Key topics: {', '.join(topics) if topics else 'none'}.",
        f"Opening: {first}",
    ]
    if len(sentences) > 1:
        lines.append(f"Closing: {' '.join(sentences[-1].split()[:30])}")
    return "\n".join(lines)


def truncate_to_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """Cut `text` after `max_tokens` tokens; return the text and whether it was cut."""
    matches = list(_TOKEN.finditer(text))
    if len(matches) <= max_tokens:
        return text, False
    return text[: matches[max_tokens - 1].end()] if max_tokens > 0 else "", True


def seeded_rng(data: bytes) -> random.Random:
    """Return a PRNG seeded by the SHA-256 of `data`, so equal inputs give equal outputs."""
    return random.Random(int.from_bytes(hashlib.sha256(data).digest(), "big"))


def words_from_bytes(data: bytes, count: int) -> list[str]:
    """Choose `count` vocabulary words from a hash of `data` (the mock's speech recognition)."""
    rng = seeded_rng(data)
    return [rng.choice(VOCABULARY) for _ in range(count)]


def vector(text: str, dimensions: int) -> list[float]:
    """Return a unit-length embedding derived from the text's hash."""
    rng = seeded_rng(text.encode("utf-8"))
    values = [rng.gauss(0.0, 1.0) for _ in range(dimensions)]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    # Round-trip through float32 so float and base64 encodings give the same numbers.
    packed = struct.pack(f"<{dimensions}f", *(v / norm for v in values))
    return list(struct.unpack(f"<{dimensions}f", packed))


def pack_float32(values: list[float]) -> bytes:
    """Pack floats as little-endian float32, the layout of the API's base64 embeddings."""
    return struct.pack(f"<{len(values)}f", *values)
