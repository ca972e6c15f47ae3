"""The nightly comparison: each option's bill and completion against its own arithmetic."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import simulator as ds
from simulator import catalog
from simulator.analysis.hosting import ASYNC_TAIL, compare_hosting
from simulator.engine.fleet import build_variant
from simulator.errors import UserError

FORECAST = Path(__file__).resolve().parents[2] / "scenarios" / "seasonal-demand-forecast-batch.yaml"


@pytest.fixture(scope="module")
def table():
    return compare_hosting(FORECAST, seed=3)


def test_the_real_time_bills_are_the_instance_hours_they_keep(table):
    sc = ds.load_scenario(FORECAST)
    info = catalog.target_info(sc.fleet.target)
    price, create = info["price_per_hour"], info["provisioning"]["create_endpoint_s"]
    n = sc.fleet.instances
    assert table.loc["realtime, always on", "cost_per_day_usd"] == pytest.approx(price * n * 24)
    scheduled = table.loc["realtime, on a schedule"]
    assert scheduled["cost_per_day_usd"] == pytest.approx(price * n * (create + sc.duration) / 3600)


def test_the_async_endpoint_pays_only_for_the_hours_it_has_instances(table):
    sc = ds.load_scenario(FORECAST)
    price = catalog.target_info(sc.fleet.target)["price_per_hour"]
    row = table.loc["async, scaled to zero"]
    assert row["cost_per_day_usd"] == pytest.approx(price * row["instance_hours"])
    assert 0 < row["instance_hours"] < (sc.duration + ASYNC_TAIL) / 3600
    assert row["failed"] == 0 and row["requests"] == table.loc["batch transform", "requests"]


def test_the_batch_job_ends_after_start_up_plus_every_records_service_time(table):
    # one instance, one worker: the job's processing time is the sum of the records'
    # lognormal service times. Over n ~ 630,000 records the sum is normal around n E[S]
    # with standard deviation sqrt(n) sd(S); 5 of them bound it (a false alarm at 1 in
    # 3.5 million).
    sc = ds.load_scenario(FORECAST)
    variant = build_variant(sc.fleet.version, sc.fleet, is_release=False)
    n = table.loc["batch transform", "requests"]
    expected = variant.provisioning_s + n * variant.service.mean
    sd = math.sqrt(n * variant.service.variance)
    assert abs(table.loc["batch transform", "completion_s"] - expected) < 5 * sd
    assert math.isnan(table.loc["batch transform", "latency_p99_ms"])


def test_only_a_plain_real_time_scenario_on_sagemaker_is_compared():
    base = ds.load_scenario(FORECAST).to_dict()
    with pytest.raises(UserError, match="without a release"):
        compare_hosting(base | {"release": {"version": "v2"}, "strategy": {"type": "big_bang"}})
    with pytest.raises(UserError, match="platform.name is ec2"):
        compare_hosting(base | {"platform": "ec2"})
