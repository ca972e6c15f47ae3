"""A/B tests: a sticky user split, conversions counted on successes, a stopping rule decides."""

import math

import pytest
from scipy import stats

import simulator as ds
from tests import builders
from tests.release.strategies.audit import conserved, steady

PROVISIONING = builders.PROVISIONING
START = builders.WARMUP
PERIOD = builders.PERIOD
N = 4


def ab_test(strategy=None, defect=None, users=100_000, request_log=0.0, **kw):
    """The usual release (tests/builders.py) A/B tested on `users` sticky users.

    Availability SLO 99%: the derived guardrail alarm fires above 1% errors."""
    return builders.release({"type": "ab_test", **(strategy or {})}, defect, name="ab",
                            instances=N, traffic={"users": users}, slo={"availability": 0.99},
                            monitoring={"request_log": request_log}, **kw)  # fmt: skip


def split_time(res):
    ev = res.events
    return ev[ev.kind == "UpdateEndpointWeightsAndCapacities"].time.iloc[0]


def successes(res, version, t0, t1):
    """Requests of a version that succeeded, over the periods in [t0, t1)."""
    m = res.metrics
    rows = m[(m.version == version) & (m.time_s >= t0) & (m.time_s + PERIOD <= t1)]
    return int((rows.Invocations - rows.Invocation5XXErrors - rows.Invocation4XXErrors).sum())


# ---------------------------------------------------------------- routing


def test_users_stick_to_one_arm_and_the_split_holds():
    """Split 30%: during the test each user sees one version, and the share of distinct
    users on the treatment is the split. 20,000 users hashed into arms (SD of the segment
    share sqrt(.21/20000) = 0.0032) of which ~19,000 are seen (SD 0.0033): tolerance 0.025
    is > 5 combined SDs."""
    sc = ab_test({"split": 30, "conversion": {"control": 0.1, "treatment": 0.1},
                  "interval": 600, "max_duration": 1200}, users=20_000, request_log=1.0,
                 duration=1800)  # fmt: skip
    res = ds.simulate(sc, seed=1)
    begun = split_time(res)
    assert res.events[res.events.kind == "UpdateEndpointWeightsAndCapacities"].detail.iloc[0] == (
        "v2=0.3, v1=0.7"
    )
    decided = begun + res.summary["details"]["ab_test"]["decision_time_s"]
    log = res.requests
    window = log[(log.arrival >= begun) & (log.arrival < decided)]
    per_user = window.groupby("user").version.agg(["nunique", "first"])
    assert len(per_user) > 15_000
    assert per_user["nunique"].max() == 1
    assert abs((per_user["first"] == "v2").mean() - 0.30) <= 0.025
    # the treatment fleet is sized for its share: ceil(0.3 N) instances
    launch = res.events[res.events.kind == "LaunchInstances"].detail.iloc[0]
    assert launch == f"{math.ceil(0.3 * N)} x ml.c5.xlarge for v2"


# ---------------------------------------------------------------- counts


def test_trials_are_successful_requests_and_conversions_follow_the_rates():
    """A 0.2% error defect (below the 1% guardrail) makes successes differ from invocations.
    trials = each arm's successes over the test (from the metrics); conversions / trials
    within 5 binomial SDs of the configured rate; the reported lift is the counts' lift."""
    conversion = {"control": 0.10, "treatment": 0.12}
    sc = ab_test({"conversion": conversion, "interval": 300, "max_duration": 1800},
                 {"error_rate": 0.002})  # fmt: skip
    res = ds.simulate(sc, seed=2)
    ab = res.summary["details"]["ab_test"]
    assert set(ab) == {"winner", "decision_time_s", "p_value", "lift", "conversions", "trials"}
    begun = split_time(res)
    decided = begun + ab["decision_time_s"]
    assert ab["decision_time_s"] % 300 == 0
    for version, arm in (("v1", "control"), ("v2", "treatment")):
        trials = ab["trials"][version]
        assert trials == successes(res, version, begun, decided)
        p = conversion[arm]
        assert abs(ab["conversions"][version] / trials - p) <= 5 * math.sqrt(p * (1 - p) / trials)
    m = res.metrics
    errors = m[(m.version == "v2") & (m.time_s >= begun) & (m.time_s < decided)]
    assert errors.Invocation5XXErrors.sum() > 0  # the successes really exclude failures
    rate = {v: ab["conversions"][v] / ab["trials"][v] for v in ("v1", "v2")}
    assert ab["lift"] == pytest.approx(rate["v2"] / rate["v1"] - 1, rel=1e-12)


# ---------------------------------------------------------------- decisions


def test_a_large_lift_wins_and_the_treatment_is_promoted():
    """Treatment converts 15% against 10%: the sequential test stops at a look (a multiple of
    `interval`) with p <= alpha; the treatment grows to full size and takes all traffic."""
    sc = ab_test({"conversion": {"control": 0.10, "treatment": 0.15}, "interval": 300})
    res = ds.simulate(sc, seed=3)
    s, ev = res.summary, res.events
    ab = s["details"]["ab_test"]
    assert ab["winner"] == "v2" and ab["p_value"] <= 0.05 and ab["lift"] > 0
    assert ab["decision_time_s"] % 300 == 0 and ab["decision_time_s"] < 7200
    decided = split_time(res) + ab["decision_time_s"]
    assert list(ev[ev.kind == "ExperimentDecision"].time) == [decided]
    grow = ev[(ev.kind == "LaunchInstances") & (ev.time == decided)]
    assert grow.detail.item() == f"{N - math.ceil(0.5 * N)} x ml.c5.xlarge for v2"
    shift = ev[ev.kind == "UpdateEndpointWeightsAndCapacities"]
    assert list(shift.time)[-1] == decided + PROVISIONING
    assert shift.detail.iloc[-1] == "v2=1, v1=0"
    assert s["outcome"] == "promoted" and s["reached_full_traffic"]


def short(seed, strategy=None):
    """A short equal-rates experiment: 20 req/s, 30-minute maximum, looks every 5 minutes."""
    strategy = {"conversion": {"control": 0.10, "treatment": 0.10}, "interval": 300,
                "max_duration": 1800} | (strategy or {})  # fmt: skip
    return ds.simulate(
        ab_test(strategy, rate=20, duration=2000, warmup=60, fleet={"provisioning": 60}), seed=seed
    )


def test_equal_rates_rarely_crown_a_winner():
    """Equal conversion rates, 30 replications (seeds 100-129) of a 30-minute sequential test
    with 6 looks. The mSPRT's chance of ever stopping under H0 is at most alpha = 0.05, so
    the number of false winners is at most Binomial(30, 0.05): P(>= 6) = 0.003, hence the
    bound of 5: it catches a grossly broken rule (a stop at the first look, a one-sided
    error), not a subtle inflation (a z-test peeking at 6 looks, ~15%, would average 4.5).
    Runs without a winner last max_duration and keep the control (rolled back)."""
    winners = 0
    for seed in range(100, 130):
        res = short(seed)
        ab = res.summary["details"]["ab_test"]
        if ab["winner"] is None:
            assert ab["decision_time_s"] == 1800
            assert res.summary["outcome"] == "rolled_back"
            assert res.summary["time_to_rollback_s"] is None  # nothing was detected
        else:
            winners += 1
            assert ab["p_value"] <= 0.05
            expected = "promoted" if ab["winner"] == "v2" else "rolled_back"
            assert res.summary["outcome"] == expected
    assert winners <= 5


def test_two_proportion_waits_for_the_planned_sample_size():
    """The fixed-horizon test decides at the first look where both arms have the planned
    trials (Fleiss' formula, computed here with scipy): 25 successes/s per arm, looks every
    240 s (6,000 trials each), so the k-th look with 6000 k >= n_planned decides. Look counts
    are Poisson: the margin on either side of n_planned is asserted to exceed 10 SDs. The
    p-value is the pooled z-test's, checked against scipy's chi-square without correction."""
    p_a, mde, alpha, power = 0.10, 0.10, 0.05, 0.8
    p_b = p_a * (1 + mde)
    p_bar = (p_a + p_b) / 2
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    planned = math.ceil((z_a * math.sqrt(2 * p_bar * (1 - p_bar))
                         + z_b * math.sqrt(p_a * (1 - p_a) + p_b * (1 - p_b))) ** 2
                        / (p_b - p_a) ** 2)  # fmt: skip
    per_look = 50 * 0.5 * 240
    k = math.ceil(planned / per_look)
    for looks in (k - 1, k):
        assert abs(looks * per_look - planned) > 10 * math.sqrt(looks * per_look)
    sc = ab_test({"test": "two_proportion", "conversion": {"control": p_a, "treatment": p_a},
                  "mde": mde, "interval": 240, "max_duration": 3600})  # fmt: skip
    res = ds.simulate(sc, seed=4)
    ab = res.summary["details"]["ab_test"]
    assert ab["decision_time_s"] == k * 240
    assert min(ab["trials"].values()) >= planned
    decision = res.events[res.events.kind == "ExperimentDecision"].detail.item()
    assert decision.startswith("planned sample size reached")
    table = [[ab["conversions"][v], ab["trials"][v] - ab["conversions"][v]] for v in ("v1", "v2")]
    p_value = stats.chi2_contingency(table, correction=False).pvalue
    assert ab["p_value"] == pytest.approx(p_value, rel=1e-9)
    assert (ab["winner"] is None) == (p_value > alpha)


def test_guardrail_rolls_back_a_failing_treatment_whatever_the_conversions():
    """The treatment converts 5x better but fails 5% of requests: the SLO alarm (1%) fires in
    the first period of the split and the treatment is rolled back before any look; the
    control never shrank, so restoring it takes no time."""
    sc = ab_test({"conversion": {"control": 0.10, "treatment": 0.50}, "interval": 300},
                 {"error_rate": 0.05})  # fmt: skip
    res = ds.simulate(sc, seed=5)
    s, ev = res.summary, res.events
    begun = split_time(res)
    assert s["outcome"] == "rolled_back"
    assert "ExperimentDecision" not in set(ev.kind)
    assert "ab_test" not in s["details"]
    assert list(ev[ev.kind == "RollbackTriggered"].time) == [begun + PERIOD]
    assert s["time_to_detect_s"] == PERIOD and s["time_to_rollback_s"] == 0
    assert s["blast_radius"] > 0 and not s["false_rollback"]


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize("defect", [None, {"error_rate": 0.05}])
def test_same_seed_same_result_and_requests_conserved(defect):
    sc = ab_test({"conversion": {"control": 0.10, "treatment": 0.12}, "interval": 300}, defect)
    a, b = ds.simulate(sc, seed=6), ds.simulate(sc, seed=6)
    assert steady(a.summary) == steady(b.summary)
    assert a.events.equals(b.events)
    assert conserved(a.summary), a.summary
