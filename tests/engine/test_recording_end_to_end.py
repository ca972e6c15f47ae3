"""The kernel's recording, end to end: a run's metrics and summary against its own request log.

Every request is logged (request_log 1.0) in a run that has every outcome: a canary whose
release fails 5% of requests and runs 3x slower, a queue capacity (rejections), a 0.3 s
deadline (time-outs), and instance crashes (failed requests; v2's one instance down
leaves its share unavailable). The log is an independent record of each request; from it a plain
loop rebuilds what the recorder keeps: per period and version, the outcomes, the mean
latency of ok requests and their p99 (the middle of the histogram bin holding it), and
the run-wide latency and wait figures after warm-up (mean, p50, p99). The run's own
figures must match exactly (counts, bins) or to float rounding (sums).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import simulator as ds
from tests import builders
from tests.engine.test_recorder import oracle_bin

PERIOD = 10.0


@pytest.fixture(scope="module")
def run():
    sc = builders.release(
        {"type": "canary", "steps": [{"weight": 30, "bake": 600}], "gate": {"type": "none"}},
        {"error_rate": 0.05, "latency_factor": 3.0},
        rate=60, duration=1500, instances=3,
        fleet={"queue_capacity": 4, "timeout": 0.3},
        failures={"instance": {"mtbf": 400, "mttr": 60}},
        monitoring={"period": PERIOD, "request_log": 1.0},
    )  # fmt: skip
    return ds.simulate(sc, seed=11)


def middle(b: int) -> float:
    return 0.0 if b == 0 else 1e-6 * 1.01 ** (b - 0.5)


def quantile(values: np.ndarray, q: float) -> float:
    """The recorder's q-quantile: the first bin whose cumulative count reaches q x total."""
    if len(values) == 0:
        return math.nan
    bins = np.sort([oracle_bin(x) for x in values])
    return middle(int(bins[math.ceil(q * len(bins)) - 1]))


def p99(values: np.ndarray) -> float:
    return quantile(values, 0.99)


def test_the_run_has_every_outcome(run):
    outcomes = set(run.requests["outcome"])
    assert outcomes == {"ok", "error", "failed", "unavailable", "timed_out", "rejected"}


def test_per_period_tables_match_the_log(run):
    log = run.requests
    periods = int(run.metrics["period"].max()) + 1
    log = log.assign(period=np.minimum((log["end"] // PERIOD).astype(int), periods - 1))
    for (version, period), rows in run.metrics.groupby(["version", "period"]):
        mine = log[(log["version"] == version) & (log["period"] == period)]
        ok = mine[mine["outcome"] == "ok"]
        row = rows.iloc[0]
        assert row["Invocations"] == len(mine), (version, period)
        assert row["Invocation4XXErrors"] == (mine["outcome"] == "rejected").sum()
        five_xx = mine["outcome"].isin(["error", "failed", "unavailable", "timed_out"]).sum()
        assert row["Invocation5XXErrors"] == five_xx
        assert row["timed_out"] == (mine["outcome"] == "timed_out").sum()
        if len(ok):
            assert row["latency_mean_ms"] == pytest.approx(1e3 * ok["latency"].mean(), rel=1e-9)
            assert row["latency_p99_ms"] == pytest.approx(1e3 * p99(ok["latency"].to_numpy()),
                                                          rel=1e-12)  # fmt: skip
        else:
            assert math.isnan(row["latency_p99_ms"])


def test_run_wide_figures_match_the_log(run):
    log = run.requests
    steady = log[(log["outcome"] == "ok") & (log["arrival"] >= builders.WARMUP)]
    latency = run.summary["latency_ms"]
    assert latency["mean"] == pytest.approx(1e3 * steady["latency"].mean(), rel=1e-9)
    assert latency["p99"] == pytest.approx(1e3 * p99(steady["latency"].to_numpy()), rel=1e-12)
    wait = run.summary["wait_ms"]
    assert wait["mean"] == pytest.approx(1e3 * steady["wait"].mean(), rel=1e-9)
    for q in (0.5, 0.99):
        want = 1e3 * quantile(steady["wait"].to_numpy(), q)
        assert wait[f"p{round(q * 100)}"] == pytest.approx(want, rel=1e-12)
    assert wait["p99"] > 0  # the queue is busy enough for waits to matter
    counts = log["outcome"].value_counts()
    assert run.summary["rejected"] == counts["rejected"]
    assert run.summary["timed_out"] == counts["timed_out"]
