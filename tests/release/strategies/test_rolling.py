"""Rolling updates: Kubernetes surge/unavailability bounds, SageMaker batches, rollback."""

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import simulator as ds
from simulator import catalog
from tests import builders
from tests.release.strategies.audit import conserved, steady

PRICE = catalog.target_info("ml.c5.xlarge")["price_per_hour"]
PROVISIONING = builders.PROVISIONING
START = builders.WARMUP


def rolling(strategy=None, defect=None, **kw):
    """The usual release (tests/builders.py) by rolling update, with `strategy`'s fields."""
    return builders.release({"type": "rolling", **(strategy or {})}, defect, name="rolling", **kw)


def scaled(value, n, up):
    """An IntOrString as Kubernetes scales it: counts as they are, percentages rounded."""
    if isinstance(value, int):
        return value
    exact = float(value.rstrip("%")) * n / 100
    return math.ceil(exact - 1e-9) if up else math.floor(exact + 1e-9)


def kubernetes_limits(surge, unavailable, n):
    """Kubernetes' ResolveFenceposts: a percentage of maxSurge rounds up, of maxUnavailable
    down; if both resolve to 0, maxUnavailable becomes 1 (surge might not fit the quota)."""
    s, u = scaled(surge, n, True), scaled(unavailable, n, False)
    return (s, 1) if s == 0 and u == 0 else (s, u)


def timeline(res, n, provisioning=PROVISIONING):
    """Instance counts rebuilt from the audit trail alone.

    LaunchInstances adds instances that serve `provisioning` later; TerminateInstances removes
    the newest first. Returns, for every moment something changes (after all changes at that
    moment), the live and serving counts per fleet name.
    """
    fleets = {"v1": [0.0] * n}  # ready time of each live instance, oldest first
    moments = []
    changes = []
    columns = ["time", "kind", "variant", "count"]
    for t, kind, name, count in res.events[columns].itertuples(index=False):
        if kind == "LaunchInstances":
            changes.append((t, "launch", name, int(count)))
        elif kind == "TerminateInstances":
            changes.append((t, "terminate", name, int(count)))
    times = sorted({t for t, *_ in changes} | {t + provisioning for t, k, *_ in changes
                                               if k == "launch"})  # fmt: skip
    i = 0
    for now in times:
        while i < len(changes) and changes[i][0] <= now:
            _, kind, name, count = changes[i]
            live = fleets.setdefault(name, [])
            if kind == "launch":
                live.extend([changes[i][0] + provisioning] * count)
            else:
                assert count <= len(live)
                del live[len(live) - count :]
            i += 1
        moments.append(
            (now, {k: len(v) for k, v in fleets.items()},
             {k: sum(r <= now for r in v) for k, v in fleets.items()})
        )  # fmt: skip
    return moments


def series(res, version, column):
    m = res.metrics
    return m[m["version"] == version].set_index("period")[column]


# ---------------------------------------------------------------- Kubernetes bounds

SHARES = st.one_of(st.integers(0, 3), st.sampled_from(["0%", "10%", "25%", "33%", "50%", "100%"]))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 8), SHARES, SHARES, st.integers(0, 2**16))
def test_live_and_serving_instances_stay_within_surge_and_unavailability(n, surge, unav, seed):
    """At every moment: live <= N + maxSurge, serving >= N - maxUnavailable (Kubernetes
    rounding); the rollout ends with N new instances serving and no old one left."""
    # both resolving to 0 (explicitly: rejected; by rounding: the fallback) is tested below
    assume(scaled(surge, n, True) > 0 or scaled(unav, n, False) > 0)
    s, u = kubernetes_limits(surge, unav, n)
    sc = rolling({"max_surge": surge, "max_unavailable": unav, "bake": 30,
                 "gate": {"type": "none"}}, rate=10, duration=1500, instances=n,
                fleet={"provisioning": 30})  # fmt: skip
    res = ds.simulate(sc, seed=seed)
    moments = timeline(res, n, provisioning=30)
    for now, live, serving in moments:
        assert sum(live.values()) <= n + s, (now, live)
        assert sum(serving.values()) >= n - u, (now, serving)
    _, live, serving = moments[-1]
    assert res.summary["outcome"] == "promoted"
    assert live == {"v1": 0, "v2": n} and serving["v2"] == n


def test_bounds_are_reached_with_25_percent_each_way():
    """N=4, 25%/25%: surge 1 (ceil), unavailable 1 (floor): the walk uses both allowances."""
    res = ds.simulate(rolling(), seed=3)
    moments = timeline(res, 4)
    assert max(sum(live.values()) for _, live, _ in moments) == 4 + 1
    assert min(sum(serving.values()) for _, _, serving in moments) == 4 - 1


def test_rounding_of_percentages():
    """N=10, maxSurge 25% -> ceil(2.5)=3, maxUnavailable 25% -> floor(2.5)=2."""
    res = ds.simulate(rolling({}, instances=10), seed=3)
    moments = timeline(res, 10)
    assert max(sum(live.values()) for _, live, _ in moments) == 10 + 3
    assert min(sum(serving.values()) for _, _, serving in moments) == 10 - 2


def test_when_both_round_to_zero_kubernetes_allows_one_unavailable_not_one_surge():
    """N=3, maxSurge 0, maxUnavailable 25% (floor 0.75 = 0): Kubernetes' ResolveFenceposts
    sets maxUnavailable to 1, so the fleet never grows beyond 3 instances."""
    surge, unavailable = kubernetes_limits(0, "25%", 3)
    assert (surge, unavailable) == (0, 1)
    res = ds.simulate(rolling({"max_surge": 0, "max_unavailable": "25%"}, instances=3), seed=1)
    moments = timeline(res, 3)
    assert res.summary["outcome"] == "promoted"
    assert max(sum(live.values()) for _, live, _ in moments) == 3 + surge
    assert min(sum(serving.values()) for _, _, serving in moments) == 3 - unavailable


def test_reconstructed_counts_match_the_instances_metric():
    """The audit trail and the `instances` gauge tell the same story, period by period."""
    res = ds.simulate(rolling({}, instances=6), seed=2)
    moments = timeline(res, 6)
    period = 60.0
    for version in ("v1", "v2"):
        got = series(res, version, "instances")
        for p, value in got.items():
            t0, t1 = p * period, (p + 1) * period
            # time-average of the serving count over [t0, t1), from the reconstructed steps
            steps = [(0.0, 6 if version == "v1" else 0)] + [
                (t, serving.get(version, 0)) for t, _, serving in moments
            ]
            area = 0.0
            for (a, c), (b, _) in zip(steps, steps[1:] + [(math.inf, 0)], strict=True):
                area += c * max(0.0, min(b, t1) - max(a, t0))
            assert value == pytest.approx(area / period, abs=1e-9), (version, p)


def test_capacity_dip_is_visible_only_with_max_unavailable():
    """With maxUnavailable 1 the fleet serves N-1 for whole periods; with 0 it never dips."""
    dip = ds.simulate(rolling(), seed=1)
    total = series(dip, "v1", "instances") + series(dip, "v2", "instances")
    assert total.min() == pytest.approx(4 - 1)
    flat = ds.simulate(rolling({"max_surge": 1, "max_unavailable": 0}), seed=1)
    total = series(flat, "v1", "instances") + series(flat, "v2", "instances")
    assert total.min() >= 4 - 1e-9


# ---------------------------------------------------------------- SageMaker batches


@pytest.mark.parametrize(
    ("n", "batch", "bake"),
    [(4, 2, 300), (4, "50%", 300), (5, "40%", 180), (3, 1, 60)],
)
def test_sagemaker_batches_with_a_bake_after_each(n, batch, bake):
    """max_surge = MaximumBatchSize, max_unavailable 0: launch a batch, wait for it to serve
    and bake, then retire as many old instances and launch the next batch."""
    res = ds.simulate(
        rolling({"max_surge": batch, "max_unavailable": 0, "bake": bake}, instances=n,
                duration=4000), seed=5)  # fmt: skip
    size = batch if isinstance(batch, int) else math.ceil(float(batch[:-1]) * n / 100 - 1e-9)
    sizes = [min(size, n - k * size) for k in range(math.ceil(n / size))]
    step = PROVISIONING + bake
    expected = []
    for k in range(len(sizes) + 1):
        t = START + k * step
        if k > 0:
            expected.append((t, "TerminateInstances", f"{sizes[k - 1]} of v1"))
        if k < len(sizes):
            expected.append((t, "LaunchInstances", f"{sizes[k]} x ml.c5.xlarge for v2"))
    expected.append((START + len(sizes) * step, "UpdateComplete", "promoted"))
    kinds = {"TerminateInstances", "LaunchInstances", "UpdateComplete"}
    got = [tuple(r) for r in res.events[["time", "kind", "detail"]].itertuples(index=False)
           if r.kind in kinds]  # fmt: skip
    assert got == expected
    assert res.summary["rollout_duration_s"] == len(sizes) * step


@pytest.mark.parametrize(("surge", "unavailable"), [(0, 0), ("0%", "0%"), (0, "0%")])
def test_both_zero_is_rejected(surge, unavailable):
    with pytest.raises(ds.ScenarioError, match="max_surge and max_unavailable cannot both be 0"):
        ds.load_scenario(rolling({"max_surge": surge, "max_unavailable": unavailable}))


# ---------------------------------------------------------------- traffic


def test_traffic_share_follows_serving_instances():
    """Periods with a constant fleet (integer mean instance counts): each version's share of
    invocations equals its share of serving instances. Seed 4, 50 req/s; pooled per
    configuration (>= 5000 requests). Tolerance 5 binomial SDs (<= 0.035) plus 0.003 for the
    few requests that end in a period after the fleet changed."""
    res = ds.simulate(rolling({}, instances=6), seed=4)
    m = res.metrics
    wide = m.pivot(index="period", columns="version", values=["Invocations", "instances"])
    inst_v1, inst_v2 = wide["instances"]["v1"], wide["instances"]["v2"]
    constant = (inst_v1 % 1 == 0) & (inst_v2 % 1 == 0) & (inst_v1 > 0) & (inst_v2 > 0)
    assert constant.sum() >= 4  # several versions serve at once for several whole periods
    pooled = wide[constant].groupby([inst_v1[constant], inst_v2[constant]]).sum()
    assert len(pooled) >= 2
    for (n1, n2), row in pooled.iterrows():
        total = row[("Invocations", "v1")] + row[("Invocations", "v2")]
        share = n2 / (n1 + n2)
        got = row[("Invocations", "v2")] / total
        assert total >= 5000
        assert abs(got - share) <= 5 * math.sqrt(share * (1 - share) / total) + 0.003, (n1, n2)


# ---------------------------------------------------------------- promotion and rollback


def test_healthy_release_is_promoted_and_every_old_instance_terminated():
    res = ds.simulate(rolling({}, instances=6), seed=7)
    s = res.summary
    assert s["outcome"] == "promoted" and s["reached_full_traffic"]
    ev = res.events
    retired = ev[(ev.kind == "TerminateInstances") & (ev.variant == "v1")]
    assert retired["count"].sum() == 6
    launched = ev[(ev.kind == "LaunchInstances") & (ev.variant == "v2")]
    assert launched["count"].sum() == 6
    last = series(res, "v2", "instances").iloc[-1]
    assert last == 6 and series(res, "v1", "instances").iloc[-1] == 0
    assert s["time_to_detect_s"] is None and s["blast_radius"] == 0


@pytest.mark.parametrize("rollback_batch", [None, 2, "20%", 1])
def test_defective_release_relaunches_old_instances_batch_by_batch(rollback_batch):
    """N=10, maxUnavailable 50%: 5 old instances go at once. A 5% error defect trips the
    SLO alarm in the first period after the batch serves; the 5 missing old instances come
    back `rollback_batch` at a time (RollbackMaximumBatchSize; default all at once), each
    batch one provisioning time."""
    strategy = {"max_surge": 0, "max_unavailable": "50%", "bake": 600}
    if rollback_batch is not None:
        strategy["rollback_batch"] = rollback_batch
    res = ds.simulate(rolling(strategy, {"error_rate": 0.05}, instances=10), seed=11)
    s, ev = res.summary, res.events
    missing = 5
    batch = {None: missing, 2: 2, "20%": 2, 1: 1}[rollback_batch]
    sizes = [min(batch, missing - k * batch) for k in range(math.ceil(missing / batch))]
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    detected = ev[ev.kind == "RollbackTriggered"].time.item()
    assert detected == START + PROVISIONING + 60  # the first period of v2 traffic
    assert s["time_to_detect_s"] == 60
    relaunch = ev[(ev.kind == "LaunchInstances") & (ev.variant == "v1")]
    assert list(relaunch.time) == [detected + k * PROVISIONING for k in range(len(sizes))]
    assert list(relaunch.detail) == [f"{c} x ml.c5.xlarge for v1" for c in sizes]
    assert s["time_to_rollback_s"] == len(sizes) * PROVISIONING
    complete = ev[ev.kind == "RollbackComplete"].time.item()
    assert complete == detected + len(sizes) * PROVISIONING
    moments = timeline(res, 10)
    _, live, serving = moments[-1]
    assert live == {"v1": 10, "v2": 0} and serving["v1"] == 10
    assert series(res, "v1", "instances").iloc[-1] == 10


def test_rollback_starts_at_once_when_the_gate_fires_between_batches():
    """SageMaker batches of 1, 2-minute bakes, derived alarms needing 3 breaching periods:
    batch 1's bake passes, batch 2 is launched (one more old instance retired) and the
    alarm fires while it provisions. The rollback must start then: no more old instances
    retired, the missing old instance relaunched at once, so time to roll back is one
    provisioning time (not the rest of batch 2's provisioning on top)."""
    gate = {"type": "alarms", "evaluation_periods": 3}
    strategy = {"max_surge": 1, "max_unavailable": 0, "bake": 120, "gate": gate}
    res = ds.simulate(rolling(strategy, {"error_rate": 0.05}), seed=1)
    s, ev = res.summary, res.events
    exposed = START + PROVISIONING
    detected = ev[ev.kind == "RollbackTriggered"].time.item()
    assert detected == exposed + 3 * 60
    second = exposed + 120  # batch 2 launched when batch 1's bake passed
    assert second < detected < second + PROVISIONING
    later = ev[ev.time >= detected]
    assert not ((later.kind == "TerminateInstances") & (later.variant == "v1")).any()
    relaunch = later[(later.kind == "LaunchInstances") & (later.variant == "v1")]
    assert list(relaunch.time) == [detected]
    assert s["time_to_rollback_s"] == PROVISIONING


def test_update_cost_is_price_times_instance_seconds():
    """Rollout window [300, end]: cost = price x (integral of billed instances) / 3600, with
    billed instances rebuilt from the audit trail (billing starts at launch)."""
    res = ds.simulate(rolling(), seed=1)
    ev = res.events
    begin = ev[ev.kind == "UpdateEndpoint"].time.item()
    end = ev[ev.kind == "UpdateComplete"].time.item()
    moments = timeline(res, 4)
    steps = [(begin, 4)] + [(t, sum(live.values())) for t, live, _ in moments]
    seconds = sum(c * (b - a) for (a, c), (b, _) in zip(steps, steps[1:] + [(end, 0)],
                                                         strict=True) if a < end)  # fmt: skip
    assert res.summary["update_cost_usd"] == pytest.approx(PRICE * seconds / 3600, rel=1e-9)


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize("defect", [None, {"error_rate": 0.05}])
def test_same_seed_same_result_and_requests_conserved(defect):
    a = ds.simulate(rolling({}, defect), seed=21)
    b = ds.simulate(rolling({}, defect), seed=21)
    assert steady(a.summary) == steady(b.summary)
    assert a.events.equals(b.events)
    assert conserved(a.summary), a.summary
