"""The statements of a dump outside its data: read whole, their string literals found, each kind
classified (fail closed: a kind not listed here is refused).

Kinds and what the sanitizer does with them:
- CODE: schema the app needs as written (defaults, checks, views, functions, indexes, policies);
  copied. Their literals are code, not rows: the leak check reads them.
- DROP: free text people wrote (COMMENT ON, SECURITY LABEL) and connection secrets (USER
  MAPPING options, SUBSCRIPTION connection strings); removed.
- STATS: `pg_dump --statistics` (PostgreSQL 18); relation statistics (counts) are copied, column
  statistics (most common values, histograms) only for a `keep` column, else dropped.
- LARGE_OBJECT: data outside any table; refused.
"""
from __future__ import annotations

import re

CODE, DROP, STATS, LARGE_OBJECT = "code", "drop", "stats", "large object"
RELATION_STATS_KEYS = {"version", "schemaname", "relname", "relpages", "reltuples",
                       "relallvisible", "relallfrozen"}
# psql meta-commands pg_dump writes (\restrict and \unrestrict since 18.0/17.6/16.10/15.14);
# any other (\! runs a shell) is refused.
META_COMMANDS = (b"\\connect ", b"\\restrict ", b"\\unrestrict ")

_CREATE = ("SCHEMA", "EXTENSION", "TYPE", "DOMAIN", "FUNCTION", "PROCEDURE", "AGGREGATE",
           "OPERATOR", "CAST", "COLLATION", "CONVERSION", "TEXT SEARCH", "FOREIGN DATA WRAPPER",
           "SERVER", "FOREIGN TABLE", "TABLE", "UNLOGGED TABLE", "SEQUENCE", "VIEW",
           "RECURSIVE VIEW", "MATERIALIZED VIEW", "INDEX", "UNIQUE INDEX", "TRIGGER",
           "CONSTRAINT TRIGGER", "EVENT TRIGGER", "RULE", "POLICY", "PUBLICATION", "STATISTICS",
           "TRANSFORM", "ACCESS METHOD", "LANGUAGE", "PROCEDURAL LANGUAGE",
           "TRUSTED PROCEDURAL LANGUAGE", "DATABASE", "DEFAULT CONVERSION")
KINDS: list[tuple[str, str]] = [
    ("COMMENT ON", DROP), ("SECURITY LABEL", DROP), ("CREATE USER MAPPING", DROP),
    ("CREATE SUBSCRIPTION", DROP), ("ALTER SUBSCRIPTION", DROP),
    ("SELECT * FROM PG_CATALOG.PG_RESTORE_ATTRIBUTE_STATS(", STATS),
    ("SELECT * FROM PG_CATALOG.PG_RESTORE_RELATION_STATS(", STATS),
    ("SELECT PG_CATALOG.LO_", LARGE_OBJECT), ("SELECT PG_CATALOG.LOWRITE(", LARGE_OBJECT), ("ALTER LARGE OBJECT", LARGE_OBJECT),
    ("GRANT ALL ON LARGE OBJECT", LARGE_OBJECT), ("GRANT SELECT ON LARGE OBJECT", LARGE_OBJECT),
    ("SET ", CODE), ("RESET ", CODE), ("SELECT PG_CATALOG.SET_CONFIG(", CODE),
    ("SELECT PG_CATALOG.SETVAL(", CODE), ("ALTER ", CODE), ("GRANT ", CODE), ("REVOKE ", CODE),
    ("REFRESH MATERIALIZED VIEW ", CODE), ("DROP ", CODE), ("BEGIN;", CODE), ("COMMIT;", CODE),
    *((f"CREATE {what} ", CODE) for what in _CREATE),
]
_SPECIAL = re.compile(r"""['"$]|--|/\*""")
_DOLLAR = re.compile(r"\$([A-Za-z_\x80-\uffff][A-Za-z_0-9\x80-\uffff]*)?\$")


class Literal:
    """One string literal of a statement: where it is (prefix and quotes included), its value."""

    __slots__ = ("start", "end", "value", "dollar")

    def __init__(self, start: int, end: int, value: str, dollar: bool = False):
        self.start, self.end, self.value, self.dollar = start, end, value, dollar


def lex(text: str) -> tuple[list[Literal], bool]:
    """Return the string literals of SQL text and whether it ends outside any quote or comment."""
    found, open_at = scan(text)
    return found, open_at < 0


def scan(text: str, i: int = 0) -> tuple[list[Literal], int]:
    """Return the string literals of text from i on, and where a quote or comment left open
    at its end starts (-1 when none is: the text ends in code)."""
    found = []
    while (match := _SPECIAL.search(text, i)) is not None:
        s, token = match.start(), match.group()
        if token == "--":
            i = text.find("\n", s)
            if i < 0:
                return found, -1
        elif token == "/*":
            i = text.find("*/", s + 2)
            if i < 0:
                return found, s
            i += 2
        elif token == '"':
            i = _closing(text, s + 1, '"', backslashes=False)
            if i < 0:
                return found, s
        elif token == "$":
            dollar = _DOLLAR.match(text, s)
            if dollar is None or (s and (text[s - 1].isalnum() or text[s - 1] == "_")):
                i = s + 1  # a parameter ($1) or part of an identifier
                continue
            body = dollar.end()
            end = text.find(dollar.group(), body)
            if end < 0:
                return found, s
            i = end + len(dollar.group())
            found.append(Literal(s, i, text[body:end], dollar=True))
        else:
            start, escapes = _literal_start(text, s)
            i = _closing(text, s + 1, "'", backslashes=escapes)
            if i < 0:
                return found, start
            raw = text[s + 1:i - 1]
            found.append(Literal(start, i, _unescape(raw) if escapes else raw.replace("''", "'")))
    return found, -1


def _literal_start(text: str, quote: int) -> tuple[int, bool]:
    """Return where a '...' literal starts (an E, U&, B, X or N prefix included) and whether
    backslashes escape in it (E'...')."""
    start = quote
    while start and text[start - 1] in "eEuU&bBxXnN":
        start -= 1
    prefix = text[start:quote]
    if start and (text[start - 1].isalnum() or text[start - 1] == "_") or len(prefix) > 2:
        return quote, False  # the letters belong to a word before the quote
    return start, prefix.upper() == "E"


def _closing(text: str, i: int, quote: str, backslashes: bool) -> int:
    """Return the index just past the closing quote (a doubled quote is an escaped one), or -1."""
    while True:
        k = text.find(quote, i)
        if k < 0:
            return -1
        if backslashes:
            run = k
            while run > i and text[run - 1] == "\\":
                run -= 1
            if (k - run) % 2:  # an odd number of backslashes: \' is a quote inside the string
                i = k + 1
                continue
        if text[k + 1:k + 2] == quote:
            i = k + 2
            continue
        return k + 1


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r", "b": "\b",
                                        "f": "\f"}.get(m.group(1), m.group(1)),
                  raw.replace("''", "'"), flags=re.DOTALL)


def kind(text: str) -> tuple[str, str] | None:
    """Return (CODE, DROP, STATS or LARGE_OBJECT, the kind's name) for a statement, None for a
    kind not known."""
    head = " ".join(text[:200].split()).upper().replace("CREATE OR REPLACE ", "CREATE ")
    for prefix, action in KINDS:
        if head.startswith(prefix):
            name = prefix.rstrip(" (;").lower()
            if action == STATS:
                name = "statistics"
            elif " " not in name:  # ALTER, SET, GRANT...: name it by its object too
                name = " ".join(head.split()[:2]).lower()
            return action, name
    return None


def read(first: bytes, lines, limit: int, line_no: int) -> bytes:
    """Return the statement that starts with line first, reading its other lines from lines
    (an iterator of lines); refuse one longer than limit bytes or cut short by the end of input."""
    from ..errors import DumpLineTooLongError, TruncatedDumpError

    parts, size, resume = [first], len(first), 0
    while True:
        if parts[-1].rstrip().endswith(b";"):
            text = b"".join(parts).decode("utf-8", "surrogateescape")
            resume = scan(text, resume)[1]  # what is before an open quote is not read again
            if resume < 0:
                return b"".join(parts)
        line = next(lines, None)
        if line is None:
            raise TruncatedDumpError(f"the dump ends inside the statement at line {line_no} "
                                     f"({head(first.decode('utf-8', 'replace'))} ...): it is truncated",
                                     hint="take the dump again; nothing was written")
        parts.append(line)
        size += len(line)
        if size > limit:
            raise DumpLineTooLongError(f"the statement at line {line_no}", limit)


def head(text: str, words: int = 4) -> str:
    """Return the first words of a statement, to name its kind in a message."""
    return " ".join(text.split()[:words])


def stats_arguments(text: str) -> dict[str, str] | None:
    """Return the 'key', 'value' pairs of a pg_restore_*_stats call (None if it is not pairs)."""
    values = [lit.value for lit in lex(text)[0]]
    if len(values) % 2:
        return None
    return dict(zip(values[0::2], values[1::2]))


def values(text: str, depth: int = 3) -> list[str]:
    """Return the values of the string literals of text, and those of the SQL inside its
    dollar-quoted ones (a function body's literals, quoted once more)."""
    found = []
    for lit in lex(text)[0]:
        found.append(lit.value)
        if lit.dollar and depth:
            found += values(lit.value, depth - 1)
    return found


def array_elements(text: str) -> list[str]:
    """Return the elements of a PostgreSQL array literal ({a,"b c",NULL}); [] if it is not one."""
    if not (text.startswith("{") and text.endswith("}")):
        return []
    found, i, n = [], 1, len(text) - 1
    while i < n:
        if text[i] == '"':
            j, value = i + 1, []
            while j < n and text[j] != '"':
                if text[j] == "\\":
                    j += 1
                value.append(text[j])
                j += 1
            found.append("".join(value))
            i = j + 2  # past the quote and the comma
        else:
            j = text.find(",", i)
            j = n if j < 0 else j
            found.append(text[i:j])
            i = j + 1
    return found


def rewrite_literals(text: str, replace) -> str:
    """Return text with each '...' literal replaced by replace(value) (a SQL token)."""
    out, at = [], 0
    for lit in lex(text)[0]:
        out += [text[at:lit.start], replace(lit.value)]
        at = lit.end
    return "".join(out) + text[at:]
