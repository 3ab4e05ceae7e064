"""The load suite as 2 k6 shards against the test replica: one merged summary, every SLO judged on it."""
import json

from replica.gate import k6_runner, performance, shards
from replica.gate.k6_runner import Outcome


def test_the_load_suite_in_two_shards_is_judged_on_its_merged_summary(replica, tmp_path):
    target = performance.Target.of(replica.url("app"), stack=replica)
    result = shards.run_sharded("load", target.base_url, tmp_path, 2,
                                env=performance.fixture_env(target))
    # on this shared machine latency SLOs may be crossed (a warning in the gate); nothing else may
    assert result.outcome in (Outcome.PASSED, Outcome.THRESHOLDS_FAILED), result.describe()
    assert performance.latency_thresholds(result) == result.failed_thresholds, result.describe()
    assert k6_runner.missing_samples(result.summary) == []
    merged = result.summary["metrics"]
    own = [json.loads((tmp_path / f"shard-{i}" / "metrics.json").read_text())["metrics"] for i in (1, 2)]
    for counter in ("iterations", "http_reqs"):
        assert merged[counter]["count"] == sum(shard[counter]["count"] for shard in own) > 0
    for name, values in merged.items():
        if "avg" in values and any(shard.get(name, {}).get("max") for shard in own):
            assert values["max"] == max(shard[name]["max"] for shard in own if name in shard), name
    slo = json.loads(performance.SLO.read_text())["thresholds"]
    for metric, expressions in slo.items():
        assert set(merged[metric]["thresholds"]) == set(expressions), metric
    assert (tmp_path / "metrics.json").is_file() and (tmp_path / "shard-2" / "report.html").is_file()
