"""The mock "model" filling in a JSON Schema: deterministic instances whose text comes from the input.

Every choice (an enum value, a number, an array's length, an `anyOf` branch) is drawn from a PRNG
seeded by the request, so the same request gets the same instance. Strings are made of the input's
keywords where the schema allows free text; `format`, `pattern`, `minLength`/`maxLength` are honoured.
Each instance is then checked with `jsonschema` (`schema.errors`): the mock never answers JSON that
does not fit, it answers a 400 saying which schema it could not fill.
"""

from __future__ import annotations

import json
import math
import random
import re
import uuid

try:  # the stdlib's regex parser (a pattern's minimal match is read off its parse tree); public before 3.11
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse

from . import schema as schemas
from .errors import BadRequest

MAX_DEPTH = 12  # past this depth, or this many values, a schema takes its shortest way out
MAX_VALUES = 200  # (null, the fewest items, a branch without a reference): recursive schemas end
MAX_ITEMS, MAX_LENGTH = 1000, 10_000  # an array's minItems, a string's minLength: larger is a 400
FORMATS = {
    "date-time": "2026-01-15T09:30:00Z", "date": "2026-01-15", "time": "09:30:00", "duration": "P1D",
    "email": "alice@example.com", "idn-email": "alice@example.com", "hostname": "example.com",
    "idn-hostname": "example.com", "ipv4": "192.0.2.10", "ipv6": "2001:db8::10",
    "uri": "https://example.com/", "iri": "https://example.com/", "uri-reference": "/items/1",
}


class Unfillable(Exception):
    """A schema the mock cannot fill (a regex it cannot match, sizes past its caps)."""


class Filler:
    """Fill schemas for one request: `Filler(seed, words).instance(schema)`."""

    def __init__(self, seed: bytes, words: list[str]) -> None:
        self.rng = random.Random(seed)
        self.words = words or ["example"]
        self.used = 0
        self.values = 0
        self.root: dict = {}

    def instance(self, schema: dict, param: str | None = None) -> object:
        """Return an instance of `schema`; a 400 naming `param` if the mock cannot fill it."""
        self.root = schema
        try:
            value = self._fill(schema, 0, "")
            json.dumps(value, allow_nan=False)  # bounds of 1e400 would make Infinity, which is not JSON
            problems = schemas.errors(schema, value)
        except (RecursionError, Unfillable) as error:
            problems = [str(error) if isinstance(error, Unfillable) else "its references never end"]
        except (OverflowError, ValueError):
            problems = ["its numeric bounds are not finite numbers"]
        if problems:
            raise BadRequest(f"The mock cannot produce an instance of this schema: {problems[0]}",
                             param=param, code="unsupported_schema")
        return value

    def _fill(self, node: object, depth: int, name: str) -> object:
        self.values += 1
        if self.values > MAX_VALUES:
            depth = max(depth, MAX_DEPTH)
        if not isinstance(node, dict):
            return self._phrase(name)
        if "$ref" in node:
            if depth > 4 * MAX_DEPTH:
                raise Unfillable(f"reference '{node['$ref']}' never reaches a value")
            return self._fill(self._resolve(node["$ref"]), depth + 1, name)
        if "const" in node:
            return node["const"]
        if node.get("enum"):
            return self.rng.choice(node["enum"])
        branches = node.get("anyOf") or node.get("oneOf")
        if branches:
            return self._fill(self._branch(branches, depth), depth + 1, name)
        if node.get("allOf"):  # non-strict schemas only: merge the parts shallowly
            merged = {k: v for part in node["allOf"] if isinstance(part, dict) for k, v in part.items()}
            return self._fill({**merged, **{k: v for k, v in node.items() if k != "allOf"}}, depth + 1, name)
        kind = self._kind(node, depth)
        return getattr(self, f"_{kind}")(node, depth, name)

    def _kind(self, node: dict, depth: int) -> str:
        kinds = node.get("type")
        if isinstance(kinds, list):
            real = [k for k in kinds if k != "null"]
            if not real or ("null" in kinds and depth >= MAX_DEPTH):
                return "null"
            return real[0]
        if kinds in schemas.TYPES:
            return kinds
        return "object" if "properties" in node else "array" if "items" in node else "string"

    def _branch(self, branches: list, depth: int) -> object:
        if depth >= MAX_DEPTH:  # the way out of a recursive schema: a branch with no reference
            flat = [b for b in branches if isinstance(b, dict) and "$ref" not in b]
            return (flat or branches)[0]
        return branches[self.rng.randrange(len(branches))]

    def _resolve(self, ref: object) -> object:
        node = schemas.pointer(self.root, ref) if isinstance(ref, str) else None
        if node is None:  # schema.check refuses these first; a non-string $ref is not a reference
            raise Unfillable(f"reference '{ref}' cannot be resolved")
        return node

    def _object(self, node: dict, depth: int, name: str) -> dict:
        props = node.get("properties") or {}
        if depth >= MAX_DEPTH:  # deep in a recursive schema: only what must be there
            required = node.get("required") or []
            props = {key: sub for key, sub in props.items() if key in required}
        return {key: self._fill(sub, depth + 1, key) for key, sub in props.items()}

    def _array(self, node: dict, depth: int, name: str) -> list:
        prefix = node.get("prefixItems") or []
        low, high = int(node.get("minItems", 0)), int(node.get("maxItems", 3))
        if low > MAX_ITEMS:
            raise Unfillable(f"minItems {low} is over the mock's {MAX_ITEMS}")
        count = low if depth >= MAX_DEPTH else max(low, min(high, self.rng.randint(1, 3)))
        items = [self._fill(p, depth + 1, name) for p in prefix[:count]]
        item_schema = node.get("items", {})
        items += [self._fill(item_schema, depth + 1, name) for _ in range(count - len(items))]
        return items

    def _string(self, node: dict, depth: int, name: str) -> str:
        if node.get("format") in FORMATS:
            return FORMATS[node["format"]]
        if node.get("format") == "uuid":
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        if "pattern" in node:
            return self._matching(node["pattern"])
        value = self._phrase(name)
        low, high = int(node.get("minLength", 0)), node.get("maxLength")
        high = None if high is None else int(high)
        if low > MAX_LENGTH:
            raise Unfillable(f"minLength {low} is over the mock's {MAX_LENGTH}")
        while len(value) < low:
            value += " " + self._phrase(name)
        if high is None:
            return value
        cut = value[:high].rstrip()
        return cut if len(cut) >= low else value[:high]

    def _matching(self, pattern: str) -> str:
        """Return a keyword that matches `pattern`, else the pattern's shortest match."""
        try:
            return next(word for word in self.words if re.search(pattern, word))
        except StopIteration:
            pass
        except re.error:
            raise Unfillable(f"pattern '{pattern}' is not a regular expression") from None
        try:
            return _minimal_match(sre_parse.parse(pattern))
        except (re.error, OverflowError, RecursionError):
            raise Unfillable(f"pattern '{pattern}' is not a regular expression the mock can match") from None

    def _integer(self, node: dict, depth: int, name: str) -> int:
        step = node.get("multipleOf")
        low, high = _bounds(node, 0, 100, 1)
        if isinstance(step, int) and step > 0:
            first, last = -(-int(low) // step), int(high) // step
            return step * self.rng.randint(first, max(first, last))
        return self.rng.randint(int(low), max(int(low), int(high)))

    def _number(self, node: dict, depth: int, name: str) -> float | int:
        step = node.get("multipleOf")
        if isinstance(step, (int, float)) and step > 0:
            low, high = _bounds(node, 0, 100, step)
            first, last = math.ceil(low / step), math.floor(high / step)
            start = self.rng.randint(first, max(first, last))
            # a float multiple must divide back exactly, as jsonschema checks it
            for k in [start, *range(first, max(first, last) + 1)]:
                if (k * step / step).is_integer():
                    return k * step
            return first * step
        low, high = _bounds(node, 0.0, 100.0, 0.01)
        return round(self.rng.uniform(low, high), 2) if high > low else low

    def _boolean(self, node: dict, depth: int, name: str) -> bool:
        return self.rng.random() < 0.5

    def _null(self, node: dict, depth: int, name: str) -> None:
        return None

    def _phrase(self, name: str) -> str:
        """Return two or three keywords of the input, a different slice each time."""
        size = 2 + self.rng.randrange(2)
        picked = [self.words[(self.used + i) % len(self.words)] for i in range(size)]
        self.used += size
        return " ".join(dict.fromkeys(picked))


def _bounds(node: dict, low: float, high: float, step: float) -> tuple[float, float]:
    """Return the inclusive range a number may take: the defaults narrowed by the schema's bounds."""
    lows = [node[k] for k in ("minimum",) if isinstance(node.get(k), (int, float))]
    lows += [node[k] + step for k in ("exclusiveMinimum",) if isinstance(node.get(k), (int, float))]
    highs = [node[k] for k in ("maximum",) if isinstance(node.get(k), (int, float))]
    highs += [node[k] - step for k in ("exclusiveMaximum",) if isinstance(node.get(k), (int, float))]
    low, high = max(lows) if lows else low, min(highs) if highs else high
    if lows and not highs:
        high = max(high, low)
    if highs and not lows:
        low = min(low, high)
    return low, high


def _minimal_match(parsed) -> str:
    """Return the shortest string the parsed regex matches (first branch, fewest repeats)."""
    out = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if arg != ord("a") else "b")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_class_member(arg))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            if low > MAX_LENGTH:
                raise Unfillable(f"a pattern repeats {low} times, over the mock's {MAX_LENGTH}")
            out.append(_minimal_match(sub) * low)
        elif name == "SUBPATTERN":
            out.append(_minimal_match(arg[-1]))
        elif name == "BRANCH":
            out.append(_minimal_match(arg[1][0]))
        elif name == "ATOMIC_GROUP":
            out.append(_minimal_match(arg))
    return "".join(out)


def _class_member(items) -> str:
    """Return a character of a character class `[...]`."""
    negate = any(str(op) == "NEGATE" for op, _ in items)
    for op, arg in items:
        name = str(op)
        if name == "LITERAL" and not negate:
            return chr(arg)
        if name == "RANGE" and not negate:
            return chr(arg[0])
        if name == "CATEGORY" and not negate:
            return {"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " "}.get(str(arg), "a")
    return "a"
