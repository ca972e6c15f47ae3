"""What an analysis query measures, read from the query; success rates as bounds on errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

import simulator as ds
from simulator.importers import ConfigImportError, import_config
from simulator.importers.promql import measures
from simulator.scenario.gates import Check

ARGO = Path(__file__).with_name("realworld") / "argo" / "success-rate-canary.yaml"
TOTAL = 'sum(rate(http_requests_total{app="m"}[1m]))'
ERRORS, SUCCESSES = ("error_rate", False, 1), ("error_rate", True, 1)


@pytest.mark.parametrize("query, expected", [
    (f'sum(rate(http_requests_total{{app="m",code=~"5.."}}[1m])) / {TOTAL}', ERRORS),
    (f'sum(rate(http_requests_total{{app="m",code!~"5.."}}[1m])) / {TOTAL}', SUCCESSES),
    (f'sum(rate(istio_requests_total{{response_code!~"5.*"}}[5m])) / {TOTAL}', SUCCESSES),
    (f'sum(rate(x{{status=~"5xx"}}[1m])) / {TOTAL}', ERRORS),
    (f'sum(rate(x{{status_code=~"5[0-9]{{2}}"}}[1m])) / {TOTAL}', ERRORS),
    (f'1 - (sum(rate(x{{code=~"5.*"}}[1m])) / {TOTAL})', SUCCESSES),
    (f'100 * sum(rate(x{{code=~"5.."}}[1m])) / {TOTAL}', ("error_rate", False, 100)),
    (f"sum(rate(http_errors_total[1m])) / {TOTAL}", ("error_rate", False, 1)),
    ("histogram_quantile(0.95, sum(rate(d_bucket[1m])) by (le))", ("latency_p95", False, 1)),
    ("histogram_quantile(0.5, sum(rate(d_bucket[1m])) by (le))", ("latency_p50", False, 1)),
])  # fmt: skip
def test_a_query_is_read_for_what_it_measures(query, expected):
    assert measures(query) == expected


@pytest.mark.parametrize("query, why", [
    ('sum(rate(http_requests_total{code=~"5.."}[1m]))', "no ratio"),
    ("histogram_quantile(0.9, sum(rate(d_bucket[1m])) by (le))", "p50, p95 and p99"),
    (f'sum(rate(x{{code=~"2.."}}[1m])) / {TOTAL}', "selects no 5xx"),
    ("up", "no ratio"),
])  # fmt: skip
def test_a_query_that_is_not_a_share_of_errors_or_a_quantile_is_refused(query, why):
    with pytest.raises(ValueError, match=why):
        measures(query)


def test_the_docs_success_rate_template_becomes_an_error_rate_bound_with_its_args():
    sc = ds.load_scenario(import_config(ARGO))
    (check,) = sc.strategy.gate.checks
    # success >= 0.95 passes, so it fails below 0.95: an error rate above 0.05
    assert (check.metric, check.max, check.min) == ("error_rate", 0.05, None)
    assert sc.strategy.gate.interval == 300 and sc.strategy.gate.failure_limit == 3


def test_a_strict_success_condition_stays_strict_as_an_error_bound():
    docs = list(yaml.safe_load_all(ARGO.read_text()))
    docs[1]["spec"]["metrics"][0]["successCondition"] = "result[0] > 0.95"
    check = import_config(yaml.safe_dump_all(docs))["strategy"]["gate"]["checks"][0]
    assert check == {"metric": "error_rate", "max": 0.05, "strict": True}
    assert Check(**check).violated(0.05) and not Check(**check).violated(math.nextafter(0.05, 0))


@pytest.mark.parametrize("defect, outcome",
                         [({}, "promoted"), ({"error_rate": 0.1}, "rolled_back")])  # fmt: skip
def test_the_success_rate_template_promotes_a_healthy_canary_and_rolls_back_a_defective_one(
    defect, outcome
):
    base = {"name": "b", "duration": 3600, "warmup": 300,
            "traffic": {"pattern": "poisson", "rate": 50},
            "fleet": {"version": "v1", "instances": 4, "workers_per_instance": 2,
                      "service_time": {"distribution": "exponential", "mean": 0.05}},
            "release": {"version": "v2", "defect": defect},
            "monitoring": {"period": 60}}  # fmt: skip
    res = ds.simulate(import_config(ARGO, base=base), seed=2)
    assert res.summary["outcome"] == outcome


@pytest.mark.parametrize("change, words", [
    (lambda d: d[0]["spec"]["strategy"]["canary"]["analysis"].pop("args"),
     r"\{\{args.service-name\}\} has no value"),
    (lambda d: d[0]["spec"]["strategy"]["canary"]["analysis"]["args"][0].update(
        valueFrom={"podTemplateHashValue": "Latest"}), "read from the cluster"),
    (lambda d: d[1]["spec"]["metrics"][0]["provider"]["prometheus"].update(query="up"),
     "cannot tell what the query measures .*'up'"),
])  # fmt: skip
def test_what_the_analysis_cannot_resolve_is_refused_with_the_field_and_the_query(change, words):
    docs = list(yaml.safe_load_all(ARGO.read_text()))
    change(docs)
    with pytest.raises(ConfigImportError, match=words):
        import_config(yaml.safe_dump_all(docs))
