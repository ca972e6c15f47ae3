"""Phased rollout: sticky user segments that only grow, old capacity retired phase by phase."""

import json
import math

import numpy as np
import pytest

import simulator as ds
from tests import builders
from tests.release.strategies.audit import conserved, steady

PROVISIONING = builders.PROVISIONING
START = builders.WARMUP


def phased(strategy=None, defect=None, users=100_000, request_log=0.0, **kw):
    """The usual release (tests/builders.py) by phases of `users` sticky users."""
    return builders.release({"type": "phased", **(strategy or {})}, defect, name="phased",
                            traffic={"users": users}, monitoring={"request_log": request_log},
                            **kw)  # fmt: skip


def live_counts(events, n):
    """Live instances per fleet name after each event (from the audit trail alone)."""
    live = {"v1": n, "v2": 0}
    out = []
    for kind, count, name in events[["kind", "count", "variant"]].itertuples(index=False):
        if kind == "LaunchInstances":
            live[name] += int(count)
        elif kind == "TerminateInstances":
            live[name] -= int(count)
        out.append(dict(live))
    return out


# ---------------------------------------------------------------- sticky segments


@pytest.fixture(scope="module")
def logged():
    """Default phases 25/50/75/100, 10-minute bakes; 20,000 users, every request logged."""
    res = ds.simulate(phased(users=20_000, request_log=1.0), seed=3)
    ev = res.events
    shifts = ev[ev.kind == "UpdateEndpointWeightsAndCapacities"].time.to_numpy()
    end = ev[ev.kind == "UpdateComplete"].time.item()
    return res, shifts, end


def test_a_user_moved_to_the_release_never_goes_back(logged):
    """Per user, every v1 request arrived before every v2 request (segments only grow), and
    within one phase a user sees one version only."""
    res, shifts, _ = logged
    log = res.requests
    assert res.summary["outcome"] == "promoted"
    assert log.version.isin(["v1", "v2"]).all()
    last_v1 = log[log.version == "v1"].groupby("user").arrival.max()
    first_v2 = log[log.version == "v2"].groupby("user").arrival.min()
    both = last_v1.index.intersection(first_v2.index)
    assert len(both) > 1000  # many users did move
    assert (last_v1[both] < first_v2[both]).all()
    phase = np.searchsorted(shifts, log.arrival.to_numpy(), side="right")
    per_phase = log.assign(phase=phase).groupby(["phase", "user"]).version.nunique()
    assert per_phase.max() == 1


def test_share_of_users_per_phase_matches_the_phase(logged):
    """Distinct users on v2 among those seen in each phase. Users are assigned by a fixed
    hash, so the share has two sources of noise: which of the 20,000 users fall in the
    segment (SD <= sqrt(.25/20000) = 0.0035) and which of them are seen in the phase
    (>= 10,000 users, SD <= 0.005): tolerance 0.025 is > 4 combined SDs. The 100% phase is
    exact."""
    res, shifts, end = logged
    log = res.requests
    bounds = list(shifts) + [end]
    for k, share in enumerate([0.25, 0.50, 0.75, 1.0]):
        window = log[(log.arrival >= bounds[k]) & (log.arrival < bounds[k + 1])]
        users = window.groupby("user").version.first()
        assert len(users) >= 10_000
        got = (users == "v2").mean()
        if share == 1.0:
            assert got == 1.0
        else:
            assert abs(got - share) <= 0.025, (share, got)


# ---------------------------------------------------------------- capacity


@pytest.mark.parametrize(
    ("n", "phases"), [(4, [25, 50, 75, 100]), (7, [10, 30, 60, 100]), (10, [25, 50, 75, 100])]
)
def test_old_capacity_is_decommissioned_phase_by_phase(n, phases):
    """Before phase share s the release grows to ceil(s N) instances (one provisioning
    time), traffic shifts, and the old fleet shrinks to ceil((1 - s) N) live instances; a
    bake separates the phases."""
    bake = 300
    res = ds.simulate(phased({"phases": phases, "bake": bake}, instances=n), seed=2)
    ev = res.events.reset_index(drop=True)
    counts = live_counts(ev, n)
    shifts = ev.index[ev.kind == "UpdateEndpointWeightsAndCapacities"]
    assert len(shifts) == len(phases)
    t = START
    new_before = 0
    for k, (row, phase) in enumerate(zip(shifts, phases, strict=True)):
        s = phase / 100
        new = max(1, math.ceil(s * n - 1e-9))
        keep = math.ceil((1 - s) * n - 1e-9)
        if new > new_before:
            t += PROVISIONING
        assert ev.time[row] == t, k
        assert ev.detail[row] == f"v2={s:g}, v1={1 - s:g}"
        # the terminations that follow the shift happen at the same moment
        after = row
        while after + 1 < len(ev) and ev.kind[after + 1] == "TerminateInstances":
            after += 1
            assert ev.time[after] == t
        assert counts[after] == {"v1": keep, "v2": new}, (phase, counts[after])
        new_before = new
        t += bake
    assert ev[ev.kind == "UpdateComplete"].time.item() == t
    assert res.summary["outcome"] == "promoted"
    # never a second full fleet: the peak is the grown release beside the previous phase's
    # old fleet, max_k ceil(s_k N) + ceil((1 - s_{k-1}) N), below 2N
    shares = [0.0] + [p / 100 for p in phases]
    peak = max(max(1, math.ceil(b * n - 1e-9)) + math.ceil((1 - a) * n - 1e-9)
               for a, b in zip(shares, shares[1:], strict=False))  # fmt: skip
    assert max(c["v1"] + c["v2"] for c in counts) == peak < 2 * n


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("phases", "message"),
    [
        ([50, 25, 100], "phases must grow"),
        ([25, 25, 100], "phases must grow"),
        ([25, 50], "the last phase must reach 100%"),
        ([0, 100], r"phases are percents of users in \(0, 100\]"),
        ([50, 120], r"phases are percents of users in \(0, 100\]"),
        ([], r"phases are percents of users in \(0, 100\]"),
    ],
)
def test_phases_must_grow_and_end_at_100(phases, message):
    with pytest.raises(ds.ScenarioError, match=r"strategy\.phases: " + message):
        ds.load_scenario(phased({"phases": phases}))


def test_a_single_100_percent_phase_is_valid():
    ds.load_scenario(phased({"phases": [100]}))


# ---------------------------------------------------------------- rollback


@pytest.mark.parametrize("n", [4, 10])
def test_defective_release_rolls_back_and_reprovisions_the_old_capacity(n):
    """A 5% error defect trips the SLO alarm in the first period of the 25% phase; the old
    instances decommissioned by that phase (N - ceil(0.75 N)) are launched again, all at
    once, so time to roll back is one provisioning time."""
    res = ds.simulate(phased({}, {"error_rate": 0.05}, instances=n), seed=5)
    s, ev = res.summary, res.events
    assert s["outcome"] == "rolled_back" and not s["reached_full_traffic"]
    exposed = START + PROVISIONING
    detected = ev[ev.kind == "RollbackTriggered"].time.item()
    assert detected == exposed + 60 and s["time_to_detect_s"] == 60
    missing = n - math.ceil(0.75 * n - 1e-9)
    relaunch = ev[(ev.kind == "LaunchInstances") & (ev.variant == "v1")]
    assert list(relaunch.time) == [detected]
    assert list(relaunch.detail) == [f"{missing} x ml.c5.xlarge for v1"]
    assert s["time_to_rollback_s"] == PROVISIONING
    assert ev[ev.kind == "RollbackComplete"].time.item() == detected + PROVISIONING
    assert live_counts(ev, n)[-1] == {"v1": n, "v2": 0}
    # only the first segment met the release: no v2 request after the rollback completed
    m = res.metrics
    late = m[(m.version == "v2") & (m.time_s >= detected + PROVISIONING + 60)]
    assert late.Invocations.sum() == 0
    assert 0 < s["users_affected"] <= s["blast_radius"]


def test_no_further_phase_once_the_gate_has_fired():
    """Derived alarms needing 3 breaching periods and 2-minute bakes: the 25% phase's bake
    passes (2 periods), the release grows for the 50% phase, and the alarm fires while the
    new instance provisions (3 periods after exposure). From then on the release must not
    get more users nor the old fleet lose capacity: the rollback re-provisions what was
    missing at detection, one provisioning time."""
    gate = {"type": "alarms", "evaluation_periods": 3}
    res = ds.simulate(phased({"bake": 120, "gate": gate}, {"error_rate": 0.05}), seed=1)
    s, ev = res.summary, res.events
    exposed = START + PROVISIONING
    detected = ev[ev.kind == "RollbackTriggered"].time.item()
    assert detected == exposed + 3 * 60
    assert exposed + 120 < detected < exposed + 120 + PROVISIONING  # during the scale-up
    later = ev[ev.time >= detected]
    shares = later[later.kind == "UpdateEndpointWeightsAndCapacities"].weights.map(json.loads)
    assert all(w["v1"] == 1 for w in shares), list(shares)
    assert not ((later.kind == "TerminateInstances") & (later.variant == "v1")).any()
    assert s["time_to_rollback_s"] == PROVISIONING


# ---------------------------------------------------------------- invariants


@pytest.mark.parametrize("defect", [None, {"error_rate": 0.05}])
def test_same_seed_same_result_and_requests_conserved(defect):
    a = ds.simulate(phased({"bake": 300}, defect), seed=13)
    b = ds.simulate(phased({"bake": 300}, defect), seed=13)
    assert steady(a.summary) == steady(b.summary)
    assert a.events.equals(b.events)
    assert conserved(a.summary), a.summary
