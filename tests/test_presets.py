"""The shipped scenarios: presets (one per seed use case) and the validation queues.

Every file loads, is named after its file and survives a round trip through
`to_dict`. Every preset also runs, shortened, with its requests conserved and the
behaviour its description claims (traffic shape, latency, failures, release outcome).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator as ds
from simulator import catalog

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
PRESETS = sorted(SCENARIOS.glob("*.yaml"))
VALIDATION = sorted((SCENARIOS / "validation").glob("*.yaml"))
SHORT = 1200.0  # s: the shortened run

# Lowest availability each preset must keep over its shortened run (the fleets are sized
# for their traffic; only the big bang's cut-over and defect cost requests).
MIN_AVAILABILITY = {
    "ab-test-upsell-ranker": 0.9995,
    "badge-photo-authentication": 0.999,
    "big-bang-release": 0.80,
    "blue-green-fraud-sagemaker": 0.9995,
    "canary-fraud-argo": 0.999,  # 3% errors on 5% of traffic for 3 minutes
    "canary-fraud-flagger": 0.9995,
    "checkout-upsell-recommendations": 0.9995,
    "customer-service-chatbot": 0.999,
    "form-digitising-textract": 0.98,
    "hosting-ab-two-variants": 0.999,
    "hosting-forecast-async": 0.999,  # every request answered, some after minutes asleep
    "hosting-forecast-batch-transform": 0.999,
    "linear-chatbot-gpu-migration": 0.999,  # 0.5% errors on 25% of traffic for a minute
    "localised-web-content": 0.999,
    "parallel-forecast-inferentia-port": 0.9995,
    "phased-regional-content": 0.999,
    "platform-image-classifier-ec2": 0.999,
    "platform-image-classifier-ecs-fargate": 0.999,
    "platform-image-classifier-on-prem": 0.999,  # one host of four out at a time
    "platform-image-classifier-sagemaker": 0.999,  # 2% errors on 10% of users for a minute
    "presentation-transcripts": 0.95,
    "process-continuous-delivery-blue-green": 0.9995,  # one healthy release of the process
    "process-continuous-deployment-canary": 0.9995,
    "process-monthly-train-big-bang": 0.9995,  # big bang with overlap: no downtime
    "rolling-chatbot-sagemaker": 0.9995,
    "seasonal-demand-forecast-batch": 0.999,
    "security-locked-down-endpoint": 0.999,
    "security-open-endpoint": 0.999,
    "sentiment-social-posts": 0.999,
    "shadow-fraud-dnn": 0.9995,  # the shadow's failures are not users'
    "voice-response-polly": 0.999,
}
SHORT_DURATION = {"sentiment-social-posts": 2700.0}  # reaches the first flash crowd (30-40 min)


def stem(path: Path) -> str:
    return path.name.removesuffix(".yaml")


@functools.cache
def run(name: str, duration: float | None = None) -> ds.Result:
    """One seeded run of a preset, shortened to `duration` seconds unless None."""
    data = ds.load_scenario(SCENARIOS / f"{name}.yaml").to_dict()
    if duration is not None:
        data["duration"] = duration
    return ds.simulate(data, seed=1)


def short(name: str) -> ds.Result:
    return run(name, SHORT_DURATION.get(name, SHORT))


def per_period(res: ds.Result, column: str) -> pd.Series:
    return res.metrics.groupby("period")[column].sum()


def kinds(res: ds.Result) -> list[str]:
    return list(res.events["kind"])


# ------------------------------------------------------------------ every file


@pytest.mark.parametrize("path", PRESETS + VALIDATION, ids=stem)
def test_loads_named_after_file_and_round_trips(path):
    sc = ds.load_scenario(path)
    assert sc.name == stem(path)
    assert sc.description.strip()
    again = ds.load_scenario(sc.to_dict())
    assert again == sc
    assert ds.load_scenario(sc.to_yaml()) == sc


@pytest.mark.parametrize("path", PRESETS + VALIDATION, ids=stem)
def test_loads_with_traces_kept_inside_the_scenarios_folder(path):
    """As the app loads a scenario it did not write: traces only from `scenarios/`."""
    assert ds.load_scenario(path, trace_dirs=[SCENARIOS]) == ds.load_scenario(path)


def test_every_preset_has_expectations():
    assert {stem(p) for p in PRESETS} == set(MIN_AVAILABILITY)
    assert len(VALIDATION) >= 5


# ------------------------------------------------------------------ validation queues


@pytest.mark.parametrize("path", VALIDATION, ids=stem)
def test_validation_scenario_is_a_plain_queue(path):
    sc = ds.load_scenario(path)
    assert path.read_text().startswith("# Theory:")
    assert sc.traffic.pattern == "poisson"
    assert sc.strategy.type == "none" and sc.release is None
    assert sc.fleet.instances == 1 and sc.fleet.service_time is not None
    assert sc.failures.instance is None and not sc.failures.zone_outages
    assert sc.autoscaling is None
    assert 0 < sc.warmup < sc.duration
    assert 200_000 <= sc.traffic.rate * sc.duration <= 500_000
    service = sc.fleet.service_time.build()
    load = sc.traffic.rate * service.mean / sc.fleet.workers_per_instance
    # a loss or finite-buffer system may be offered more; an infinite queue must be stable
    assert load < 1 or sc.fleet.queue_capacity is not None


# ------------------------------------------------------------------ every preset, shortened


@pytest.mark.parametrize("path", PRESETS, ids=stem)
def test_preset_short_run_conserves_requests_and_stays_healthy(path):
    name = stem(path)
    res = short(name)
    s = res.summary
    assert s["requests"] > 0
    assert s["requests"] == (
        s["completed"] + s["errors"] + s["rejected"] + s["timed_out"] + s["in_flight"]
    )
    assert s["availability"] >= MIN_AVAILABILITY[name]
    # No fleet runs past its capacity in steady state (after the warm-up).
    sc = ds.load_scenario(path)
    util = [c for c in res.metrics.columns if c.endswith("Utilization")]
    steady = res.metrics[res.metrics["time_s"] >= sc.warmup]
    assert steady[util].max().max() <= 100.0 or sc.hosting.kind != "realtime"


@pytest.mark.parametrize("path", PRESETS, ids=stem)
def test_preset_traffic_matches_its_shape(path):
    sc = ds.load_scenario(path)
    if getattr(sc.traffic, "mmpp", None) is not None:
        pytest.skip("MMPP counts vary too much over a short run for a count check")
    res = short(stem(path))
    expected = sc.traffic.build(np.random.default_rng(0)).expected_count(
        0.0, SHORT_DURATION.get(stem(path), SHORT)
    )
    assert abs(res.summary["requests"] - expected) <= 5 * math.sqrt(expected) + 1


# ------------------------------------------------------------------ per-preset behaviour


def test_sentiment_flash_crowd_quadruples_traffic_without_failures():
    res = short("sentiment-social-posts")
    calls = per_period(res, "Invocations")
    ratio = calls.loc[31:38].mean() / calls.loc[10:28].mean()
    assert 3.5 < ratio < 4.5
    s = res.summary
    assert s["errors"] == s["rejected"] == s["timed_out"] == 0
    assert s["latency_ms"]["p99"] < 50  # the SLO, bursts included


def test_forecast_batch_replays_the_trace_exactly():
    sc = ds.load_scenario(SCENARIOS / "seasonal-demand-forecast-batch.yaml")
    counts = pd.read_csv(SCENARIOS / "traces" / "nightly-forecast-batch.csv")["requests"]
    assert len(counts) * 60 == sc.duration
    res = short("seasonal-demand-forecast-batch")
    assert res.summary["requests"] == counts.iloc[: int(SHORT // 60)].sum()
    assert list(per_period(res, "Invocations").astype(int)) == list(counts.iloc[:20])


def test_forecast_trace_path_is_relative_in_the_file():
    text = (SCENARIOS / "seasonal-demand-forecast-batch.yaml").read_text()
    assert "path: traces/nightly-forecast-batch.csv" in text
    assert (SCENARIOS / "traces" / "nightly-forecast-batch.csv").stat().st_size < 10_000


def test_chatbot_scales_out_on_the_morning_ramp():
    res = run("customer-service-chatbot")
    assert "ScaleOut" in kinds(res)
    assert per_period(res, "instances").max() >= 4
    assert res.summary["latency_ms"]["p99"] < 500


def test_checkout_keeps_its_tight_p99_and_the_alarm_quiet():
    sc = ds.load_scenario(SCENARIOS / "checkout-upsell-recommendations.yaml")
    assert sc.fleet.routing == "least_outstanding" and sc.fleet.model == "xgboost"
    res = short("checkout-upsell-recommendations")
    assert res.summary["latency_ms"]["p99"] < 1e3 * sc.slo.latency_p99
    alarms = res.events[res.events["kind"] == "AlarmStateChange"]["state"]
    assert not (alarms == "ALARM").any()


def test_polly_pipeline_latency_is_the_sum_of_its_containers():
    sc = ds.load_scenario(SCENARIOS / "voice-response-polly.yaml")
    assert 2 <= len(sc.fleet.pipeline) <= 3
    service = sum(c.service_time.build().mean for c in sc.fleet.pipeline)
    s = short("voice-response-polly").summary
    assert 1e3 * service * 0.95 < s["latency_ms"]["mean"] < 1e3 * service * 1.5
    assert s["latency_ms"]["p99"] < 250


def test_badge_zone_outage_is_absorbed_by_the_other_zone():
    res = run("badge-photo-authentication")
    assert {"ZoneOutage", "ZoneRecovered"} <= set(kinds(res))
    instances = per_period(res, "instances")
    assert instances.loc[76:94].max() == 1 and instances.loc[100:].min() == 2
    s = res.summary
    assert s["availability"] > 0.999
    assert s["errors"] == s["failed_in_flight"]  # only requests in flight on the lost instance
    assert s["latency_ms"]["p99"] < 100


def test_textract_sheds_bursts_instead_of_timing_out():
    sc = ds.load_scenario(SCENARIOS / "form-digitising-textract.yaml")
    assert sc.fleet.queue_capacity is not None
    res = run("form-digitising-textract")  # full run: several bursts
    s = res.summary
    assert s["timed_out"] == 0
    assert 0 < s["rejected"] < 0.01 * s["requests"]
    assert s["wait_ms"]["p99"] < 1e3 * (sc.fleet.queue_capacity + 1) * 1.2
    assert s["latency_ms"]["p50"] > 400  # slow per page


def test_transcripts_are_long_and_within_the_raised_timeout():
    sc = ds.load_scenario(SCENARIOS / "presentation-transcripts.yaml")
    assert sc.fleet.timeout > 60 and sc.fleet.service_time.distribution == "gamma"
    s = short("presentation-transcripts").summary
    assert s["timed_out"] == 0
    assert s["latency_ms"]["mean"] > 0.9 * 1e3 * sc.fleet.service_time.mean


def test_transcripts_crashes_fail_requests_in_flight():
    res = run("presentation-transcripts")
    s = res.summary
    assert kinds(res).count("InstanceFailure") >= 2
    assert s["failed_in_flight"] > 0 and s["errors"] >= s["failed_in_flight"]
    assert 0.95 < s["availability"] < 1


def test_elastic_inference_adds_its_network_hop():
    sc = ds.load_scenario(SCENARIOS / "localised-web-content.yaml")
    assert catalog.target_info(sc.fleet.target)["family"] == "cpu" and sc.fleet.accelerator
    r = catalog.resolve(sc.fleet.target, sc.fleet.model, accelerator=sc.fleet.accelerator)
    s = short("localised-web-content").summary
    assert s["latency_ms"]["p50"] > 1e3 * (r.p50_s + r.extra_latency_s)
    assert s["latency_ms"]["p99"] < 1e3 * sc.slo.latency_p99


def test_big_bang_release_is_rolled_back_by_reprovisioning_the_old_fleet():
    sc = ds.load_scenario(SCENARIOS / "big-bang-release.yaml")
    assert sc.strategy.type == "big_bang" and not sc.strategy.overlap
    assert sc.release.defect.error_rate > 0
    res = short("big-bang-release")
    s = res.summary
    assert s["outcome"] == "rolled_back" and s["reached_full_traffic"]
    scale_out = catalog.target_info(sc.fleet.target)["provisioning"]["scale_out_s"]
    # the release took over after provisioning (downtime), v1 came back after provisioning
    assert s["downtime_s"] == pytest.approx(scale_out)
    assert s["time_to_rollback_s"] == pytest.approx(scale_out)
    assert s["unavailable"] > 0.5 * sc.traffic.rate * scale_out
    assert s["blast_radius"] > 0
    alarms = res.events[res.events["kind"] == "AlarmStateChange"]
    fired = alarms[alarms["state"] == "ALARM"]
    assert len(fired) and fired["time"].min() > sc.warmup
