"""Latency ratios to a calibration request, judged against the machine's baseline ratios.

Each measured request is paired with a calibration request (a trivial view under the same gunicorn)
sent right beside it, so a busy machine slows both sides. A kind's values are its latencies divided by
the batch's calibration `quantile` (slo.json: the 10th percentile; on a busy machine the slow tail is the
scheduler's, while the fastest requests still show the work a request does, and every extra round
trip or blocking call is in each of them). A kind regresses when the quantile of its values exceeds
the baseline's by more than `margin` AND a one-sided Mann-Whitney U test says the shift is not noise
(p < alpha), in the first batch and again in each of `confirmations` fresh batches: a burst of load
on the machine does not last that long.

    >>> rule = Rule.from_slo(Path("k6/slo.json"))
    >>> verdicts = judge_all(measure, rule, baseline_ratios)   # measure(kinds, pairs) -> ratios
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import baseline as baselines
from .errors import BaselineError
from .stats import p_greater, quantile

BASELINE_FILE = "ratios.json"


@dataclass(frozen=True)
class Rule:
    """How the local replica's latency is judged (slo.json's `local` section)."""

    calibration: str
    kinds: dict[str, str]
    pairs: int = 30
    warmup: int = 3
    margin: float = 0.5
    alpha: float = 0.001
    quantile: float = 0.25
    confirmations: int = 1

    @classmethod
    def from_slo(cls, slo_path: Path) -> "Rule":
        local = json.loads(slo_path.read_text())["local"]
        return cls(**{key: value for key, value in local.items() if key != "about"})


@dataclass(frozen=True)
class KindVerdict:
    """One request kind: its ratio (at the rule's quantile) now and in the baseline, p, the verdict."""

    kind: str
    ratio: float
    baseline_ratio: float
    p: float
    regressed: bool
    samples: int
    batches: list[float] = field(default_factory=list)  # each batch's ratio

    @property
    def shift(self) -> float:
        return self.ratio / self.baseline_ratio if self.baseline_ratio else float("inf")

    def describe(self) -> str:
        text = (f"{self.kind} {self.ratio:.2f}× calibration vs baseline {self.baseline_ratio:.2f}× "
                f"({self.shift:.2f}×, p={self.p:.1g}, n={self.samples}")
        if len(self.batches) > 1:
            text += ", batches " + "/".join(f"{b:.2f}×" for b in self.batches)
        return text + ")"


def judge(kind: str, ratios: list[float], reference: list[float], rule: Rule) -> KindVerdict:
    """Judge one batch of one kind against the baseline's ratios."""
    now, then = quantile(ratios, rule.quantile), quantile(reference, rule.quantile)
    p = p_greater(ratios, reference)
    regressed = now > then * (1 + rule.margin) and p < rule.alpha
    return KindVerdict(kind, now, then, p, regressed, len(ratios), [now])


Measure = Callable[[list[str], int], dict[str, list[float]]]


def judge_all(measure: Measure, rule: Rule, reference: dict[str, list[float]]
              ) -> tuple[list[KindVerdict], dict[str, list[float]]]:
    """Measure every kind, re-measure the suspects, and return the verdicts and all ratios drawn.

    A kind is called regressed only when every batch it was measured in regressed on its own.
    """
    drawn = measure(list(rule.kinds), rule.pairs)
    verdicts = {kind: judge(kind, drawn[kind], reference[kind], rule) for kind in rule.kinds}
    for _ in range(rule.confirmations):
        suspects = [kind for kind, verdict in verdicts.items() if verdict.regressed]
        if not suspects:
            break
        again = measure(suspects, rule.pairs)
        for kind in suspects:
            fresh = judge(kind, again[kind], reference[kind], rule)
            drawn[kind] = drawn[kind] + again[kind]
            combined = judge(kind, drawn[kind], reference[kind], rule)
            verdicts[kind] = KindVerdict(kind, combined.ratio, combined.baseline_ratio,
                                         max(verdicts[kind].p, fresh.p), fresh.regressed,
                                         combined.samples, verdicts[kind].batches + fresh.batches)
    return list(verdicts.values()), drawn


def summarize(verdicts: list[KindVerdict]) -> str:
    """One line of evidence: the regressed kinds first, else every kind within the noise."""
    bad = [v for v in verdicts if v.regressed]
    if bad:
        return "latency ratio regressed: " + "; ".join(v.describe() for v in bad)
    return "latency ratios within noise of the baseline: " + "; ".join(v.describe() for v in verdicts)


def load_reference(path: Path, rule: Rule, identity: dict | None = None) -> dict[str, list[float]] | None:
    """Return the baseline ratios per kind; None when none was recorded; an error when unusable."""
    stored = baselines.read(path, required=("calibration", "ratios"), identity=identity)
    if stored is None:
        return None
    ratios = stored["ratios"]
    if stored["calibration"] != rule.calibration or not isinstance(ratios, dict):
        raise BaselineError(f"baseline {path} was measured against {stored['calibration']!r}, "
                            f"not {rule.calibration!r}", hint=baselines.REBASELINE)
    missing = [kind for kind in rule.kinds if not _usable(ratios.get(kind))]
    if missing:
        raise BaselineError(f"baseline {path} has no usable ratios for {', '.join(missing)}",
                            hint=baselines.REBASELINE)
    return {kind: [float(x) for x in ratios[kind]] for kind in rule.kinds}


def record_reference(path: Path, rule: Rule, drawn: dict[str, list[float]],
                     identity: dict | None = None) -> None:
    """Store this run's ratios as the machine's baseline for its configuration."""
    baselines.write(path, {"calibration": rule.calibration, "kinds": rule.kinds,
                           "ratios": {kind: [round(x, 4) for x in drawn[kind]] for kind in rule.kinds}},
                    identity=identity)


def _usable(values) -> bool:
    return (isinstance(values, list) and len(values) >= 5
            and all(isinstance(x, (int, float)) and x > 0 for x in values))
