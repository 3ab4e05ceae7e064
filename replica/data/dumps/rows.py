"""Compile a table's rules into fast functions that rewrite COPY rows and INSERT rows.

COPY rows, the bulk of any dump, go through the compiled loop (replica/data/dumps/native, built by
`pip install`) when it is there, and through generated Python code otherwise: the two give the
same bytes (tests/unit/data/test_native_rows.py), the compiled one about 5x faster and without
holding the GIL.
"""
from __future__ import annotations

from typing import Callable

from . import inserts
from .dumpformat import NULL, decode_copy
from ..errors import TruncatedDumpError
from ..fakes import Fakes
from .policy import Rule

from .compiled import copyrows as _copyrows

NATIVE = _copyrows is not None


def _value_function(rule: Rule, fakes: Fakes) -> Callable[[bytes], bytes] | None:
    """Return raw value → replacement for a rule (None for keep and drop)."""
    if rule.action == "fake":
        return fakes.maker(rule.kind)
    if rule.action == "hash":
        return fakes.hashed
    return None


def copy_rewriter(table: str, rules: list[Rule], fakes: Fakes,
                  native: bool = NATIVE) -> Callable[[bytes, int], bytes] | None:
    """Return f(chunk of whole COPY lines, its first line number) → sanitized chunk, or None
    when every column is kept."""
    if all(r.action == "keep" for r in rules):
        return None
    return (native_copy_rewriter if native else python_copy_rewriter)(table, rules, fakes)


def native_copy_rewriter(table: str, rules: list[Rule], fakes: Fakes) -> Callable[[bytes, int], bytes]:
    """The compiled loop: one C call per chunk, the GIL released while it runs."""
    if _copyrows is None:
        raise RuntimeError("the compiled row loop is not built (no C compiler at install time)")
    plan = [fakes.native_op(r.action, r.kind) for r in rules]
    rewriter = _copyrows.Rewriter(fakes.salt, plan, **fakes.native_tables())

    def rewrite(chunk: bytes, first: int) -> bytes:
        try:
            return rewriter.rewrite(chunk)
        except ValueError as error:
            offset, fields = error.args
            raise _malformed(table, first + offset, fields, len(rules)) from None
    return rewrite


def python_copy_rewriter(table: str, rules: list[Rule], fakes: Fakes) -> Callable[[bytes, int], bytes]:
    """The same loop in Python, for installs without the compiled one.

    The loop is generated per table (one straight line of code per changed column): rows are the
    bulk of a dump, and a generic per-column loop would make the sanitizer several times slower.
    """
    width = len(rules)
    env = {"NULL": NULL, "BS": b"\\", "dec": decode_copy, "bad": _bad_row(table, width),
           "width": width}
    # Split only as far as the last column that changes: the rest of the row stays one piece.
    touched = max(i for i, r in enumerate(rules) if r.action != "keep")
    parts = min(touched + 2, width)
    check = (f"len(f) != {width}" if parts == width else
             f"len(f) != {parts} or f[-1].count(b'\\t') != {width - parts}")
    # Splitting a full row once more than needed shows a surplus field instead of hiding it in
    # the last one.
    limit = width if parts == width else parts - 1
    body = ["def rewrite(chunk, first):", "    out = []", "    append = out.append",
            "    lines = chunk.split(b'\\n')", "    lines.pop()  # after the last newline",
            "    for line in lines:", f"        f = line.split(b'\\t', {limit})",
            f"        if {check}: bad(lines, first)"]
    for i, rule in enumerate(rules):
        make = _value_function(rule, fakes)
        if make is not None:
            env[f"m{i}"] = make
            body += [f"        v = f[{i}]",
                     f"        if v != NULL: f[{i}] = m{i}(dec(v) if BS in v else v)"]
        elif rule.action == "null":
            body.append(f"        f[{i}] = NULL")
    kept = [i for i, r in enumerate(rules[:parts]) if r.action != "drop"]  # [parts-1]: the rest
    joined = "f" if len(kept) == parts else "[" + ", ".join(f"f[{i}]" for i in kept) + "]"
    body += [f"        append(b'\\t'.join({joined}))", "    out.append(b'')",
             "    return b'\\n'.join(out)"]
    exec(compile("\n".join(body), f"<rewrite {table}>", "exec"), env)
    return env["rewrite"]


def _bad_row(table: str, width: int):
    def bad(lines: list[bytes], first: int) -> None:
        for offset, line in enumerate(lines):
            fields = line.count(b"\t") + 1
            if fields != width:
                raise _malformed(table, first + offset, fields, width)
    return bad


def _malformed(table: str, line: int, fields: int, width: int) -> TruncatedDumpError:
    return TruncatedDumpError(f"line {line}: a row of {table} has {fields} fields, expected {width}",
                              hint="the dump is corrupt or truncated: take it again with pg_dump")


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


def literal_rewriter(rule: Rule, fakes: Fakes) -> Callable[[str], str]:
    """Return f(value of a SQL string literal) → the token a non-keep rule puts in its place
    (a column's DEFAULT follows the column's rule)."""
    if rule.action == "null":
        return lambda value: "NULL"
    make = _value_function(rule, fakes)
    return lambda value: inserts.literal(make(value.encode("utf-8", "surrogateescape")))
