"""The ratio verdict: margin and test together, confirmation batches, and the stored baseline."""
import json
import random

import pytest

from replica.gate import ratios
from replica.gate.errors import BaselineError
from replica.gate.ratios import Rule, judge, judge_all
from replica.stack.settings import ROOT

RULE = Rule(calibration="/health", kinds={"list": "/api/meetings", "show": "/api/meetings/{meeting}"},
            pairs=30, margin=0.5, alpha=0.001, confirmations=1)
HERE = {"id": "m1", "cpu": "test cpu", "cores": 2}


def noisy(center: float, n: int = 30, seed: int = 1) -> list[float]:
    """Ratios around center with a heavy right tail, as a busy machine gives them."""
    rng = random.Random(seed)
    return [center * rng.lognormvariate(0, 0.25) for _ in range(n)]


def test_the_slo_file_declares_a_usable_rule():
    rule = Rule.from_slo(ROOT / "k6" / "slo.json")
    assert rule.calibration == "/health" and "list" in rule.kinds and rule.pairs >= 20


def test_a_tripled_ratio_is_a_regression():
    verdict = judge("list", noisy(9.0, seed=2), noisy(3.0), RULE)
    assert verdict.regressed and verdict.shift > 2.5
    assert verdict.describe().startswith("list 8.") and "vs baseline 2." in verdict.describe()


def test_a_shift_inside_the_margin_is_noise_however_significant():
    verdict = judge("list", noisy(4.0, n=200, seed=2), noisy(3.0, n=200), RULE)
    assert verdict.p < RULE.alpha and not verdict.regressed


def test_a_large_shift_on_too_few_samples_is_not_called():
    verdict = judge("list", [6.0, 9.0], [3.0, 3.2, 2.8], RULE)
    assert verdict.shift > 1.5 and verdict.p > RULE.alpha and not verdict.regressed


def test_a_burst_in_the_first_batch_only_is_not_called():
    batches = iter([{"list": noisy(9.0, seed=2), "show": noisy(2.0, seed=3)},
                    {"list": noisy(3.1, seed=4)}])
    asked = []

    def measure(kinds, pairs):
        asked.append(kinds)
        return next(batches)
    verdicts, drawn = judge_all(measure, RULE, {"list": noisy(3.0), "show": noisy(2.0, seed=5)})
    assert asked == [["list", "show"], ["list"]]  # only the suspect is measured again
    assert not any(v.regressed for v in verdicts) and len(drawn["list"]) == 60


def test_a_lasting_regression_is_confirmed_and_shows_both_batches():
    measure = lambda kinds, pairs: {kind: noisy(9.0, seed=len(kinds)) for kind in kinds}
    verdicts, _ = judge_all(measure, RULE, {"list": noisy(3.0), "show": noisy(9.0, seed=7)})
    by_kind = {v.kind: v for v in verdicts}
    assert by_kind["list"].regressed and len(by_kind["list"].batches) == 2
    assert not by_kind["show"].regressed
    assert ratios.summarize(verdicts).startswith("latency ratio regressed: list ")


def test_recorded_ratios_load_back(tmp_path):
    path = tmp_path / "ratios.json"
    ratios.record_reference(path, RULE, {"list": noisy(3.0), "show": noisy(2.0)}, identity=HERE)
    loaded = ratios.load_reference(path, RULE, identity=HERE)
    assert set(loaded) == {"list", "show"} and len(loaded["list"]) == 30


def test_no_baseline_yet_is_none(tmp_path):
    assert ratios.load_reference(tmp_path / "ratios.json", RULE, identity=HERE) is None


@pytest.mark.parametrize("content, words", [
    ("{truncated", "is corrupt"),
    (json.dumps({"machine": HERE}), "is corrupt: no calibration, ratios"),
    (json.dumps({"machine": HERE, "calibration": "/health", "ratios": {"list": [1.0] * 9}}),
     "no usable ratios for show"),
    (json.dumps({"machine": HERE, "calibration": "/version", "ratios": {}}), "measured against '/version'"),
    (json.dumps({"machine": {**HERE, "id": "other"}, "calibration": "/health", "ratios": {}}),
     "recorded on another machine"),
])
def test_an_unusable_baseline_is_an_error_that_says_how_to_re_record(tmp_path, content, words):
    path = tmp_path / "ratios.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match=words) as raised:
        ratios.load_reference(path, RULE, identity=HERE)
    assert "--rebaseline" in raised.value.hint


def test_a_kinds_values_are_its_latencies_over_the_calibration_quartile():
    from replica.gate.probe import normalized
    timed = [(10.0, 2.0), (30.0, 4.0), (12.0, 6.0), (50.0, 8.0), (11.0, 10.0)]
    assert normalized(timed, 0.25) == [2.5, 7.5, 3.0, 12.5, 2.75]  # calibration p25 = 4 ms


def test_a_fixed_delay_shows_in_the_fast_requests_however_slow_the_tail():
    # a busy machine: most requests wait for the CPU (the tail), the fastest do not
    rng = random.Random(3)
    def batch(delay):
        return [(4.0 + delay + (rng.expovariate(1 / 60) if rng.random() < 0.6 else 0), 2.0)
                for _ in range(40)]
    from replica.gate.probe import normalized
    rule = Rule(calibration="/health", kinds={"show": "/x"}, margin=1.0)
    assert judge("show", normalized(batch(30.0), 0.25), normalized(batch(0.0), 0.25), rule).regressed
    assert not judge("show", normalized(batch(0.0), 0.25), normalized(batch(0.0), 0.25), rule).regressed
