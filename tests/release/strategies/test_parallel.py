"""Parallel adoption: a full-size twin on every request, disagreement measured, then cut over."""

import math

import numpy as np
import pytest

import simulator as ds
from simulator import catalog
from tests import builders
from tests.release.strategies.audit import at, conserved, steady

PRICE = catalog.target_info("ml.c5.xlarge")["price_per_hour"]
PROVISIONING = builders.PROVISIONING
START = builders.WARMUP
PERIOD = builders.PERIOD
RUN = 1200.0  # the parallel run's `duration`
N = 4


def parallel(strategy=None, defect=None, duration=3000, **kw):
    """The usual release (tests/builders.py) by a parallel run of RUN s with a 300 s bake."""
    strategy = {"type": "parallel", "duration": RUN, "bake": 300, **(strategy or {})}
    return builders.release(strategy, defect, name="parallel", duration=duration, instances=N,
                            **kw)  # fmt: skip


def binomial_band(rate, n, sds=5.0):
    return sds * math.sqrt(rate * (1 - rate) / n)


# ---------------------------------------------------------------- full-size twin, double cost


@pytest.mark.parametrize(("divergence", "outcome"), [(0.0, "promoted"), (0.2, "rolled_back")])
def test_full_size_twin_doubles_the_cost_of_the_update_window(divergence, outcome):
    """The twin is launched at the fleet's size and billed for the whole update window, as
    is the old fleet: update cost = price x 2N x window / 3600, twice the old fleet alone."""
    res = ds.simulate(parallel({"divergence": divergence}), seed=1)
    s, ev = res.summary, res.events
    assert s["outcome"] == outcome
    launch = ev[ev.kind == "LaunchInstances"]
    assert list(launch.detail) == [f"{N} x ml.c5.xlarge for v2-parallel"]
    begin = ev[ev.kind == "UpdateEndpoint"].time.item()
    end = ev[ev.kind == "UpdateComplete"].time.item()
    window = end - begin
    assert s["update_cost_usd"] == pytest.approx(PRICE * 2 * N * window / 3600, rel=1e-9)
    # every request is mirrored: the twin sees as many requests as production
    on, off = at(res, "ShadowTraffic")
    m = res.metrics
    inside = (m.time_s >= on) & (m.time_s + PERIOD <= off)
    twin = m[inside & (m.version == "v2-parallel")].Invocations.sum()
    prod = m[inside & (m.version == "v1")].Invocations.sum()
    assert prod > 50_000 and abs(twin - prod) <= 20  # only requests in flight at the edges


# ---------------------------------------------------------------- disagreement


def test_disagreement_rate_of_a_healthy_release_is_the_divergence():
    """Healthy on both sides: disagreements are the divergence draws. Seed 2, n = copies
    compared (~60,000): tolerance 5 binomial SDs (0.0014 at d = 0.005)."""
    d = 0.005
    res = ds.simulate(parallel({"divergence": d}), seed=2)
    s = res.summary
    report = s["details"]["parallel"]
    n = report["compared"]
    assert n == s["details"]["comparison"]["candidate"]["Invocations"] > 50_000
    assert report["disagreement_rate"] == report["disagreements"] / n
    assert abs(report["disagreement_rate"] - d) <= binomial_band(d, n)
    assert s["outcome"] == "promoted"  # 0.005 +- 0.0014 is within max_disagreement 1%


def test_disagreement_rate_of_a_failing_release_is_its_error_rate():
    """New fails 5% of requests, old never: exactly one answer failed on ~5% of requests.
    The simulator draws the count from the measured error rate, itself an estimate, so two
    binomial errors add: SD sqrt(2 e (1 - e) / n) ~ 0.0013 at n ~ 60,000; tolerance 5 SDs.
    It is abandoned (its error rate breaks the SLO check) without any user hurt."""
    e = 0.05
    res = ds.simulate(parallel({"max_disagreement": 0.2}, {"error_rate": e}), seed=3)
    s = res.summary
    report = s["details"]["parallel"]
    n = report["compared"]
    assert abs(report["disagreement_rate"] - e) <= 5 * math.sqrt(2 * e * (1 - e) / n)
    assert s["outcome"] == "rolled_back"
    assert s["blast_radius"] == 0 and s["users_affected"] == 0


def test_too_much_disagreement_abandons_the_release_unseen():
    """Divergence 5% against max_disagreement 1%: abandoned at the comparison, no user ever
    served by the new system."""
    res = ds.simulate(parallel({"divergence": 0.05}), seed=4)
    s, ev = res.summary, res.events
    decided = START + PROVISIONING + RUN
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    assert s["blast_radius"] == 0 and s["users_affected"] == 0 and s["errors"] == 0
    assert s["time_to_detect_s"] is None
    trigger = ev[ev.kind == "RollbackTriggered"]
    assert list(trigger.time) == [decided] and "disagreement" in trigger.detail.item()
    assert "AdoptShadow" not in set(ev.kind)
    assert list(ev[ev.kind == "TerminateInstances"].detail) == [f"{N} of v2-parallel"]
    assert res.metrics[res.metrics.version == "v2"].Invocations.sum() == 0


def test_max_disagreement_is_inclusive():
    """Cut over "at or below" max_disagreement: with the same seed the drawn rate r is the
    same whatever the threshold, so max_disagreement = r promotes and the next float below
    r abandons."""
    base = ds.simulate(parallel({"divergence": 0.01, "max_disagreement": 1.0}), seed=5)
    r = base.summary["details"]["parallel"]["disagreement_rate"]
    assert 0 < r < 1
    at_r = ds.simulate(parallel({"divergence": 0.01, "max_disagreement": r}), seed=5)
    assert at_r.summary["details"]["parallel"]["disagreement_rate"] == r
    assert at_r.summary["outcome"] == "promoted"
    below = ds.simulate(
        parallel({"divergence": 0.01, "max_disagreement": float(np.nextafter(r, 0))}), seed=5
    )
    assert below.summary["outcome"] == "rolled_back"


# ---------------------------------------------------------------- cut-over


def test_cut_over_is_immediate_because_the_twin_is_warm():
    """Right after the comparison the twin is adopted and takes all traffic: no launch and
    no provisioning wait; the old fleet goes after bake + scale_down_delay."""
    res = ds.simulate(parallel({"divergence": 0.002}), seed=6)
    s, ev = res.summary, res.events
    decided = START + PROVISIONING + RUN
    assert s["outcome"] == "promoted" and s["reached_full_traffic"]
    assert at(res, "LaunchInstances") == [START]
    assert at(res, "ShadowTraffic") == [START + PROVISIONING, decided]
    assert at(res, "AdoptShadow") == [decided]
    shift = ev[ev.kind == "UpdateEndpointWeightsAndCapacities"]
    assert list(shift.time) == [decided] and shift.detail.item() == "v2=1, v1=0"
    assert list(ev[ev.kind == "TerminateInstances"].detail) == [f"{N} of v1"]
    assert at(res, "UpdateComplete") == [decided + 300 + 30]
    m = res.metrics
    after = m[m.time_s >= decided]
    assert after[after.version == "v1"].Invocations.sum() <= 5  # in flight at the cut-over
    assert after[after.version == "v2"].instances.iloc[0] == N  # serving from the first period
    assert s["unavailable"] == 0 and s["downtime_s"] == 0


def test_comparison_covers_the_same_periods_on_both_sides():
    """Provisioning of 90 s starts the mirror mid-period; every request is copied, so both
    sides of details.comparison must count the same requests (up to edge effects)."""
    sc = parallel({"divergence": 0.002})
    sc["fleet"]["provisioning"] = 90
    res = ds.simulate(sc, seed=8)
    assert at(res, "ShadowTraffic")[0] % PERIOD != 0
    comparison = res.summary["details"]["comparison"]
    cand, prod = comparison["candidate"], comparison["production"]
    assert abs(cand["Invocations"] - prod["Invocations"]) <= 20, (cand, prod)


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize(("divergence", "defect"), [(0.002, None), (0.0, {"error_rate": 0.05})])
def test_same_seed_same_result_and_requests_conserved(divergence, defect):
    a = ds.simulate(parallel({"divergence": divergence}, defect), seed=7)
    b = ds.simulate(parallel({"divergence": divergence}, defect), seed=7)
    assert steady(a.summary) == steady(b.summary)
    assert a.events.equals(b.events)
    assert conserved(a.summary), a.summary
