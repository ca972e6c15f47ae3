"""The hosting options page, and the run page's security posture, driven with AppTest.

What the page shows is recomputed here from `compare_hosting` and `simulate` on the same
inputs (the forecast comparison takes about a second): the table's cells, the bars'
heights, the asynchronous endpoint's series and the transform job's cumulative records.
The charts' axis rules (a log cost axis beyond 10x) are also checked on hand-made rows.
"""

import base64
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

import simulator as ds
from app.charts import hosting as charts
from app.charts import run as run_charts
from simulator.analysis.hosting import compare_hosting
from simulator.scenario import security
from tests.app import page

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
OPTIONS = ["realtime, always on", "realtime, on a schedule", "async, scaled to zero",
           "batch transform"]  # fmt: skip
COLUMNS = ["hosting kind", "cost per 24 h (USD)", "completion (min)", "requests", "failed",
           "p99 latency (ms)", "instance-hours (h)"]  # fmt: skip


def decoded(values) -> list[float]:
    """A figure's array as Plotly's JSON holds it: a list, or typed bytes in base64."""
    if isinstance(values, dict):
        return list(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]))
    return list(values)


def number(cell: str) -> float:
    """'$2.76', '631,519' or '7.34' as a float."""
    return float(cell.removeprefix("$").replace(",", ""))


def chart(at: AppTest, key: str) -> dict:
    found = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if key in c.proto.id]
    assert len(found) == 1, [c.proto.id for c in at.get("plotly_chart")]
    return found[0]


def hosting_page() -> AppTest:
    return page("hosting", timeout=120)


@pytest.fixture(scope="module")
def forecast() -> pd.DataFrame:
    return compare_hosting(SCENARIOS / "seasonal-demand-forecast-batch.yaml", 0)


def test_the_four_options_are_the_apis_in_order_with_units_and_no_scientific_notation(forecast):
    at = hosting_page()
    assert not at.error
    assert at.selectbox(key="hosting-preset").value == "seasonal-demand-forecast-batch"
    assert "canary-fraud-argo" not in at.selectbox(key="hosting-preset").options  # a release
    table = at.dataframe[0].value
    assert list(table.index) == OPTIONS == list(forecast.index)
    assert list(table.columns) == COLUMNS
    for option, row in forecast.iterrows():
        shown = table.loc[option]
        assert shown["cost per 24 h (USD)"].startswith("$")
        cost = row["cost_per_day_usd"]
        assert number(shown["cost per 24 h (USD)"]) == pytest.approx(cost, rel=5e-3, abs=5e-3)
        minutes = row["completion_s"] / 60
        assert number(shown["completion (min)"]) == pytest.approx(minutes, rel=5e-3)
        assert number(shown["requests"]) == row["requests"]
        assert number(shown["failed"]) == row["failed"]
        hours = row["instance_hours"]
        assert number(shown["instance-hours (h)"]) == pytest.approx(hours, rel=5e-3)
        if option != "batch transform":
            p99 = row["latency_p99_ms"]
            assert number(shown["p99 latency (ms)"]) == pytest.approx(p99, rel=5e-3)
    assert table.at["batch transform", "p99 latency (ms)"] == "n/a"
    assert table.at["batch transform", "hosting kind"] == "batch transform"
    assert not table.map(lambda cell: "e+" in cell or "e-" in cell).any().any()

    costs = chart(at, "hosting-cost")
    bars = costs["data"][0]
    assert bars["type"] == "bar" and bars["x"] == OPTIONS
    assert decoded(bars["y"]) == pytest.approx(forecast["cost_per_day_usd"].to_list())
    assert bars["text"][0] == "$2.76" and all(t.startswith("$") for t in bars["text"])
    assert forecast["cost_per_day_usd"].max() / forecast["cost_per_day_usd"].min() > 10
    assert costs["layout"]["yaxis"]["type"] == "log"
    assert "log scale" in costs["layout"]["yaxis"]["title"]["text"]
    done = chart(at, "hosting-completion")["data"][0]
    assert decoded(done["y"]) == pytest.approx((forecast["completion_s"] / 60).to_list())
    assert any("hosting.md" in i.value for i in at.info)  # the explanation cites its page

    at.number_input(key="hosting-hours").set_value(48.0).run()  # the horizon bills always-on
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert "cost per 48 h (USD)" in table.columns
    assert number(table.at["realtime, always on", "cost per 48 h (USD)"]) == pytest.approx(
        2 * forecast.at["realtime, always on", "cost_per_day_usd"], rel=5e-3
    )
    assert number(table.at["batch transform", "cost per 48 h (USD)"]) == pytest.approx(
        forecast.at["batch transform", "cost_per_day_usd"], rel=5e-3
    )  # a job's cost does not depend on the horizon


def test_one_hosting_kind_over_time_draws_the_async_endpoint_and_the_transform_job():
    at = hosting_page()
    pick = at.selectbox(key="hosting-single")
    assert set(pick.options) >= {
        "hosting-forecast-async (asynchronous endpoint)",
        "hosting-forecast-batch-transform (Batch Transform job)",
    }
    assert pick.value == "hosting-forecast-async"
    res = ds.simulate(ds.load_scenario(SCENARIOS / "hosting-forecast-async.yaml"), seed=0)
    m = res.metrics.sort_values("time_s")
    traces = {t["name"]: t for t in chart(at, "hosting-over-time")["data"]}
    backlog, instances = traces["backlog (requests queued)"], traces["instances"]
    assert decoded(backlog["x"]) == pytest.approx((m["time_s"] / 60).to_list())
    assert decoded(backlog["y"]) == pytest.approx(m["ApproximateBacklogSize"].to_list())
    assert decoded(instances["y"]) == pytest.approx(m["instances"].to_list())
    assert max(decoded(backlog["y"])) > 0 and max(decoded(instances["y"])) >= 1
    assert instances["yaxis"] == "y2"  # the instances' own axis, beside the backlog's
    p99 = np.array(decoded(traces["p99 latency"]["y"]), dtype=float)
    assert np.allclose(p99, m["latency_p99_ms"].to_numpy(), equal_nan=True)
    assert np.nanmax(p99) == pytest.approx(max(m["latency_p99_ms"].dropna()))
    metrics = {x.label: x.value for x in at.metric}
    assert number(metrics["Cost (USD)"]) == pytest.approx(res.summary["cost_usd"], rel=5e-3)
    assert number(metrics["Asleep at zero (min)"]) == pytest.approx(
        res.summary["zero_instance_s"] / 60, rel=5e-3
    )
    assert metrics["p99 latency"] == f"{res.summary['latency_ms']['p99'] / 60e3:.3g} min"

    pick.set_value("hosting-forecast-batch-transform").run()
    assert not at.exception and not at.error
    res = ds.simulate(ds.load_scenario(SCENARIOS / "hosting-forecast-batch-transform.yaml"),
                      seed=0)  # fmt: skip
    figure = chart(at, "hosting-over-time")
    (records,) = figure["data"]
    y = decoded(records["y"])
    assert y[0] == 0 and y == sorted(y)  # cumulative
    assert y[-1] == res.summary["completed"] == res.metrics["records_completed"].sum()
    assert y[1:] == pytest.approx(res.metrics["records_completed"].cumsum().to_list())
    end = res.summary["completion_time_s"] / 60
    assert decoded(records["x"])[-1] == pytest.approx(end)  # the last point is the job's end
    lines = [s for s in figure["layout"]["shapes"] if s["type"] == "line"]
    assert [s["x0"] for s in lines] == pytest.approx([end])
    assert any("job complete" in a["text"] for a in figure["layout"]["annotations"])
    metrics = {x.label: x.value for x in at.metric}
    assert number(metrics["Completion (min)"]) == pytest.approx(end, rel=5e-3)
    assert number(metrics["Cost (USD)"]) == pytest.approx(res.summary["cost_usd"], rel=5e-3)


def test_a_refused_horizon_shows_the_reason_not_a_traceback():
    at = hosting_page()
    at.selectbox(key="hosting-preset").set_value("seasonal-demand-forecast-batch")
    at.number_input(key="hosting-hours").set_value(1.0).run()  # shorter than the 2 h window
    assert not at.exception
    message = at.error[0].value
    assert "must be at least the scenario's duration" in message and "Traceback" not in message
    assert not at.dataframe


def test_a_comparison_over_the_budget_is_refused_then_run_when_forced(monkeypatch):
    import streamlit as st

    from simulator.engine import budget

    monkeypatch.setattr(budget, "MAX_REQUESTS", 1_000)  # the forecast serves ~630k requests
    st.cache_data.clear()  # another test may have compared the preset already
    at = hosting_page()
    assert "over the run budget" in at.error[0].value and not at.dataframe
    at.toggle(key="force").set_value(True).run()
    assert not at.exception and not at.error
    assert list(at.dataframe[0].value.index) == OPTIONS


# ---------------------------------------------------------------- charts on hand-made rows


def rows(costs: list[float]) -> pd.DataFrame:
    kinds = ["realtime", "realtime", "async", "batch_transform"]
    return pd.DataFrame({"hosting": kinds, "cost_per_day_usd": costs,
                         "completion_s": [7200.0, 7200.0, 7300.0, 900.0],
                         "requests": [1000] * 4, "failed": [0, 0, 3, 0],
                         "latency_p99_ms": [7.3, 7.3, 1.2e5, None],
                         "instance_hours": [24.0, 2.2, 2.0, 0.4]},
                        index=pd.Index(OPTIONS, name="option"))  # fmt: skip


def test_the_cost_axis_is_log_only_beyond_ten_times():
    assert charts.cost_bars(rows([2.0, 1.0, 0.5, 0.25]), 24).layout.yaxis.type == "linear"
    assert charts.cost_bars(rows([2.76, 0.25, 0.24, 0.05]), 24).layout.yaxis.type == "log"
    assert charts.cost_bars(rows([2.76, 0.25, 0.0, 0.05]), 24).layout.yaxis.type == "linear"
    fig = charts.completion_bars(rows([1.0] * 4), window_s=7200.0)
    assert list(fig.data[0].y) == pytest.approx([120.0, 120.0, 7300 / 60, 15.0])
    assert [s.y0 for s in fig.layout.shapes] == [120.0]  # the window's end


def test_table_cells_read_in_dollars_minutes_and_na():
    table = charts.hosting_table(rows([2.76, 0.254, 0.2377, 0.0000123]), 24)
    assert table["cost per 24 h (USD)"].to_list() == ["$2.76", "$0.254", "$0.238", "$0.0000123"]
    assert table["completion (min)"].to_list() == ["120", "120", "122", "15"]
    assert table["p99 latency (ms)"].to_list() == ["7.3", "7.3", "120,000", "n/a"]


def test_cumulative_records_reach_each_periods_total_at_its_end_and_stop_at_the_job():
    metrics = pd.DataFrame({"time_s": [0.0, 60.0, 120.0], "records_completed": [0, 10, 5]})
    done = charts.cumulative_records(metrics, completion_s=150.0)
    assert done["time_s"].to_list() == [0.0, 60.0, 120.0, 150.0]
    assert done["records"].to_list() == [0, 0, 10, 15]


# ---------------------------------------------------------------- the run page's security posture


def test_the_run_page_lists_every_practice_of_a_scenario_with_a_security_section():
    at = page("run", timeout=120)
    assert "Security posture" not in [e.label for e in at.expander]  # the preset has none
    data = ds.load_scenario(SCENARIOS / "canary-fraud-flagger.yaml").to_dict()
    data["security"] = {}
    at.text_area(key="run-paste").input(yaml.safe_dump(data, sort_keys=False)).run()
    assert not at.exception and not at.error
    assert "Security posture" in [e.label for e in at.expander]
    spec = security.SecuritySpec()
    expected = security.findings(spec)
    table = at.dataframe[1].value
    assert len(table) == len(security.PRACTICES) == len(expected) == 10
    assert list(table.columns) == ["status", "severity", "practice", "field", "what to change"]
    assert table["status"].to_list() == ["finding"] * 10  # the default posture misses them all
    assert table["field"].to_list() == [f"security.{f.field}" for f in expected]
    assert table["severity"].to_list() == [f.severity for f in expected]
    assert table["what to change"].to_list() == [f.message for f in expected]
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Posture cost (USD per hour)"]) == security.posture_cost_per_hour(spec)
    assert float(metrics["Extra latency per request (ms)"]) == pytest.approx(
        1e3 * security.extra_latency_s(spec)
    )
    run = ds.simulate(ds.load_scenario(data), seed=1).summary
    assert run["security_findings"] == 10
    assert float(metrics["Posture cost, this run (USD)"]) == pytest.approx(
        run["security_cost_usd"], abs=1e-3
    )


def test_security_rows_say_what_is_met_and_the_posture_costs_its_endpoint():
    spec = security.SecuritySpec.model_validate({
        "runtime_endpoint": "privatelink", "execution_role": "least_privilege",
        "vpc": {"subnets": 2, "security_groups": ["sg-model"]},
    })  # fmt: skip
    table = run_charts.security_table(security.findings(spec))
    met = table[table["status"] == "ok"]
    assert met["field"].to_list() == [
        "security.vpc.subnets",
        "security.vpc.security_groups",
        "security.runtime_endpoint",
        "security.execution_role",
    ]
    assert met["what to change"].str.startswith("nothing: ").all()
    figures = run_charts.security_figures(spec, 0.5)
    hourly = security.posture_cost_per_hour(spec)
    assert hourly > 0 and float(figures["Posture cost (USD per hour)"]) == pytest.approx(
        hourly, rel=5e-3
    )
    assert figures["Extra latency per request (ms)"] == "0"  # PrivateLink adds none
    assert "e-" not in "".join(figures.values()) and not math.isnan(hourly)


@pytest.mark.parametrize("name, chart_keys", [
    ("hosting-forecast-batch-transform", {"hosting-over-time"}),
    ("hosting-forecast-async", {"hosting-over-time"}),
])  # fmt: skip
def test_the_run_page_draws_a_job_or_an_async_endpoint_as_the_hosting_page_does(name, chart_keys):
    at = page("run", timeout=180)
    data = ds.load_scenario(SCENARIOS / f"{name}.yaml").to_dict()
    data["traffic"]["path"] = str(SCENARIOS / data["traffic"]["path"])
    at.text_area(key="run-paste").input(yaml.safe_dump(data, sort_keys=False)).run()
    assert not at.exception and not at.error
    assert "plays no release" in at.info[0].value
    summary = ds.simulate(data, seed=1).summary
    shown = {m.label: m.value for m in at.metric}
    assert shown["Cost (USD)"] == charts.money(summary["cost_usd"]).removeprefix("$")
    drawn = {key for key in chart_keys for c in at.get("plotly_chart") if key in c.proto.id}
    assert drawn == chart_keys
    assert list(at.dataframe[0].value["kind"]) == list(ds.simulate(data, seed=1).events["kind"])
