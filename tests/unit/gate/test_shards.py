"""k6 in shards: the segments, the shard commands, and runs judged on their merged results."""
import gzip
import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from replica.core.errors import ConfigError
from replica.gate import k6_runner, shard_merge, shards
from replica.gate.k6_runner import Outcome


@pytest.mark.parametrize("count, expected", [
    (1, [[]]),
    (2, [["--execution-segment", "0:1/2", "--execution-segment-sequence", "0,1/2,1"],
         ["--execution-segment", "1/2:1", "--execution-segment-sequence", "0,1/2,1"]]),
    (3, [["--execution-segment", "0:1/3", "--execution-segment-sequence", "0,1/3,2/3,1"],
         ["--execution-segment", "1/3:2/3", "--execution-segment-sequence", "0,1/3,2/3,1"],
         ["--execution-segment", "2/3:1", "--execution-segment-sequence", "0,1/3,2/3,1"]]),
])
def test_each_shard_runs_its_share_of_one_sequence(count, expected):
    assert [segment.flags() for segment in shards.segments(count)] == expected


@pytest.mark.parametrize("count", [4, 6, 7])
def test_the_shares_cover_the_whole_test_without_overlap(count):
    bounds = [segment.segment.split(":") for segment in shards.segments(count)]
    assert bounds[0][0] == "0" and bounds[-1][1] == "1"
    assert all(end == next_start for (_, end), (next_start, _) in zip(bounds, bounds[1:]))
    assert "4/6" not in shards.segments(6)[3].segment  # reduced fractions: 2/3, as k6 prints them


@pytest.mark.parametrize("count", [0, -1, "2", 1.5, True])
def test_a_shard_count_below_one_or_not_a_whole_number_is_refused(count):
    with pytest.raises(ConfigError, match="at least 1"):
        shards.segments(count)


def test_every_k6_run_listens_on_a_free_loopback_port_not_6565(tmp_path):
    single = k6_runner.command(Path("k6"), Path("load.js"), "http://127.0.0.1:5000", tmp_path)
    shard = shards.shard_command(Path("k6"), Path("load.js"), "http://127.0.0.1:5000", tmp_path,
                                 shards.segments(2)[1])
    for argv in (single, shard):
        assert argv[argv.index("--address") + 1] == "127.0.0.1:0"
    assert shard[shard.index("--summary-export") + 1] == str(tmp_path / "shard-2" / "metrics.json")
    assert shard[shard.index("--out") + 1] == f"json={tmp_path / 'shard-2' / 'samples.json.gz'}"
    assert shard[-1] == "load.js" and "1/2:1" in shard


# Two synthetic shards whose merge can be worked out by hand. The trend `t`'s samples are 1..4 in
# shard 1 (tagged kind:api) and 5..10 in shard 2 (kind:api for 5 and 6, kind:health after), so the
# merged samples are 1..10, and k6's percentile (linear between sorted samples, at p*(n-1)) gives
# med = 5.5 (index 4.5), p(90) = 9.1 (8.1), p(95) = 9.55 (8.55), p(99) = 9.91 (8.91).
# Alone, shard 2 has p(95) = 9.75 (index 4.75 of 5..10) and crosses `p(95)<9.6`; the merge holds it.
SHARD_SAMPLES = ([(v, "api") for v in (1, 2, 3, 4)],
                 [(5, "api"), (6, "api"), (7, "health"), (8, "health"), (9, "health"), (10, "health")])
TREND_STATS = {"avg": 0, "min": 0, "med": 0, "max": 0, "p(90)": 0, "p(95)": 0, "p(99)": 0}


def _write_shard(folder: Path, samples, passes, fails, count, rate, vus_max, check_passes) -> Path:
    folder.mkdir(parents=True)
    lines = [{"type": "Metric", "metric": "t", "data": {"name": "t", "type": "trend"}}]
    lines += [{"type": "Point", "metric": "t", "data": {"value": v, "tags": {"kind": kind}}}
              for v, kind in samples]
    lines += [{"type": "Point", "metric": "other", "data": {"value": 1000, "tags": {"kind": "api"}}}]
    with gzip.open(folder / shard_merge.SAMPLES, "wt") as out:
        out.write("".join(json.dumps(line) + "\n" for line in lines))
    summary = {"root_group": {"name": "", "checks": {"ok": {"name": "ok", "passes": check_passes,
                                                            "fails": 1}}, "groups": {}},
               "metrics": {
                   # a shard's own stats and verdicts: the merge must not reuse either
                   "t": {**TREND_STATS, "thresholds": {"p(95)<9.6": True, "avg<5.6": False}},
                   "t{kind:api}": {**TREND_STATS, "thresholds": {"max<6.5": False}},
                   "t{kind:none}": {**TREND_STATS, "thresholds": {"p(95)<1": False}},
                   "iterations": {"count": count, "rate": rate},
                   "http_req_failed": {"passes": passes, "fails": fails, "value": 0,
                                       "thresholds": {"rate<0.1": False}},
                   "vus_max": {"value": vus_max, "min": vus_max, "max": vus_max}}}
    (folder / shard_merge.SUMMARY).write_text(json.dumps(summary))
    return folder


@pytest.fixture
def two_shards(tmp_path):
    return [_write_shard(tmp_path / "shard-1", SHARD_SAMPLES[0], passes=1, fails=9, count=40,
                         rate=2.0, vus_max=4, check_passes=10),
            _write_shard(tmp_path / "shard-2", SHARD_SAMPLES[1], passes=2, fails=18, count=60,
                         rate=3.0, vus_max=4, check_passes=20)]


def test_trends_are_computed_again_from_every_shards_samples(two_shards):
    trend = shard_merge.merge_dirs(two_shards)["metrics"]["t"]
    assert {k: round(v, 6) for k, v in trend.items() if k != "thresholds"} == {
        "avg": 5.5, "min": 1, "med": 5.5, "max": 10, "p(90)": 9.1, "p(95)": 9.55, "p(99)": 9.91}


def test_thresholds_are_judged_on_the_merge_not_taken_from_a_shard(two_shards):
    metrics = shard_merge.merge_dirs(two_shards)["metrics"]
    assert metrics["t"]["thresholds"] == {"p(95)<9.6": False, "avg<5.6": False}  # shard 2 said crossed
    assert metrics["http_req_failed"]["thresholds"] == {"rate<0.1": True}       # 3 of 30 requests


def test_a_sub_metric_takes_only_the_samples_with_its_tags(two_shards):
    metrics = shard_merge.merge_dirs(two_shards)["metrics"]
    assert (metrics["t{kind:api}"]["max"], metrics["t{kind:api}"]["avg"]) == (6, 3.5)  # 1..6
    assert metrics["t{kind:api}"]["thresholds"] == {"max<6.5": False}
    assert metrics["t{kind:none}"]["p(95)"] == 0  # no samples: zeros, as k6 writes them


def test_counters_rates_gauges_and_checks_add_up(two_shards):
    merged = shard_merge.merge_dirs(two_shards)
    metrics = merged["metrics"]
    assert metrics["iterations"] == {"count": 100, "rate": 5.0}
    assert metrics["http_req_failed"]["passes"] == 3 and metrics["http_req_failed"]["fails"] == 27
    assert metrics["http_req_failed"]["value"] == pytest.approx(0.1)
    assert metrics["vus_max"] == {"value": 8, "min": 8, "max": 8}
    assert merged["root_group"]["checks"]["ok"] == {"name": "ok", "passes": 30, "fails": 2}
    assert k6_runner.failed_thresholds(merged) == ["http_req_failed: rate<0.1"]


@pytest.mark.parametrize("expression, holds", [
    ("p(95)<9.6", True), ("p(95)<9.5", False), ("p(99.9)<=10", True), ("med==5.5", True),
    ("avg > 5", True), ("min>=2", False), ("count===10", True), ("max!=10", False)])
def test_a_trend_threshold_is_judged_on_all_samples(expression, holds):
    samples = shard_merge.numpy.arange(1, 11, dtype=float)
    assert shard_merge.holds(expression, {}, samples) is holds


def test_a_rate_threshold_reads_the_rate_a_counter_threshold_its_count_or_rate():
    assert shard_merge.holds("rate<0.01", {"passes": 0, "fails": 5, "value": 0.0})
    assert not shard_merge.holds("rate>0.99", {"passes": 0, "fails": 0, "value": 0})
    assert shard_merge.holds("count>99", {"count": 100, "rate": 5.0})
    assert not shard_merge.holds("rate>5", {"count": 100, "rate": 5.0})


def test_a_threshold_it_cannot_read_is_named():
    with pytest.raises(shard_merge.GateError, match="cannot judge the k6 threshold 'p95 < 1'"):
        shard_merge.holds("p95 < 1", {})


def test_a_summary_without_its_samples_cannot_be_merged(two_shards):
    (two_shards[1] / shard_merge.SAMPLES).unlink()
    with pytest.raises(shard_merge.GateError, match="a summary but no samples"):
        shard_merge.merge_dirs(two_shards)


def test_truncated_samples_are_named(two_shards):
    path = two_shards[0] / shard_merge.SAMPLES
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(shard_merge.GateError, match="cannot read the k6 samples"):
        shard_merge.merge_dirs(two_shards)


# A stand-in k6 that writes the synthetic shard above for its --execution-segment and exits 99
# (each shard crosses a threshold on its own share), or exits `code` for one segment.
FAKE_K6 = """#!{python}
import json, shutil, sys
from pathlib import Path
argv = sys.argv
segment = argv[argv.index("--execution-segment") + 1]
out = Path(argv[argv.index("--summary-export") + 1]).parent
shutil.copytree(Path({shards!r}) / ("shard-1" if segment.startswith("0:") else "shard-2"), out,
                dirs_exist_ok=True)
print("fake k6 on", segment)
sys.exit({codes!r}.get(segment, 99))
"""


def _fake_k6(tmp_path: Path, shard_dirs, codes) -> Path:
    fake = tmp_path / "k6"
    fake.write_text(FAKE_K6.format(python=sys.executable, shards=str(shard_dirs[0].parent),
                                   codes=codes))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


def test_shards_crossing_on_their_own_share_pass_when_the_merge_holds(two_shards, tmp_path):
    for folder in two_shards:  # the merged failure rate 3/30 would cross rate<0.1: loosen it
        summary = json.loads((folder / "metrics.json").read_text())
        summary["metrics"]["http_req_failed"]["thresholds"] = {"rate<0.2": True}
        (folder / "metrics.json").write_text(json.dumps(summary))
    result = shards.run_sharded("smoke", "http://127.0.0.1:9", tmp_path / "run", 2,
                                binary=_fake_k6(tmp_path, two_shards, {}))
    assert (result.outcome, result.exit_code, result.failed_thresholds) == (Outcome.PASSED, 0, [])
    assert json.loads(result.metrics_path.read_text())["metrics"]["iterations"]["count"] == 100
    assert "fake k6 on 1/2:1" in (tmp_path / "run" / "shard-2" / "k6.log").read_text()
    assert "2 k6 shards merged" in result.describe()


def test_a_shard_that_failed_outright_fails_the_suite_naming_it(two_shards, tmp_path):
    result = shards.run_sharded("smoke", "http://127.0.0.1:9", tmp_path / "run", 2,
                                binary=_fake_k6(tmp_path, two_shards, {"1/2:1": 107}))
    assert (result.outcome, result.exit_code) == (Outcome.SCRIPT_ERROR, 107)
    assert result.message.startswith("shard 2/2: ")


def test_real_k6_shards_share_the_iterations_of_one_process(tmp_path):
    suites = tmp_path / "k6"
    suites.mkdir()
    (suites / "slo.json").write_text('{"suites": {"count": {"max_seconds": 60}}}')
    (suites / "count.js").write_text(
        "import { Trend } from 'k6/metrics';\nimport exec from 'k6/execution';\n"
        "const t = new Trend('nth');\n"
        "export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 4,"
        " iterations: 30 } }, thresholds: { nth: ['p(95)<1000'] } };\n"
        "export default function () { t.add(exec.scenario.iterationInTest); }\n")
    one = k6_runner.run_suite("count", "http://127.0.0.1:9", tmp_path / "one", k6_dir=suites)
    three = shards.run_sharded("count", "http://127.0.0.1:9", tmp_path / "three", 3, k6_dir=suites)
    assert one.ok and three.ok, three.log_tail
    for result in (one, three):  # iterations 0..29, each exactly once across the shards
        assert result.summary["metrics"]["iterations"]["count"] == 30
        assert result.summary["metrics"]["nth"]["p(90)"] == pytest.approx(26.1)
    counts = [json.loads((tmp_path / "three" / f"shard-{i}" / "metrics.json").read_text())
              ["metrics"]["iterations"]["count"] for i in (1, 2, 3)]
    assert sum(counts) == 30 and min(counts) > 0  # k6 splits them as it splits the 4 VUs


def test_one_shard_merged_from_its_samples_is_k6s_own_summary(tmp_path):
    """The merge selects each (sub-)metric's samples and computes its statistics as k6 does."""
    suites = tmp_path / "k6"
    suites.mkdir()
    (suites / "slo.json").write_text('{"suites": {"tags": {"max_seconds": 60}}}')
    (suites / "tags.js").write_text(
        "import { Trend } from 'k6/metrics';\nimport { group } from 'k6';\n"
        "import exec from 'k6/execution';\n"
        "const t = new Trend('latency', true);\n"
        "export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 3,"
        " iterations: 97 } }, thresholds: { 'latency': ['p(95)<80', 'med>40'],"
        " 'latency{kind:api}': ['p(99)<90'], 'latency{kind:api,group:::slow}': ['max<100'],"
        " 'latency{kind:none}': ['avg<1'] } };\n"
        "export default function () {\n"
        "  const i = exec.scenario.iterationInTest;\n"
        "  t.add((i * 37) % 101, { kind: i % 3 ? 'api' : 'health' });\n"
        "  group('slow', () => t.add(i % 7 * 13.5, { kind: 'api' }));\n}\n")
    result = shards.run_sharded("tags", "http://127.0.0.1:9", tmp_path / "run", 1, k6_dir=suites)
    own = json.loads((tmp_path / "run" / "shard-1" / "metrics.json").read_text())["metrics"]
    merged = result.summary["metrics"]
    for name in ("latency", "latency{kind:api}", "latency{kind:api,group:::slow}",
                 "latency{kind:none}", "iteration_duration"):
        assert merged[name].keys() == own[name].keys(), name
        for stat, value in own[name].items():
            expected = value if stat == "thresholds" else pytest.approx(value, rel=1e-9, abs=1e-9)
            assert merged[name][stat] == expected, (name, stat)
    assert merged["latency"]["thresholds"] == {"p(95)<80": True, "med>40": False}


HUNG_K6 = "#!/bin/sh\necho $$ >> {pids}\ntrap 'exit 105' INT\nsleep 30 & wait\n"


def _hung_k6(tmp_path: Path) -> tuple[Path, Path]:
    fake, pids = tmp_path / "k6", tmp_path / "pids"
    fake.write_text(HUNG_K6.format(pids=pids))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake, pids


def _alive(pids: Path) -> list[int]:
    alive = []
    for pid in map(int, pids.read_text().split() if pids.is_file() else ()):
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    return alive


def test_hung_shards_are_all_stopped_at_the_suites_budget(tmp_path):
    fake, pids = _hung_k6(tmp_path)
    result = shards.run_sharded("smoke", "http://127.0.0.1:9", tmp_path / "run", 2, binary=fake,
                                timeout=0.5)
    assert result.outcome is Outcome.TIMEOUT and result.message.startswith("shard 1/2: still running")
    assert [run.outcome for run in result.shards] == [Outcome.TIMEOUT, Outcome.TIMEOUT]
    assert _alive(pids) == []


def test_ctrl_c_stops_every_shard_and_is_raised(tmp_path, monkeypatch):
    fake, pids = _hung_k6(tmp_path)
    def interrupted(process, timeout):  # Ctrl-C while the gate waits for shard 1, all 3 started
        for _ in range(200):
            if pids.is_file() and len(pids.read_text().split()) == 3:
                break
            time.sleep(0.05)
        return k6_runner.stop(process), (Outcome.INTERRUPTED, "interrupted (Ctrl-C)")
    monkeypatch.setattr(k6_runner, "wait_for", interrupted)
    with pytest.raises(KeyboardInterrupt):
        shards.run_sharded("smoke", "http://127.0.0.1:9", tmp_path / "run", 3, binary=fake)
    assert len(pids.read_text().split()) == 3 and _alive(pids) == []


def test_a_real_k6_run_starts_while_port_6565_is_taken(tmp_path):
    """Without --address, a k6 beside another (a second gate, a shard) fails: 'address already in use'."""
    import socket
    suites = tmp_path / "k6"
    suites.mkdir()
    (suites / "slo.json").write_text('{"suites": {"one": {"max_seconds": 60}}}')
    (suites / "one.js").write_text("export const options = { iterations: 1 };\n"
                                   "export default function () {}\n")
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 6565))
        holder.listen()
    except OSError:
        pass  # someone else's k6 holds it: the same condition
    try:
        result = k6_runner.run_suite("one", "http://127.0.0.1:9", tmp_path / "run", k6_dir=suites)
    finally:
        holder.close()
    assert result.ok, result.log_tail


def test_a_failed_shard_is_the_verdict_even_when_what_it_left_cannot_be_merged(two_shards, tmp_path):
    (two_shards[1] / shard_merge.SAMPLES).unlink()  # shard 2 stopped before its samples were written
    result = shards.run_sharded("smoke", "http://127.0.0.1:9", tmp_path / "run", 2,
                                binary=_fake_k6(tmp_path, two_shards, {"1/2:1": 108}))
    assert (result.outcome, result.message) == (Outcome.ABORTED, "shard 2/2: " + k6_runner.classify(108)[1])
