"""Faults on purpose: a token grammar, named profiles, and the plan that picks a fault per request.

A fault token is `<kind>[:<value>]`:
  ok               answer normally (a step in a sequence or cycle)
  <status>[:s]     answer with that HTTP error; 429/5xx carry retry-after of `s` seconds (default 0.2);
                   a `+noretry` suffix adds `x-should-retry: false`, which the SDK obeys
  slow[:ms]        wait `ms` milliseconds (default 1500), then answer normally
  timeout[:s]      hold the request `s` seconds (default 60) and then answer 504
  cut[:n]          drop the connection after `n` stream events (default: half), or mid-body
  malformed        answer 200 with a body that is not valid JSON
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BadRequest

PROFILES: dict[str, tuple[str, ...]] = {
    "": (),
    "healthy": (),
    "ratelimit": ("429:1",),
    "flaky": ("ok", "ok", "503"),
    "slow": ("slow:1500",),
    "down": ("503",),
    "timeout": ("timeout:60",),
    "broken-stream": ("cut",),
    "malformed": ("malformed",),
}
MAX_HOLD_SECONDS = 300.0


class FaultError(BadRequest):
    """A fault token, profile or plan is invalid (answered as a 400)."""


@dataclass(frozen=True)
class Fault:
    """One parsed fault token."""

    kind: str
    status: int = 0
    seconds: float | None = None
    events: int | None = None
    token: str = ""
    no_retry: bool = False


def parse(token: str, param: str = "fault") -> Fault:
    """Parse a fault token such as `429:0.05`, `slow:250` or `cut:3`."""
    text = token.strip().lower()
    spec, plus, flag = text.partition("+")
    if plus and flag != "noretry":
        raise FaultError(f"Invalid fault {token!r}: the only suffix is '+noretry'.", param=param)
    kind, _, value = spec.partition(":")
    try:
        number = float(value) if value else None
    except ValueError:
        raise FaultError(f"Invalid fault {token!r}: {value!r} is not a number.", param=param) from None
    if number is not None and not 0 <= number <= MAX_HOLD_SECONDS * 1000:
        raise FaultError(f"Invalid fault {token!r}: value out of range.", param=param)
    if kind == "ok" and number is None:
        return Fault("ok", token=text)
    if kind.isdigit() and 400 <= int(kind) <= 599:
        return Fault("status", status=int(kind), seconds=number, token=text, no_retry=bool(plus))
    if plus:
        raise FaultError(f"Invalid fault {token!r}: '+noretry' only goes with a status.", param=param)
    if kind == "slow":
        return Fault("slow", seconds=(1500 if number is None else number) / 1000, token=text)
    if kind == "timeout":
        return Fault("timeout", seconds=min(60 if number is None else number, MAX_HOLD_SECONDS), token=text)
    if kind == "cut":
        return Fault("cut", events=None if number is None else int(number), token=text)
    if kind == "malformed" and number is None:
        return Fault("malformed", token=text)
    raise FaultError(
        f"Unknown fault {token!r}: use ok, a 4xx/5xx status, slow[:ms], timeout[:s], cut[:n] or malformed.",
        param=param,
    )


def _parse_list(tokens: object, param: str) -> list[Fault]:
    """Parse a JSON list of fault tokens."""
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise FaultError(f"'{param}' must be a list of fault strings.", param=param)
    return [parse(t, param) for t in tokens]


class FaultPlan:
    """The faults to inject: a one-shot sequence first, then a repeating cycle (the profile)."""

    def __init__(self, profile: str = "", paths: tuple[str, ...] = ()) -> None:
        self._startup_profile = profile
        self.set({"profile": profile, "paths": list(paths)})

    def set(self, spec: dict) -> dict:
        """Replace the plan with `{"profile"?, "sequence"?, "cycle"?, "paths"?}` and return its state."""
        if not isinstance(spec, dict):
            raise FaultError("The fault plan must be a JSON object.")
        unknown = set(spec) - {"profile", "sequence", "cycle", "paths"}
        if unknown:
            raise FaultError(f"Unknown fault plan field(s): {', '.join(sorted(unknown))}.", param=min(unknown))
        profile = spec.get("profile") or ""
        if not isinstance(profile, str) or profile not in PROFILES:
            raise FaultError(
                f"Unknown profile {profile!r}; known: {', '.join(p for p in PROFILES if p)}.", param="profile"
            )
        paths = spec.get("paths") or []
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise FaultError("'paths' must be a list of path prefixes.", param="paths")
        cycle = _parse_list(spec["cycle"], "cycle") if "cycle" in spec else [parse(t) for t in PROFILES[profile]]
        self.sequence = _parse_list(spec.get("sequence", []), "sequence")
        self.cycle, self.profile, self.paths = cycle, profile, paths
        self._turn = 0
        self.injected = 0
        return self.state()

    def clear(self) -> dict:
        """Drop every fault, the start-up profile included."""
        return self.set({})

    def next(self, path: str) -> Fault | None:
        """Return the fault for the next request to `path`, advancing the plan (None = answer normally)."""
        if self.paths and not any(path.startswith(p) for p in self.paths):
            return None
        if self.sequence:
            fault = self.sequence.pop(0)
        elif self.cycle:
            fault = self.cycle[self._turn % len(self.cycle)]
            self._turn += 1
        else:
            return None
        if fault.kind == "ok":
            return None
        self.injected += 1
        return fault

    def state(self) -> dict:
        """Return the plan as JSON-ready data."""
        return {
            "profile": self.profile,
            "sequence": [f.token for f in self.sequence],
            "cycle": [f.token for f in self.cycle],
            "paths": list(self.paths),
            "injected": self.injected,
            "startup_profile": self._startup_profile,
        }
