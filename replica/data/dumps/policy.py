"""The sanitizer policy: every column of every table classified keep, fake, hash, null or drop."""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import yaml

from ..errors import PolicyError, UnclassifiedColumnError
from ..fakes import KINDS

ACTIONS = ("keep", "fake", "hash", "null", "drop")
TOP_KEYS = {"version", "tables"}
DEFAULT_SCHEMA = "public"


# NamedTuples, not dataclasses: importing dataclasses costs ~5 ms, a twentieth of sanitizing a
# 10 MB dump.
class Rule(NamedTuple):
    """What happens to one column: an action, and for `fake` the kind of fake value."""

    action: str
    kind: str | None = None


class Policy(NamedTuple):
    """Rules per qualified table name (schema.table), then per column."""

    tables: dict[str, dict[str, Rule]]
    source: str = "the policy"

    def table(self, name: str) -> dict[str, Rule]:
        """Return the rules of a table named as a dump names it, or fail closed."""
        rules = self.tables.get(qualify(name))
        if rules is None:
            raise PolicyError(f"table {qualify(name)} is not classified in {self.source}",
                              hint=f"add a `{unqualify(name)}:` section classifying each of its "
                                   "columns; nothing was written")
        return rules

    def rules_for(self, table: str, columns: list[str]) -> list[Rule]:
        """Return one rule per column, raising UnclassifiedColumnError for the first unknown."""
        rules = self.table(table)
        found = []
        for column in columns:
            if column not in rules:
                raise UnclassifiedColumnError(unqualify(table), column, self.source)
            found.append(rules[column])
        return found


def qualify(name: str) -> str:
    """Return schema.table for a table name (unquoted; public when no schema is given)."""
    parts = [p.strip('"') for p in name.split(".")]
    return ".".join(parts) if len(parts) > 1 else f"{DEFAULT_SCHEMA}.{parts[0]}"


def unqualify(name: str) -> str:
    """Return the name as written in the policy (no public. prefix)."""
    name = qualify(name)
    return name.split(".", 1)[1] if name.startswith(f"{DEFAULT_SCHEMA}.") else name


def parse_rule(text: object, where: str) -> Rule:
    """Parse `keep`, `fake email`, `hash`, `null` or `drop`; say what is wrong otherwise."""
    words = str(text).split() if isinstance(text, str) else []
    if not words or words[0] not in ACTIONS:
        raise PolicyError(f"{where}: {text!r} is not an action",
                          hint=f"use one of: {', '.join(ACTIONS)} (fake takes a kind: "
                               f"{', '.join(sorted(KINDS))})")
    action, rest = words[0], words[1:]
    if action == "fake":
        if len(rest) != 1 or rest[0] not in KINDS:
            raise PolicyError(f"{where}: {text!r} needs one kind of fake value",
                              hint=f"write `fake <kind>` with kind one of {', '.join(sorted(KINDS))}")
        return Rule("fake", rest[0])
    if rest:
        raise PolicyError(f"{where}: {text!r}: `{action}` takes no argument",
                          hint=f"write just `{action}`")
    return Rule(action)


def from_mapping(data: object, source: str = "the policy") -> Policy:
    """Validate a parsed policy document and build a Policy."""
    if not isinstance(data, dict) or not isinstance(data.get("tables"), dict):
        raise PolicyError(f"{source} has no `tables:` mapping",
                          hint="see db/sanitize.yml for the expected layout")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise PolicyError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}",
                          hint=f"the top level holds only {', '.join(sorted(TOP_KEYS))}")
    if data.get("version", 1) != 1:
        raise PolicyError(f"{source}: version {data.get('version')!r} is not supported (use 1)")
    tables: dict[str, dict[str, Rule]] = {}
    for table, columns in data["tables"].items():
        if not isinstance(columns, dict) or not columns:
            raise PolicyError(f"{source}: table {table} must map each column to an action")
        tables[qualify(str(table))] = {
            str(col): parse_rule(rule, f"{source}: {table}.{col}") for col, rule in columns.items()}
    return Policy(tables, source)


def load(path: str | Path) -> Policy:
    """Read and validate a policy file (YAML)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as error:
        raise PolicyError(f"cannot read policy {path}: {error.strerror}",
                          hint="pass --policy with the path of a sanitize.yml") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise PolicyError(f"policy {path} is not valid YAML{at}: "
                          f"{getattr(error, 'problem', error)}") from None
    return from_mapping(data, str(path))
