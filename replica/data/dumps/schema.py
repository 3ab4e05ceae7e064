"""What the sanitizer does with a dump's statements outside its data (kinds: statements.py).

Statistics and defaults follow their column's rule; free text and connection secrets are left
out; schema code is copied (the leak check reads its literals); anything else is refused.
"""
from __future__ import annotations

from . import dumpformat as fmt, statements
from ..errors import PolicyError
from ..fakes import Fakes
from .policy import Policy, Rule, qualify
from .rows import literal_rewriter


class SchemaPolicy:
    """Apply a column policy to schema statements: keep, rewrite, leave out or refuse each."""

    def __init__(self, policy: Policy, fakes: Fakes):
        self.policy = policy
        self.fakes = fakes

    def statement(self, text: str, n: int) -> tuple[str, str | None]:
        """Return (the statement as it goes out, "" when left out; the kind left out or None)."""
        found = statements.kind(text)
        if found is None:
            raise PolicyError(f"line {n}: the sanitizer does not know statements like "
                              f"'{statements.head(text)} ...', so it cannot tell whether they "
                              "hold data: refused (fail closed)",
                              hint="dump without them, or teach replica/data/dumps/statements.py the kind")
        kind, name = found
        if kind == statements.LARGE_OBJECT:  # data outside any table: no policy covers it
            raise PolicyError(f"line {n}: the dump holds large objects, which the policy cannot "
                              "classify", hint="dump again with --no-large-objects (-B)")
        if kind == statements.DROP:
            return "", name
        if kind == statements.STATS:
            return (text, None) if self._stats_kept(text, n) else ("", "statistics")
        default = fmt.SET_DEFAULT.match(" ".join(text.split()))
        if default:
            table = qualify(fmt.unquote(default.group(1)))
            rule = self.policy.rules_for(table, [fmt.unquote(default.group(2))])[0]
            if rule.action == "drop":
                return "", "default"
            if rule.action != "keep":
                return self._rewrite(text, rule), None
        return text, None

    def column_line(self, line: bytes, rule: Rule) -> bytes:
        """Return a CREATE TABLE column line with its DEFAULT's literals under the column's rule."""
        if rule.action in ("keep", "drop") or b"'" not in line:
            return line
        return self._rewrite(line.decode("utf-8", "surrogateescape"), rule).encode(
            "utf-8", "surrogateescape")

    def _stats_kept(self, text: str, n: int) -> bool:
        """Keep relation statistics (counts) and column statistics of a `keep` column only."""
        args = statements.stats_arguments(text)
        if args is None:
            raise PolicyError(f"line {n}: cannot read the arguments of this statistics call",
                              hint="pass the dump as pg_dump wrote it, or dump with --no-statistics")
        if "pg_restore_relation_stats" in text[:80]:
            unknown = set(args) - statements.RELATION_STATS_KEYS
            if unknown:
                raise PolicyError(f"line {n}: relation statistics with unknown field(s) "
                                  f"{', '.join(sorted(unknown))}: refused (fail closed)",
                                  hint="dump with --no-statistics")
            return True
        rules = self.policy.tables.get(qualify(f"{args.get('schemaname')}.{args.get('relname')}"))
        rule = rules.get(args.get("attname", "")) if rules else None  # an index's: no attname
        return rule is not None and rule.action == "keep"

    def _rewrite(self, text: str, rule: Rule) -> str:
        """Return text with its literals replaced as the column's rule replaces values."""
        return statements.rewrite_literals(text, literal_rewriter(rule, self.fakes))


def check_meta_command(line: bytes, n: int) -> None:
    """Refuse a psql meta-command pg_dump does not write (\\! would run a shell in load-dump)."""
    if not line.startswith(statements.META_COMMANDS):
        command = line.split()[0].decode("utf-8", "replace")
        raise PolicyError(f"line {n}: the psql command {command!r} is not one pg_dump writes: "
                          "refused (fail closed)", hint="pass the dump as pg_dump wrote it")
