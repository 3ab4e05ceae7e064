"""Compile a table's rules into fast functions that rewrite COPY rows and INSERT rows."""
from __future__ import annotations

from typing import Callable

from . import inserts
from .dumpformat import NULL, decode_copy
from .errors import TruncatedDumpError
from .fakes import Fakes
from .policy import Rule


def _value_function(rule: Rule, fakes: Fakes) -> Callable[[bytes], bytes] | None:
    """Return raw value → replacement for a rule (None for keep and drop)."""
    if rule.action == "fake":
        return fakes.maker(rule.kind)
    if rule.action == "hash":
        return fakes.hashed
    return None


def copy_rewriter(table: str, rules: list[Rule], fakes: Fakes) -> Callable[[bytes, int], bytes] | None:
    """Return f(line, line_no) → sanitized COPY line, or None when every column is kept."""
    if all(r.action == "keep" for r in rules):
        return None
    width = len(rules)
    nulls = [i for i, r in enumerate(rules) if r.action == "null"]
    changes = [(i, f) for i, r in enumerate(rules) if (f := _value_function(r, fakes))]
    kept = [i for i, r in enumerate(rules) if r.action != "drop"]
    drops = len(kept) != width

    def rewrite(line: bytes, line_no: int) -> bytes:
        fields = line.rstrip(b"\n").split(b"\t")
        if len(fields) != width:
            raise TruncatedDumpError(
                f"line {line_no}: a row of {table} has {len(fields)} fields, expected {width}",
                hint="the dump is corrupt or truncated: take it again with pg_dump")
        for i, make in changes:
            value = fields[i]
            if value != NULL:
                fields[i] = make(decode_copy(value))
        for i in nulls:
            fields[i] = NULL
        if drops:
            fields = [fields[i] for i in kept]
        return b"\t".join(fields) + b"\n"
    return rewrite


def insert_rewriter(table: str, rules: list[Rule], fakes: Fakes) -> Callable[[list[str]], list[str]]:
    """Return f(tokens) → sanitized SQL tokens of one INSERT row (dropped columns removed)."""
    functions = [_value_function(r, fakes) for r in rules]

    def rewrite(tokens: list[str]) -> list[str]:
        out = []
        for token, rule, make in zip(tokens, rules, functions):
            if rule.action == "drop":
                continue
            if rule.action == "null":
                out.append("NULL")
            elif make is None:
                out.append(token)
            else:
                value = inserts.decode(token)
                out.append("NULL" if value is None else
                           inserts.literal(make(value.encode("utf-8", "surrogateescape"))))
        return out
    return rewrite
