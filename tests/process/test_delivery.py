"""Delivery modes and releases through the engine (simulator/process/delivery.py,
simulation.py, dora.py) against what each mode implies, exactly or by its law."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.process.calendar import WorkingCalendar
from simulator.process.simulation import ProcessError, run_process
from simulator.scenario.model import load_scenario
from simulator.scenario.process import ProcessSpec
from tests import builders

DAY = 86400.0
K = 5.0
ALWAYS = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": ["00:00", "24:00"]}


def play(base, process, seed):
    return run_process(base, seed, process)


def base(gate="alarms", rate=10):
    """Each release: a big bang of v2 after 5 minutes, in a 30-minute run."""
    strategy = {"type": "big_bang", "start": 300, "bake": 600, "gate": {"type": gate}}
    return load_scenario(builders.release(strategy, rate=rate, duration=1800, warmup=300))


def spec(delivery, *, horizon=28 * DAY, rate=6, q=0.0, catches=0.0, calendar=None,
         error_rate=1.0, runners=50):  # fmt: skip
    return ProcessSpec.model_validate({
        "horizon": horizon, "calendar": calendar or ALWAYS,
        "changes": {"rate": rate, "size": {"distribution": "deterministic", "value": 100},
                    "defect_per_100_lines": q, "severity": {"error_rate": error_rate}},
        "pipeline": {"runners": runners, "stages": [
            {"name": "build", "duration": {"distribution": "deterministic", "value": 600},
             "catches": catches}]},
        "delivery": delivery,
        "incidents": {"detected_after": 3600, "rollback": 600},
    })  # fmt: skip


def test_a_train_takes_every_change_that_passed_since_the_last_and_waits_half_an_interval():
    """Trains daily at noon, no defects, merges around the clock: each change goes out on
    the first train at or after it passed CI (exactly: deployed when that train's release
    ends), and waits for it half a day on average (passes are uniform in time: the wait is
    uniform on [0, 1 day), SD 0.29 day; seed 1, ~170 changes: K standard errors)."""
    res = play(base(), spec({"mode": "train", "every": DAY, "first": DAY / 2}), 1)
    ch, rel = res.changes, res.releases
    deployed = ch[ch["deployed_at"].notna()]
    trains = rel["began"].to_numpy()
    assert (rel["outcome"] == "promoted").all() and np.allclose(trains % DAY, DAY / 2)
    taken = np.searchsorted(trains, deployed["passed_at"], side="left")
    np.testing.assert_array_equal(deployed["deployed_at"], rel["ended"].to_numpy()[taken])
    waits = (trains[taken] - deployed["passed_at"]) / DAY
    assert len(waits) > 150 and abs(waits.mean() - 0.5) <= K * math.sqrt(1 / 12 / len(waits))
    lead = deployed["deployed_at"] - deployed["merged_at"]
    np.testing.assert_allclose(deployed["lead_time_s"], lead)


def test_continuous_deployment_releases_whatever_is_ready_one_release_at_a_time():
    """No defects: each release starts when the previous one ends or, if none is under
    way, when its first change passes CI; it takes every change that passed meanwhile."""
    res = play(base(), spec({"mode": "continuous_deployment"}, rate=40,
                                   horizon=3 * DAY), 2)  # fmt: skip
    rel, ch = res.releases, res.changes
    assert (rel["began"].to_numpy()[1:] >= rel["ended"].to_numpy()[:-1]).all()
    first_pass = ch.groupby("release")["passed_at"].min()
    previous_end = np.concatenate([[0.0], rel["ended"].to_numpy()[:-1]])
    np.testing.assert_allclose(rel["began"], np.maximum(previous_end, first_pass[rel["release"]]))
    assert (rel["changes"] > 1).any()  # some changes passed while a release was under way
    assert rel["changes"].sum() == ch["state"].isin(["deployed", "releasing"]).sum()


def test_batches_fail_as_1_minus_1_minus_p_to_the_n():
    """Every change of 100 lines defective with p = 0.1, CI catching nothing, a gate that
    catches every defect (each fails all requests) and never a healthy release: a release
    fails exactly when a defect rides it, and with n changes on their first ride (fixed
    ones come back clean) it fails with 1 - 0.9^n. Trains every 2 days for 120 days,
    seed 3: the failures within K standard errors of the sum of those chances."""
    res = play(base(), spec({"mode": "train", "every": 2 * DAY}, horizon=120 * DAY,
                                   rate=3, q=0.1), 3)  # fmt: skip
    rel = res.releases[res.releases["ended"].notna()]
    failed = rel["outcome"] != "promoted"
    np.testing.assert_array_equal(failed, rel["defects"] > 0)
    chance = 1 - 0.9 ** rel["fresh"].to_numpy()
    assert len(rel) > 50
    assert abs(failed.sum() - chance.sum()) <= K * math.sqrt((chance * (1 - chance)).sum())


def test_a_gate_that_never_fails_makes_the_change_failure_rate_the_share_of_defective_releases():
    """Gate none: every release is promoted; each that carries a defect is an incident,
    detected after 1 h and rolled back 10 min later, its changes returned. The change
    failure rate is the share of releases with a defect, recovery takes 70 minutes, and
    the incident's failed requests are the traffic's 10/s over 70 minutes times the
    defect's error rate (0.3 per defect, compounded)."""
    res = play(base(gate="none"), spec({"mode": "continuous_deployment"},
                                              q=0.05, error_rate=0.3), 4)  # fmt: skip
    rel = res.releases[res.releases["ended"].notna()]
    assert (rel["outcome"] == "promoted").all()
    defective = rel["defects"] > 0
    assert defective.any() and (rel["incident"] == defective).all()
    assert res.summary["change_failure_rate"] == pytest.approx(defective.mean())
    incidents = rel[rel["incident"] & rel["restored"].notna() & (rel["reverted_by"] < 0)]
    np.testing.assert_allclose(incidents["restored"] - incidents["ended"], 4200.0)
    assert (incidents["detected_by"] == "users").all()
    assert res.summary["recovery_median_s"] == pytest.approx(4200.0)
    want = 10 * 4200.0 * (1 - 0.7 ** incidents["defects"])
    np.testing.assert_allclose(incidents["incident_failed_requests"], want, rtol=1e-9)


def test_continuous_delivery_waits_for_the_approval_in_working_time():
    """Approval takes 2 working hours (09:00-17:00 on weekdays): the first release starts
    exactly 2 working hours after the first change passed CI (nothing else was going out)."""
    weekdays = {"days": ["mon", "tue", "wed", "thu", "fri"]}
    s = spec({"mode": "continuous_delivery",
              "approval": {"distribution": "deterministic", "value": 7200}},
             calendar=weekdays, horizon=14 * DAY)  # fmt: skip
    res = play(base(), s, 5)
    calendar = WorkingCalendar(s.calendar, s.horizon)
    first_pass = res.changes["passed_at"].min()
    approved = calendar.at_working(calendar.working_before(first_pass) + 7200)
    assert res.releases["began"].iloc[0] == pytest.approx(float(approved))


@pytest.mark.parametrize("delivery", [{"mode": "continuous_deployment"},
                                      {"mode": "train", "every": 7 * DAY, "first": DAY},
                                      {"mode": "continuous_delivery"}])  # fmt: skip
def test_every_change_is_somewhere(delivery):
    """Conservation at the horizon: deployed, ready, releasing, in CI or being fixed."""
    res = play(base(), spec(delivery, q=0.1, catches=0.5, runners=1, rate=20,
                                   horizon=14 * DAY,
                                   calendar={"days": ["mon", "tue", "wed", "thu", "fri"]}),
                      6)  # fmt: skip
    assert "lost" not in set(res.changes["state"])
    deployed = res.changes["state"] == "deployed"
    np.testing.assert_array_equal(deployed, res.changes["deployed_at"].notna())


def test_continuous_deployment_is_faster_and_safer_than_a_monthly_train():
    """DORA's finding on one seed (7): the same team and change stream over 56 days, a
    defect in one change of 500 after CI: releasing each change as it passes gets it
    out sooner and fails less often than monthly trains of ~120 changes (a train carries
    a defect one time in four, a single change one time in 500)."""
    s = {"q": 0.004, "catches": 0.5, "horizon": 56 * DAY,
         "calendar": {"days": ["mon", "tue", "wed", "thu", "fri"]}}
    fast = play(base(), spec({"mode": "continuous_deployment"}, **s), 7).summary
    slow = play(base(), spec({"mode": "train", "every": 28 * DAY, "first": DAY}, **s),
                       7).summary  # fmt: skip
    assert fast["lead_time_median_s"] < slow["lead_time_median_s"]
    assert fast["change_failure_rate"] < slow["change_failure_rate"]
    assert fast["deployment_frequency_per_day"] > slow["deployment_frequency_per_day"]


def test_a_scenario_without_a_release_strategy_is_refused():
    with pytest.raises(ProcessError, match="release and a strategy"):
        play(load_scenario(builders.plain_queue(5)), spec({"mode": "train", "every": DAY}), 1)
    with pytest.raises(ProcessError, match="no process: section"):
        run_process(base(), 1)


def test_a_process_section_needs_a_release_to_play():
    from simulator.scenario.model import ScenarioError

    process = spec({"mode": "continuous_deployment"}).model_dump(mode="json")
    with pytest.raises(ScenarioError, match="process: each release plays this scenario"):
        load_scenario(builders.plain_queue(5) | {"process": process})


def test_costs_are_the_fleet_all_the_time_what_releases_add_and_busy_runners():
    """The base fleet (4 x ml.c5.xlarge at $0.204 an hour) billed over 14 days; runners at
    $0.48 an hour busy 600 s per stage run; big bang with overlap runs both fleets while
    a release lasts, so releases add a positive overhead."""
    s = spec({"mode": "continuous_deployment"}, horizon=14 * DAY, q=0.05, catches=0.5)
    data = s.model_dump(mode="json")
    data["pipeline"]["runner_price_per_hour"] = 0.48
    s = ProcessSpec.model_validate(data)
    sc = load_scenario(builders.release({"type": "big_bang", "overlap": True, "start": 300,
                                         "bake": 600, "gate": {"type": "alarms"}},
                                        rate=10, duration=1800, warmup=300))  # fmt: skip
    res = play(sc, s, 9)
    assert res.summary["serving_cost_usd"] == pytest.approx(4 * 0.204 * 14 * 24)
    runs = res.changes["runs"].sum()
    assert res.summary["ci_cost_usd"] == pytest.approx(0.48 * runs * 600 / 3600)
    assert res.summary["release_overhead_usd"] > 0
    assert (res.releases["cost_usd"] > 0).all()
