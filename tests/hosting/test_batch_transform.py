"""Batch Transform jobs against their closed forms: completion, files per instance, retries, bills.

With a deterministic service time every mini-batch takes the same time, so list
scheduling is exact arithmetic: a job of B mini-batches of work w on I instances with c
concurrent transforms each, every instance owning the same number of files, ends
ceil(B / (I c)) x w after its start-up. The statistical test (retries) states its
sample and tolerance where it is.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import simulator as ds
from simulator import catalog
from simulator.hosting.batch_transform import batch_sizes, file_sizes, finish_times
from tests.builders import scenario

D = 0.002  # seconds per record


def job(records, *, instances=2, files=2, concurrent=4, strategy="SingleRecord", **hosting):
    """A transform job of deterministic records on ml.m5.large (price from the catalog)."""
    return scenario(
        fleet={"target": "ml.m5.large", "instances": instances, "workers_per_instance": 1,
               "service_time": {"distribution": "deterministic", "value": D}},
        hosting={"kind": "batch_transform", "records": records, "files": files,
                 "max_concurrent_transforms": concurrent, "batch_strategy": strategy,
                 "max_payload_mb": 6 if strategy == "MultiRecord" else 1, **hosting},
    )  # fmt: skip


@pytest.mark.parametrize("instances,concurrent", [(1, 1), (2, 4), (5, 3)])
def test_a_deterministic_job_ends_at_records_times_service_over_instances_times_concurrency(
    instances, concurrent
):
    records = 12_000 * instances * concurrent
    res = ds.simulate(job(records, instances=instances, files=instances, concurrent=concurrent,
                          start_up=200), seed=3)  # fmt: skip
    expected = 200 + records * D / (instances * concurrent)
    assert res.summary["completion_time_s"] == pytest.approx(expected, rel=1e-9)
    assert res.summary["outcome"] == "completed" and res.summary["completed"] == records
    price = catalog.target_info("ml.m5.large")["price_per_hour"]
    assert res.summary["cost_usd"] == pytest.approx(instances * expected / 3600 * price)
    assert res.summary["throughput_rps"] == pytest.approx(records / (expected - 200))


def test_multirecord_fills_the_payload_and_pays_the_overhead_once_per_mini_batch():
    # 6 MB of 2 KB records: 3072 a mini-batch; 10 mini-batches per instance and slot
    per_batch, overhead = 3072, 0.05
    records = per_batch * 10 * 2 * 2
    sc = job(records, concurrent=2, strategy="MultiRecord", record_size_kb=2, start_up=60)
    sc["fleet"]["overhead"] = overhead
    res = ds.simulate(sc, seed=1)
    assert res.summary["records_per_batch"] == per_batch
    assert res.summary["mini_batches"] == records // per_batch
    assert res.summary["completion_time_s"] == pytest.approx(60 + 10 * (per_batch * D + overhead))


def test_one_file_keeps_every_other_instance_idle():
    records = 8_000
    res = ds.simulate(job(records, instances=4, files=1, concurrent=2, start_up=0), seed=1)
    assert res.summary["idle_instances"] == 3
    assert res.summary["completion_time_s"] == pytest.approx(records * D / 2)
    # still billed for all four, start to end
    assert res.summary["instance_hours"] == pytest.approx(4 * records * D / 2 / 3600)


def test_uneven_files_end_with_the_busiest_instance():
    # 3 files on 2 instances: instance 0 reads files 0 and 2, so it holds 2/3 of the work
    records = 9_000
    res = ds.simulate(job(records, instances=2, files=3, concurrent=1, start_up=0), seed=1)
    assert res.summary["completion_time_s"] == pytest.approx(2 * 3_000 * D)


def test_an_attempt_past_the_timeout_fails_every_retry_and_fails_the_job():
    sc = job(100, instances=1, files=1, concurrent=1, strategy="MultiRecord",
             record_size_kb=1024, invocations_timeout=2, start_up=0)  # fmt: skip
    sc["fleet"]["service_time"] = {"distribution": "deterministic", "value": 1.0}
    res = ds.simulate(sc, seed=1)  # 6 records a mini-batch: 6 s of work > 2 s
    s = res.summary
    assert s["outcome"] == "failed" and s["timed_out"] == 100 and s["errors"] == 0
    assert s["retries"] == 3 * s["mini_batches"] and s["invocations"] == 4 * s["mini_batches"]
    assert s["completion_time_s"] == pytest.approx(s["mini_batches"] * 4 * 2.0)
    assert res.events["kind"].tolist() == ["CreateTransformJob", "TransformJobComplete"]
    assert res.events["state"].iloc[-1] == "Failed"


def test_retries_follow_the_truncated_geometric_law():
    # each attempt fails with p; at most 1 + 3 attempts. Over n mini-batches the mean
    # number of attempts is sum_{k<4} p^k, with variance from the same law; 5 standard
    # errors leave a false alarm at odds of about 1 in 3.5 million.
    p, n = 0.2, 50_000
    sc = job(n, instances=1, files=1, concurrent=1, start_up=0)
    sc["fleet"]["error_rate"] = p
    s = ds.simulate(sc, seed=7).summary
    mean = sum(p**k for k in range(4))
    second = sum((k + 1) ** 2 * p**k * (1 - p) for k in range(3)) + 16 * p**3
    sd = math.sqrt(second - mean**2)
    assert abs(s["invocations"] / n - mean) < 5 * sd / math.sqrt(n)
    failed_sd = math.sqrt(p**4 * (1 - p**4) / n)
    assert abs(s["errors"] / n - p**4) < 5 * failed_sd


def test_the_schedule_helpers_agree_with_a_plain_simulation_of_the_slots():
    rng = np.random.default_rng(5)
    work = rng.exponential(1.0, 500)
    ends = finish_times(10.0, work, 3)
    slots = [10.0, 10.0, 10.0]  # the oracle: give each job to the slot free first
    for j, w in enumerate(work):
        k = min(range(3), key=lambda i: slots[i])
        slots[k] += w
        assert ends[j] == pytest.approx(slots[k])
    assert file_sizes(10, 3).tolist() == [4, 3, 3]
    assert batch_sizes(np.array([7, 3]), 3).tolist() == [3, 3, 1, 3]


def test_the_payload_limits_are_sagemakers():
    with pytest.raises(ds.ScenarioError, match="at most 100 MB"):
        ds.load_scenario(job(10, concurrent=20, strategy="MultiRecord", max_payload_mb=6))
    with pytest.raises(ds.ScenarioError, match="must fit in max_payload_mb"):
        ds.load_scenario(job(10, strategy="MultiRecord", record_size_kb=7000))
    with pytest.raises(ds.ScenarioError, match="invocations_max_retries"):
        ds.load_scenario(job(10, invocations_max_retries=4))


def test_a_job_plays_no_release():
    sc = job(10) | {"release": {"version": "v2"}, "strategy": {"type": "canary"}}
    with pytest.raises(ds.ScenarioError, match="release: not modelled for hosting kind"):
        ds.load_scenario(sc)


def test_the_same_seed_gives_the_same_job_and_another_seed_another():
    sc = job(5_000, concurrent=2)
    sc["fleet"]["service_time"] = {"distribution": "exponential", "mean": D}
    a, b, c = (ds.simulate(sc, seed=s).summary for s in (1, 1, 2))
    assert a["completion_time_s"] == b["completion_time_s"] != c["completion_time_s"]


def test_a_batch_scoring_job_on_emr_pays_ec2_plus_the_emr_fee_from_cluster_start():
    from simulator.catalog import platforms

    records = 40_000
    sc = job(records, instances=2, files=2, concurrent=2) | {"platform": "emr"}
    sc["fleet"]["target"] = "ml.m5.xlarge"
    s = ds.simulate(sc, seed=1).summary
    emr = platforms.platform("emr")
    start_up = emr.start_up_s("ml.m5.xlarge")
    assert s["start_up_s"] == start_up
    assert s["completion_time_s"] == pytest.approx(start_up + records * D / 4)
    assert s["cost_usd"] == pytest.approx(2 * s["completion_time_s"] / 3600
                                          * emr.price_per_hour("ml.m5.xlarge"))  # fmt: skip
    with pytest.raises(ds.ScenarioError, match="hosting.kind: .*has no endpoint"):
        ds.load_scenario(sc | {"hosting": {"kind": "realtime"}})
