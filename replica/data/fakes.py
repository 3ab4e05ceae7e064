"""Deterministic fake values keyed by a secret salt: the same input always gives the same fake.

Every fake is safe inside COPY text and SQL string literals (no tab, newline, backslash or quote),
and emails and usernames carry 64 bits of the keyed digest, so distinct inputs stay distinct.
"""
from __future__ import annotations

import functools
import hashlib
import random
from itertools import accumulate
import struct
from typing import Callable

# werkzeug's scrypt hash of "staging-password": every sanitized or fixture user logs in with it.
STAGING_PASSWORD = "staging-password"
STAGING_PASSWORD_HASH = (
    "scrypt:32768:8:1$punRygsxXiDyQWay$37420ead20c94a84309e2d0dec9742d006082fed1329d294416236b5fc7"
    "2010181a1e5595680ff4875da7348ed13cf19fef99222d18ecf4488b14067cfccde85")

FIRST_NAMES = (
    "Ada Alan Amara Anika Ari Beatriz Bilal Bruno Camille Carlos Chen Chiara Dara Dmitri Elena "
    "Emeka Esther Farah Felix Freya Gabriel Grace Hana Hugo Ines Ivan Jamal Jana Jonas Kaito Kavya "
    "Kenji Lara Leon Lina Luca Maya Mateo Mei Mila Nadia Niko Noor Omar Oscar Priya Rafael Rosa "
    "Sami Sofia Tariq Tessa Theo Uma Valentina Viktor Wen Yara Yusuf Zara").split()
LAST_NAMES = (
    "Abbott Adeyemi Alvarez Andersen Baptiste Bauer Becker Bose Castillo Costa Dahl Diallo Dubois "
    "Eriksen Ferreira Fischer Garcia Haddad Hansen Herrera Ibrahim Ito Jansen Kaur Keller Kim Kowalski "
    "Larsen Lefevre Lindqvist Mbeki Meyer Molina Moreau Nakamura Novak Okafor Olsen Park Patel Petrov "
    "Quinn Ramos Rossi Sato Schmidt Silva Singh Sorensen Tanaka Torres Varga Vogel Wagner Weber "
    "Yamamoto Zhang Zimmer").split()
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["ren", "lin", "sar", "tov"]
WORDS = (
    "agenda action align backlog budget call client customer dashboard deadline decision demo "
    "deploy design draft estimate feature feedback follow forecast goal handoff hiring idea "
    "incident integration interview issue launch metric milestone migration mobile notes onboarding "
    "option outage owner plan pricing priority product project proposal quarter question release "
    "report research review risk roadmap sales schedule scope search security sprint staging "
    "status summary support team test timeline update user vendor version workflow the a and to of "
    "we will should can next this that for with on it is be our please let me check").split()


def _corpus(size: int = 1 << 16) -> tuple[bytes, list[int]]:
    """Build a fixed lorem-style corpus (doubled, so any slice fits) and its word starts."""
    rng, words, text = random.Random(20261126), [], b""
    while len(text) < size:  # choices() in bulk: a tenth of the start-up that choice() cost
        words += rng.choices(WORDS, k=4096)
        text = " ".join(words).encode()
    text = text[:size]
    starts = [0, *accumulate(len(word) + 1 for word in text.split(b" ")[:-1])]  # after each space
    return text + b" " + text, starts


CORPUS, STARTS = _corpus()
MAX_TEXT = len(CORPUS) // 2
MIN_TEXT = 12  # shorter fakes could coincide with short real values


class Fakes:
    """Make fake values of each kind from one secret salt."""

    def __init__(self, salt: bytes, cache_size: int = 200_000):
        if len(salt) < 16:
            raise ValueError("the sanitizer salt must be at least 16 bytes")
        self.salt = hashlib.blake2b(salt, digest_size=32).digest()
        self.cache_size = cache_size
        self._keyed: dict[tuple[str, int], object] = {}

    def digest(self, kind: str, raw: bytes, size: int = 16) -> bytes:
        """Return the keyed digest of raw, separated per kind of value."""
        keyed = self._keyed.get((kind, size))
        if keyed is None:  # copying a keyed state is cheaper than keying each time
            keyed = self._keyed[kind, size] = hashlib.blake2b(
                key=self.salt, person=kind.encode()[:16], digest_size=size)
        h = keyed.copy()
        h.update(raw)
        return h.digest()

    def maker(self, kind: str) -> Callable[[bytes], bytes]:
        """Return a function turning one decoded value into its fake (cached when values repeat)."""
        if kind == "text":
            return self._text_maker()
        make = getattr(self, f"_{kind}")
        if kind in UNCACHED:
            return make
        cache: dict[bytes, bytes] = {}
        limit = self.cache_size

        def cached(raw: bytes) -> bytes:
            fake = cache.get(raw)
            if fake is None:
                if len(cache) >= limit:
                    cache.clear()  # constant memory: forget, recompute later (deterministic)
                fake = cache[raw] = make(raw)
            return fake
        return cached

    def _pick(self, kind: str, raw: bytes) -> tuple[str, str, str]:
        d = self.digest(kind, raw)
        first = FIRST_NAMES[d[8] % len(FIRST_NAMES)]
        last = LAST_NAMES[d[9] % len(LAST_NAMES)]
        return first, last, d[:8].hex()

    def _email(self, raw: bytes) -> bytes:
        first, last, tag = self._pick("email", raw)
        return f"{first}.{last}.{tag}@example.com".lower().encode()

    def _username(self, raw: bytes) -> bytes:
        first, _, tag = self._pick("username", raw)
        return f"{first.lower()}_{tag}".encode()

    def _name(self, raw: bytes) -> bytes:
        d = self.digest("name", raw)
        # Invented names (2 + 3 syllables): they read like names but are not anyone's, so a leak
        # check never mistakes a fake for a real value of the input.
        first = "".join(SYLLABLES[b % len(SYLLABLES)] for b in d[:2]).capitalize()
        last = "".join(SYLLABLES[b % len(SYLLABLES)] for b in d[2:5]).capitalize()
        return f"{first} {last}".encode()

    def _text_maker(self) -> Callable[[bytes], bytes]:
        keyed = hashlib.blake2b(key=self.salt, person=b"text", digest_size=8)
        starts, count, corpus, from_bytes = STARTS, len(STARTS), CORPUS, int.from_bytes

        def text(raw: bytes) -> bytes:  # the hot path of most dumps: kept to a few C calls
            h = keyed.copy()
            h.update(raw)
            start = starts[from_bytes(h.digest(), "little") % count]
            return corpus[start:start + min(max(len(raw), MIN_TEXT), MAX_TEXT)]
        return text

    def _password(self, raw: bytes) -> bytes:
        return STAGING_PASSWORD_HASH.encode()

    def native_op(self, action: str, kind: str | None) -> str | bytes:
        """Return a rule as the compiled row loop's plan names it (a constant as bytes)."""
        if action == "fake" and kind == "password":  # a constant, whatever the value
            return self._password(b"")
        return kind if action == "fake" else action

    @staticmethod
    @functools.cache
    def native_tables() -> dict:
        """The word tables the compiled row loop makes the same fakes from (see _copyrows)."""
        return {"corpus": CORPUS, "starts": struct.pack(f"<{len(STARTS)}I", *STARTS),
                "min_text": MIN_TEXT, "max_text": MAX_TEXT,
                "first_names": [n.lower().encode() for n in FIRST_NAMES],
                "last_names": [n.lower().encode() for n in LAST_NAMES],
                "syllables": [s.encode() for s in SYLLABLES]}

    def hashed(self, raw: bytes) -> bytes:
        """Return the `hash` action's value: 16 hex digits of the keyed digest."""
        return self.digest("hash", raw, 8).hex().encode()


KINDS = {"email", "username", "name", "text", "password"}
UNCACHED = {"text", "password"}
