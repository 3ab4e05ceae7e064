"""Take secrets out of text before it is shown or leaves the machine: the project's one redactor.

`redact` masks what looks like a secret without knowing it (URL passwords, `password=` of a libpq
conninfo, secret-named query parameters, authorization headers, API keys); `Redactor` also masks the
known secret values of an environment, wherever they appear.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

MASK = "[REDACTED]"
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|_KEY$|DSN|CREDENTIAL)", re.I)
# Query parameters that carry a credential: ?token=, ?api_key=, ?access_token=, ?sig=, S3's
# X-Amz-Signature, ?password= of a libpq URL...
SECRET_PARAMETER = (r"[\w.-]*(?:token|secret|passw(?:or)?d|api[_-]?key|signature|credential)[\w.-]*"
                    r"|key|sig|pwd|pass|auth|session")
PATTERNS = [
    # Authorization headers, in HTTP text and in JSON
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(bearer\s+|basic\s+)?[^\s\"',}]+"),
     lambda m: f"{m.group(1)}{m.group(2) or ''}{MASK}"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"), lambda m: f"Bearer {MASK}"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), lambda m: MASK),
    # user:password@ in any URL, multi-host ones included
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s/]+@"), lambda m: f"{m.group(1)}{MASK}@"),
    # a secret-named query parameter of a URL
    (re.compile(rf"(?i)([?&;](?:{SECRET_PARAMETER})=)[^&#\s\"'<>]+"), lambda m: f"{m.group(1)}{MASK}"),
    # password=... of a libpq key=value conninfo string, quoted or not
    (re.compile(r"(?i)((?<![^\s])(?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']+)"),
     lambda m: f"{m.group(1)}{MASK}"),
]
MIN_SECRET_LENGTH = 4


def redact(text: str) -> str:
    """Return text with every secret-looking part masked (e.g. a database URL for a message)."""
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class Redactor:
    """Replace known secret values and secret-looking patterns with a mask."""

    def __init__(self, secrets=()):
        values = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        self.secrets = sorted(values, key=len, reverse=True)

    def text(self, text: str) -> str:
        """Return the text with every secret masked."""
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return redact(text)


def secrets_of(env: dict[str, str]) -> set[str]:
    """Collect the secret values of an environment: secret-named variables and URL credentials."""
    found = set()
    for key, value in env.items():
        if not value:
            continue
        if SECRET_NAME.search(key):
            found.add(value)
        parts = urlsplit(value) if "://" in value else None
        if parts and parts.password:
            found.add(parts.password)
        if parts and parts.username and SECRET_NAME.search(key):
            found.add(parts.username)  # a Sentry DSN's public key sits in the username
    return found
