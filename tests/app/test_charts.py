"""The chart layer (app/charts/, a module per page): figures against the frames they came from.

Every expected value is recomputed here from the Result or table independently of the chart
code (groupby/pivot on the metrics frame, filters on the events frame). Runs are short:
1 h simulated at 50 req/s (about 0.3 s each), replications serial (`workers=1`).
"""

import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import simulator as ds
from app.charts import catalog, common, compare, learn, run
from simulator import catalog as cat
from simulator.analysis import experiments as ex
from simulator.analysis import questions
from simulator.validation import cases as validation
from tests import builders

PRICE = cat.target_info("ml.c5.xlarge")["price_per_hour"]
PERIOD = builders.PERIOD
SLO_MS = 1000.0


@pytest.fixture(scope="module")
def canary():
    # 5% errors: the Flagger gate fails the first check of the 10% step and rolls back.
    return ds.simulate(builders.release("canary", {"error_rate": 0.05}), seed=1)


@pytest.fixture(scope="module")
def blue_green():
    return ds.simulate(builders.release("blue_green"), seed=1)


@pytest.fixture(scope="module")
def shadow():
    return ds.simulate(builders.release({"type": "shadow", "duration": 600, "bake": 300}), seed=1)


@pytest.fixture(scope="module")
def parallel():
    return ds.simulate(builders.release({"type": "parallel", "divergence": 0.01}), seed=1)


@pytest.fixture(scope="module")
def kayenta():
    return ds.simulate(builders.release({"type": "canary", "gate": {"type": "kayenta"}}), seed=1)


@pytest.fixture(scope="module")
def failures():
    # An alarm that goes to ALARM (and back to OK: once v2 is rolled back it has no data,
    # not breaching), a zone outage and the instance failures it causes: every kind of
    # marker, and kinds that must not be marked.
    sc = builders.release({"type": "canary", "gate": {"type": "alarms"}}, {"error_rate": 0.05})
    sc["monitoring"]["alarms"] = [
        {"name": "errs", "metric": "error_rate", "threshold": "1%", "version": "v2",
         "treat_missing_data": "notBreaching"}
    ]  # fmt: skip
    sc["failures"] = {"zone_outages": [{"at": 1200, "duration": 300, "fraction": 0.5}]}
    return ds.simulate(sc, seed=1)


def traces(fig, **match):
    return [t for t in fig.data if all(getattr(t, k) == v for k, v in match.items())]


def by_name(fig, name):
    (trace,) = traces(fig, name=name)
    return trace


def column(metrics, version, col):
    rows = metrics[metrics["version"] == version].sort_values("time_s")
    return rows["time_s"].to_numpy(), rows[col].to_numpy(dtype=float)


def user_shares(metrics):
    """Invocations / user invocations per period, computed without the chart code."""
    counts = metrics.groupby(["time_s", "version"])["Invocations"].sum().unstack(fill_value=0)
    users = counts[[v for v in counts.columns if not v.endswith(("-shadow", "-parallel"))]]
    total = users.sum(axis=1)
    return counts, total


def assert_titled(fig):
    assert fig.layout.title.text
    assert "(" in fig.layout.xaxis.title.text and "(" in fig.layout.yaxis.title.text


# ---------------------------------------------------------------- colours


def test_version_color_is_per_version_and_copies_share_their_models_colour():
    versions, copies = ["v1", "v2", "v2-shadow", "v1-baseline"], {"v2-shadow"}
    c = {v: common.version_color(v, versions, copies) for v in versions}
    assert c["v1"] != c["v2"] != c["v1-baseline"] != c["v1"]
    assert c["v2-shadow"] == c["v2"]
    # the same list gives the same colours wherever it is asked
    assert common.version_color("v2", list(versions), set(copies)) == c["v2"]
    with pytest.raises(ValueError, match="v3"):
        common.version_color("v3", versions, copies)


def test_a_copy_is_told_by_data_not_by_its_label():
    # without being marked a copy, "v2-shadow" is a version with a colour of its own
    versions = ["v1", "v2", "v2-shadow"]
    assert common.version_color("v2-shadow", versions) == common.PALETTE[2]
    # any label marked a copy takes the colour of the longest label it extends
    versions = ["v1", "v2", "v2-b", "v2-b-mirror"]
    c = {v: common.version_color(v, versions, {"v2-b-mirror"}) for v in versions}
    assert c["v2-b-mirror"] == c["v2-b"] == common.PALETTE[2] != c["v2"]
    # a copy whose model served no user (rolled back unseen) keeps its model's place
    assert common.version_color("v2-shadow", ["v1", "v2-shadow"], {"v2-shadow"}) == (
        common.PALETTE[1]
    )


def test_a_version_has_the_same_colour_on_every_run_chart(canary):
    m, ev = canary.metrics, canary.events
    figs = [
        run.traffic_share(m),
        run.latency(m, SLO_MS, ev),
        run.errors(m, ev),
        run.capacity_cost(m, ev),
    ]
    for v in ("v1", "v2"):
        want = common.version_color(v, ["v1", "v2"])
        seen = {
            t.line.color for f in figs for t in f.data if t.name.split(" ")[0] == v
        }  # "v2", "v2 p99", "v2 instances"
        assert seen == {want}, (v, seen)


# ---------------------------------------------------------------- traffic share


def test_traffic_share_stacks_invocation_shares_that_sum_to_one(canary):
    m = canary.metrics
    fig = run.traffic_share(m)
    assert_titled(fig)
    counts, total = user_shares(m)
    stacked = traces(fig, stackgroup="users")
    assert sorted(t.name for t in stacked) == ["v1", "v2"]
    stack_sum = np.zeros(len(total))
    for t in stacked:
        np.testing.assert_array_equal(t.x, total.index.to_numpy())
        np.testing.assert_allclose(t.y, (counts[t.name] / total).to_numpy(), rtol=1e-12)
        stack_sum += t.y
    np.testing.assert_allclose(stack_sum[total.to_numpy() > 0], 1.0, rtol=1e-12)
    # v2 got traffic only after its weight was set (UpdateEndpointWeightsAndCapacities)
    weights_at = canary.events.query("kind == 'UpdateEndpointWeightsAndCapacities'")["time"].min()
    v2 = by_name(fig, "v2")
    before = v2.x + PERIOD <= weights_at
    assert before.any() and (v2.y[before] == 0).all()
    assert v2.y[v2.x == weights_at][0] > 0


def test_traffic_share_shows_zero_in_a_period_without_traffic(blue_green):
    m = blue_green.metrics.copy()
    quiet = m["time_s"] == 600.0
    m.loc[quiet, "Invocations"] = 0.0
    fig = run.traffic_share(m)
    for t in traces(fig, stackgroup="users"):
        assert t.y[t.x == 600.0][0] == 0
        assert not np.isnan(t.y).any()
    # and the other periods still sum to 1
    total = sum(t.y for t in traces(fig, stackgroup="users"))
    np.testing.assert_allclose(total[fig.data[0].x != 600.0], 1.0, rtol=1e-12)


def test_shadow_copies_are_dashed_lines_outside_the_stack(shadow):
    m = shadow.metrics
    fig = run.traffic_share(m)
    copy = by_name(fig, "v2-shadow")
    assert copy.stackgroup is None and copy.line.dash == "dash"
    assert copy.line.color == common.version_color("v2", ["v1", "v2"])
    counts, total = user_shares(m)
    np.testing.assert_allclose(copy.y, (counts["v2-shadow"] / total).to_numpy(), rtol=1e-12)
    # sampling 100%: while mirroring, about one copy per user request (copies still in
    # flight at a period boundary move a few between periods: 5% of ~3000 is ample)
    mirrored = copy.y > 0
    assert mirrored.sum() >= 600 / PERIOD - 2
    np.testing.assert_allclose(copy.y[mirrored][1:-1], 1.0, atol=0.05)
    # the copies do not dilute the users' shares
    stack = sum(t.y for t in traces(fig, stackgroup="users"))
    np.testing.assert_allclose(stack, 1.0, rtol=1e-12)


@pytest.mark.parametrize(
    "run_name, copy",
    [("shadow", "v2-shadow"), ("parallel", "v2-parallel"), ("kayenta", None), ("canary", None)],
)
def test_the_metrics_mark_exactly_the_mirrored_copies_rows(request, run_name, copy):
    m = request.getfixturevalue(run_name).metrics
    assert m.columns[-1] == "copy" and m["copy"].dtype == bool
    assert m["copy"].equals(m["version"] == copy)
    assert m["copy"].any() == (copy is not None)


def test_parallel_copies_are_dashed_in_their_models_colour_on_every_run_chart(parallel):
    m, ev = parallel.metrics, parallel.events
    assert set(m["version"]) == {"v1", "v2", "v2-parallel"}
    colour = common.version_color("v2", ["v1", "v2"])
    share = run.traffic_share(m)
    twin = by_name(share, "v2-parallel")
    assert twin.stackgroup is None and twin.line.dash == "dash" and twin.line.color == colour
    counts, total = user_shares(m)
    np.testing.assert_allclose(twin.y, (counts["v2-parallel"] / total).to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(sum(t.y for t in traces(share, stackgroup="users")), 1.0)
    dashes = {}
    for fig in (run.latency(m, SLO_MS, ev), run.errors(m, ev), run.capacity_cost(m, ev)):
        for t in fig.data:
            if t.name.startswith("v2-parallel"):
                assert t.line.color == colour
                dashes[t.name] = t.line.dash
    assert dashes == {
        "v2-parallel p50": "dashdot", "v2-parallel p95": "dashdot",
        "v2-parallel p99": "dashdot", "v2-parallel": "dash", "v2-parallel instances": "dash",
    }  # fmt: skip


def test_run_charts_follow_the_copy_column_not_the_label(shadow):
    m = shadow.metrics
    renamed = m.assign(version=m["version"].replace({"v2-shadow": "v2-mirror"}))
    for chart in (run.traffic_share, run.latency, run.errors, run.capacity_cost):
        want, got = chart(m), chart(renamed)
        assert [t.name.replace("v2-shadow", "v2-mirror") for t in want.data] == [
            t.name for t in got.data
        ]
        for a, b in zip(want.data, got.data, strict=True):
            assert a.line.to_plotly_json() == b.line.to_plotly_json()
            assert a.stackgroup == b.stackgroup
            np.testing.assert_array_equal(a.y, b.y)


def test_a_run_stored_before_the_copy_column_shows_no_copies(shadow):
    old = shadow.metrics.drop(columns=["copy"])  # as the run store gives back an old run
    share = run.traffic_share(old)
    assert by_name(share, "v2-shadow").stackgroup == "users"
    assert by_name(share, "v2-shadow").line.color == common.PALETTE[2]
    dashes = {
        t.name: t.line.dash
        for chart in (run.latency, run.errors, run.capacity_cost)
        for t in chart(old).data
        if t.name.startswith("v2-shadow")
    }
    # a version's styles, not a copy's
    assert dashes == {
        "v2-shadow p50": "dot", "v2-shadow p95": "dash", "v2-shadow p99": "solid",
        "v2-shadow": "solid", "v2-shadow instances": "solid",
    }  # fmt: skip


def test_a_kayenta_baseline_serves_users_so_it_is_stacked(kayenta):
    m = kayenta.metrics
    assert "v1-baseline" in set(m["version"])
    fig = run.traffic_share(m)
    baseline = by_name(fig, "v1-baseline")
    assert baseline.stackgroup == "users" and baseline.line.dash is None
    # The baseline answers users: while the weights were "v2=0.5, v1=0, v1-baseline=0.5"
    # it carried half of the user traffic. Seed 1; each period has ~3000 requests, so a share's sd
    # is about sqrt(0.25 / 3000) = 0.009; the tolerance 0.05 is over 5 sd.
    ev = kayenta.events.query("kind == 'UpdateEndpointWeightsAndCapacities'").reset_index()
    steps = [json.loads(w) for w in ev["weights"]]
    step = max(range(len(steps) - 1), key=lambda k: float(steps[k].get("v1-baseline", 0)))
    weights = steps[step]
    assert float(weights["v1-baseline"]) > 0 and float(weights["v1"]) == 0
    start, end = ev.loc[step, "time"], ev.loc[step + 1, "time"]
    inside = (baseline.x >= start) & (baseline.x + PERIOD <= end)
    assert inside.sum() >= 5
    np.testing.assert_allclose(baseline.y[inside], float(weights["v1-baseline"]), atol=0.05)
    np.testing.assert_allclose(by_name(fig, "v2").y[inside], float(weights["v2"]), atol=0.05)
    stack = sum(t.y for t in traces(fig, stackgroup="users"))
    np.testing.assert_allclose(stack, 1.0, rtol=1e-12)


# ---------------------------------------------------------------- latency, errors, markers


def test_latency_traces_are_the_metrics_columns_with_the_slo_line(canary):
    m, ev = canary.metrics, canary.events
    fig = run.latency(m, SLO_MS, ev)
    assert_titled(fig)
    assert "ms" in fig.layout.yaxis.title.text
    for v in ("v1", "v2"):
        for p in ("p50", "p95", "p99"):
            x, y = column(m, v, f"latency_{p}_ms")
            t = by_name(fig, f"{v} {p}")
            np.testing.assert_array_equal(t.x, x)
            np.testing.assert_array_equal(t.y, y)  # NaN where v2 had no traffic
    (slo,) = [s for s in fig.layout.shapes if s.name == "slo"]
    assert slo.y0 == slo.y1 == SLO_MS and slo.yref == "y"
    # the SLO is within four times the highest percentile: a line, inside the range
    highest = np.nanmax(np.concatenate([t.y for t in fig.data if t.legendgroup != "events"]))
    assert SLO_MS <= 4 * highest
    assert fig.layout.yaxis.range[0] == 0 and fig.layout.yaxis.range[1] >= SLO_MS


def test_latency_far_below_the_slo_fits_the_data_and_notes_the_slo(canary):
    m = canary.metrics
    v1 = m[m["version"] == "v1"]
    highest = float(np.nanmax(v1[["latency_p50_ms", "latency_p95_ms", "latency_p99_ms"]]))
    slo = 50 * highest  # as 2-3 ms against a 100 ms SLO
    fig = run.latency(m, slo)
    top = float(np.nanmax(np.concatenate([t.y for t in fig.data])))
    assert fig.layout.yaxis.range[0] == 0
    assert top <= fig.layout.yaxis.range[1] <= 1.2 * top  # the percentiles fill the chart
    assert not [s for s in fig.layout.shapes if s.name == "slo"]
    (note,) = [a for a in fig.layout.annotations if a.name == "slo"]
    assert note.yref == "paper" and "SLO" in note.text and "above" in note.text
    # p50 and p99 apart by more than a tenth of the height (they were one flat line)
    p50, p99 = by_name(fig, "v1 p50").y, by_name(fig, "v1 p99").y
    assert np.nanmean(p99 - p50) > 0.1 * fig.layout.yaxis.range[1]


def test_latency_without_slo_or_events_has_no_shapes(canary):
    fig = run.latency(canary.metrics)
    assert len(fig.layout.shapes) == 0
    assert len(fig.data) == 6  # 2 versions x 3 percentiles


def test_errors_are_the_error_rate_in_percent(canary):
    m = canary.metrics
    fig = run.errors(m, canary.events)
    assert_titled(fig)
    assert "%" in fig.layout.yaxis.title.text
    for v in ("v1", "v2"):
        x, y = column(m, v, "error_rate")
        t = by_name(fig, v)
        np.testing.assert_array_equal(t.x, x)
        np.testing.assert_allclose(t.y, 100 * y, rtol=1e-12)
    # the defect (5% errors) shows on v2 during the canary step
    assert np.nanmax(by_name(fig, "v2").y) > 1


def event_traces(fig):
    return [t for t in fig.data if t.legendgroup == "events"]


def test_time_charts_mark_the_rollback_at_its_event_time(canary):
    ev = canary.events
    (trigger,) = ev.loc[ev["kind"] == "RollbackTriggered", ["time", "detail"]].itertuples(
        index=False
    )
    markers = run.event_markers(ev)
    assert [mk["time"] for mk in markers if mk["kind"] == "RollbackTriggered"] == [trigger.time]
    for fig in (
        run.latency(canary.metrics, SLO_MS, ev),
        run.errors(canary.metrics, ev),
        run.capacity_cost(canary.metrics, ev),
    ):
        marked = event_traces(fig)
        # every marked instant is a vertical line on the hidden 0-1 axis, no shapes
        assert not [s for s in fig.layout.shapes if (s.name or "").startswith("event")]
        times = {x for t in marked for x in t.x if x is not None}
        assert times == {mk["time"] for mk in markers}
        (line,) = [t for t in marked if t.meta["event_kind"] == "RollbackTriggered"]
        assert line.name == "rollback triggered" and line.yaxis == "y9"
        assert list(line.x) == [trigger.time, trigger.time, None]
        assert list(line.y) == [0.0, 1.0, None]
        assert trigger.detail in line.hovertext[1] and "RollbackTriggered" in line.hovertext[1]
        axis = fig.layout.yaxis9
        assert axis.overlaying == "y" and tuple(axis.range) == (0, 1) and axis.visible is False


def test_event_markers_are_one_named_legend_entry_per_kind_with_one_style(failures):
    ev = failures.events
    markers = run.event_markers(ev)
    fig = run.errors(failures.metrics, ev)
    marked = event_traces(fig)
    kinds = [t.meta["event_kind"] for t in marked]
    assert sorted(kinds) == sorted({mk["kind"] for mk in markers})  # one trace per kind
    assert len({t.name for t in marked}) == len(marked) and all(t.name for t in marked)
    for t in marked:
        kind = t.meta["event_kind"]
        count = sum(mk["kind"] == kind for mk in markers)
        assert t.name.endswith(f"({count})") == (count > 1)
        assert len(t.x) == 3 * count  # a line per event: bottom, top, gap
        assert t.mode == "lines+markers" and t.showlegend is not False
        # the marker sits on top of each line, sized 0 at the bottom
        assert list(t.marker.size) == [0, 10, 0] * count
    # one style per kind, and no two kinds share one
    styles = [(t.line.color, t.line.dash, t.marker.symbol) for t in marked]
    assert len(set(styles)) == len(styles)
    failures_trace = [t for t in marked if t.meta["event_kind"] == "InstanceFailure"]
    assert failures_trace and failures_trace[0].name.startswith("instance failure")


def test_event_markers_keep_key_events_and_alarms_entering_alarm(failures):
    ev = failures.events
    kinds = set(ev["kind"])
    # the run has every kind the filter must decide on
    assert {"AlarmStateChange", "ZoneOutage", "InstanceFailure", "ZoneRecovered"} <= kinds
    assert (ev["state"] == "OK").any()
    marked = {
        "UpdateEndpoint", "UpdateEndpointWeightsAndCapacities", "RollbackTriggered",
        "RollbackComplete", "UpdateComplete", "ZoneOutage", "InstanceFailure",
    }  # fmt: skip
    keep = ev["kind"].isin(marked) | (
        (ev["kind"] == "AlarmStateChange") & (ev["state"] == "ALARM")
    )
    want = ev[keep]
    got = run.event_markers(ev)
    assert [(mk["time"], mk["kind"]) for mk in got] == list(
        zip(want["time"], want["kind"], strict=True)
    )
    for mk, detail in zip(got, want["detail"], strict=True):
        assert mk["kind"] in mk["label"] and detail in mk["label"]
    assert run.event_markers(None) == [] and run.event_markers(ev.iloc[:0]) == []


# ---------------------------------------------------------------- capacity and cost


def test_capacity_cost_cumulative_cost_ends_at_the_runs_cost(blue_green):
    m, s = blue_green.metrics, blue_green.summary
    fig = run.capacity_cost(m, blue_green.events)
    assert fig.layout.title.text and "$" not in fig.layout.xaxis.title.text
    assert "USD" in fig.layout.yaxis2.title.text
    cost = by_name(fig, "cumulative cost")
    assert cost.yaxis == "y2"
    assert cost.y[0] == 0 and cost.x[0] == 0
    assert cost.y[-1] == pytest.approx(s["cost_usd"], rel=1e-9)
    assert (np.diff(cost.y) >= 0).all()
    # the first period's cost is reached at its end: 4 v1 instances for one period
    assert cost.x[1] == PERIOD
    assert cost.y[1] == pytest.approx(4 * PRICE * PERIOD / 3600, rel=1e-9)
    per_period = m.groupby("time_s")["cost_usd"].sum().cumsum()
    np.testing.assert_allclose(cost.y[1:], per_period.to_numpy(), rtol=1e-12)
    for v in ("v1", "v2"):
        x, y = column(m, v, "instances")
        t = by_name(fig, f"{v} instances")
        assert t.yaxis == "y"
        np.testing.assert_array_equal(t.x, x)
        np.testing.assert_array_equal(t.y, y)


# ---------------------------------------------------------------- timeline


def test_timeline_has_one_point_per_event_with_its_detail(failures):
    ev = failures.events
    fig = run.timeline(ev)
    assert fig.layout.title.text and "(s)" in fig.layout.xaxis.title.text
    points = [(x, y, d) for t in fig.data for x, y, d in zip(t.x, t.y, t.text, strict=True)]
    assert sorted(points) == sorted(zip(ev["time"], ev["kind"], ev["detail"], strict=True))
    assert len({t.name for t in fig.data}) == ev["kind"].nunique() == len(fig.data)
    assert all("%{text}" in t.hovertemplate for t in fig.data)
    assert run.timeline(ev.iloc[:0]).data == ()


# ---------------------------------------------------------------- experiment tables


@pytest.fixture(scope="module")
def comparison():
    sc = builders.release("canary", {"error_rate": 0.02}, duration=1800)
    return ex.compare(sc, ["canary", "blue_green"], replications=3, workers=1)


def test_risk_cost_markers_sit_at_the_means_with_the_intervals(comparison):
    table = comparison
    fig = compare.risk_cost(table)
    assert_titled(fig)
    assert [t.name for t in fig.data] == list(table.index)
    for name, row in table.iterrows():
        t = by_name(fig, name)
        assert t.x == (row["cost_usd_mean"],) and t.y == (row["blast_radius_mean"],)
        assert t.text == (name,)
        assert t.error_x.array[0] == pytest.approx(row["cost_usd_ci_high"] - row["cost_usd_mean"])
        assert t.error_x.arrayminus[0] == pytest.approx(
            row["cost_usd_mean"] - row["cost_usd_ci_low"]
        )
        assert t.error_y.array[0] == pytest.approx(
            row["blast_radius_ci_high"] - row["blast_radius_mean"]
        )
        assert t.error_y.arrayminus[0] == pytest.approx(
            row["blast_radius_mean"] - row["blast_radius_ci_low"]
        )
        assert t.error_x.visible and t.error_y.visible
    # the canary caught the defect on a slice of traffic: less blast radius than blue/green
    assert by_name(fig, "canary").y[0] < by_name(fig, "blue_green").y[0]


def test_risk_cost_draws_no_bar_for_an_unknown_interval(comparison):
    table = comparison.copy()
    table.loc["canary", "blast_radius_ci_low"] = math.nan
    table.loc["canary", "blast_radius_ci_high"] = math.nan
    fig = compare.risk_cost(table)
    canary = by_name(fig, "canary")
    assert canary.error_y.visible is False and canary.error_x.visible is True
    assert by_name(fig, "blue_green").error_y.visible is True


def test_risk_cost_has_a_log_blast_radius_axis_and_a_cost_axis_from_zero(comparison):
    fig = compare.risk_cost(comparison)
    y, x = fig.layout.yaxis, fig.layout.xaxis
    assert y.type == "log" and "log" in y.title.text
    radii = comparison["blast_radius_mean"]
    assert 10 ** y.range[0] <= radii.min() and radii.max() <= 10 ** y.range[1]
    assert_one_two_five(y)
    assert x.range[0] == 0 and x.range[1] >= comparison["cost_usd_ci_high"].max()
    assert x.tickprefix == "$" and "from $0" in x.title.text
    # the hover gives each strategy's difference from the cheapest
    cheapest = comparison["cost_usd_mean"].idxmin()
    assert "the cheapest" in by_name(fig, cheapest).hovertext[0]
    for name in comparison.index.drop(cheapest):
        assert "against the cheapest" in by_name(fig, name).hovertext[0]


def test_risk_cost_spanning_orders_of_magnitude_keeps_both_apart(comparison):
    # the case: canary 34, blue/green 165, big bang 17,036 requests; $2.06-2.16
    table = comparison.iloc[:1].copy()
    table = pd.concat([table] * 3)
    table.index = ["canary", "blue_green", "big_bang"]
    table["blast_radius_mean"] = [34.0, 165.0, 17036.0]
    table["blast_radius_ci_low"], table["blast_radius_ci_high"] = 0.9 * table[
        "blast_radius_mean"], 1.1 * table["blast_radius_mean"]  # fmt: skip
    table["cost_usd_mean"] = [2.06, 2.16, 2.10]
    table["cost_usd_ci_low"], table["cost_usd_ci_high"] = table["cost_usd_mean"] - 0.01, table[
        "cost_usd_mean"] + 0.01  # fmt: skip
    fig = compare.risk_cost(table)
    low, high = fig.layout.yaxis.range
    heights = {t.name: (np.log10(t.y[0]) - low) / (high - low) for t in fig.data}
    assert heights["blue_green"] - heights["canary"] > 0.15  # apart, not both on the floor
    assert heights["big_bang"] > 0.8
    assert fig.layout.xaxis.range[0] == 0
    assert "+$0.10" in by_name(fig, "blue_green").hovertext[0]


def test_risk_cost_draws_a_strategy_that_hurt_nobody_on_a_zero_tick(comparison):
    table = comparison.copy()
    table.loc["canary", ["blast_radius_mean", "blast_radius_ci_low", "blast_radius_ci_high"]] = 0
    fig = compare.risk_cost(table)
    y = fig.layout.yaxis
    assert y.type == "log" and y.ticktext[0] == "0"
    canary = by_name(fig, "canary")
    assert canary.y[0] == y.tickvals[0] and canary.marker.symbol == "circle-open"
    assert canary.y[0] < by_name(fig, "blue_green").y[0]
    assert 10 ** y.range[0] < canary.y[0]
    # nobody hurt at all: a linear axis from zero
    table["blast_radius_mean"] = 0.0
    fig = compare.risk_cost(table)
    assert fig.layout.yaxis.type != "log" and fig.layout.yaxis.rangemode == "tozero"


def assert_one_two_five(axis):
    """Ticks on 1-2-5 in each decade, each written out as a person writes it."""
    assert axis.tickvals and len(axis.tickvals) == len(axis.ticktext) >= 2
    for value, text in zip(axis.tickvals, axis.ticktext, strict=True):
        mantissa = value / 10 ** math.floor(math.log10(value) + 1e-9)
        assert round(mantissa, 6) in (1, 2, 5), value
        number = float(text.lstrip("$").replace(",", ""))
        assert number == pytest.approx(value) and "e" not in text.lower()
    assert list(axis.tickvals) == sorted(axis.tickvals)


@pytest.fixture(scope="module")
def catalog_table():
    return cat.catalog_table()


def test_catalog_has_one_point_per_row_coloured_by_family(catalog_table):
    table = catalog_table
    fig = catalog.catalog(table)
    assert_titled(fig)
    assert sum(len(t.x) for t in fig.data) == len(table)
    colours = {}
    for t in fig.data:
        family, model = t.name.split(" · ")
        rows = table[(table["family"] == family) & (table["model"] == model)]
        np.testing.assert_array_equal(t.x, rows["cost_per_million_usd"].to_numpy())
        np.testing.assert_array_equal(t.y, rows["p50_ms"].to_numpy())
        for hover, target, sources in zip(
            t.hovertext, rows["target"], rows["sources"], strict=True
        ):
            assert target in hover
            assert all(part in hover for part in sources.split(" | "))
        colours.setdefault(family, set()).add(t.marker.color)
    assert all(len(c) == 1 for c in colours.values())
    assert len(set().union(*colours.values())) == table["family"].nunique()
    symbols = {t.name.split(" · ")[1]: t.marker.symbol for t in fig.data}
    assert len(set(symbols.values())) == table["model"].nunique()


def test_catalog_log_axes_have_readable_one_two_five_ticks(catalog_table):
    fig = catalog.catalog(catalog_table)
    for axis, values in (
        (fig.layout.xaxis, catalog_table["cost_per_million_usd"]),
        (fig.layout.yaxis, catalog_table["p50_ms"]),
    ):
        assert axis.type == "log" and "log scale" in axis.title.text
        assert_one_two_five(axis)
        assert 10 ** axis.range[0] <= values.min() and values.max() <= 10 ** axis.range[1]
        ticks = np.array(axis.tickvals)
        assert ((ticks >= 10 ** axis.range[0]) & (ticks <= 10 ** axis.range[1])).all()
    assert all(t.startswith("$") for t in fig.layout.xaxis.ticktext)
    assert "0.05" in [t.lstrip("$") for t in fig.layout.xaxis.ticktext]  # not "5"


def test_catalog_falls_back_to_price_per_hour_and_can_show_p99(catalog_table):
    table = catalog_table.drop(columns=["cost_per_million_usd"])
    fig = catalog.catalog(table, latency="p99")
    xs = np.concatenate([t.x for t in fig.data])
    ys = np.concatenate([t.y for t in fig.data])
    assert sorted(xs) == sorted(table["price_per_hour"])
    assert sorted(ys) == sorted(table["p99_ms"])
    assert "hour" in fig.layout.xaxis.title.text
    empty = catalog.catalog(catalog_table.iloc[:0])
    assert empty.data == ()


@pytest.fixture(scope="module")
def validation_rows():
    picked = [c for c in validation.cases(scale=0.01) if c.name.startswith("M/M/1 rho=0.")][:2]
    return pd.DataFrame([validation.run_case(c, replications=2, seed=0) for c in picked])


def test_theory_check_on_validate_output_is_simulated_over_theory(validation_rows):
    table = validation_rows
    fig = learn.theory_check(table)
    assert_titled(fig)
    theory, sim = by_name(fig, "theory"), by_name(fig, "simulated")
    assert list(sim.x) == list(table["case"]) == list(theory.x)
    assert list(theory.y) == [1.0] * len(table)
    np.testing.assert_allclose(sim.y, table["simulated"] / table["theory"], rtol=1e-12)
    np.testing.assert_allclose(sim.error_y.array, table["ci_half_width"] / table["theory"])
    assert len(sim.marker.color) == len(table)


def test_theory_check_on_a_simple_frame_draws_the_curve_and_the_intervals(validation_rows):
    v = validation_rows
    rho = v["case"].str.extract(r"rho=([\d.]+)")[0].astype(float)
    table = pd.DataFrame({
        "x": rho, "theory": v["theory"], "simulated": v["simulated"],
        "ci_low": v["simulated"] - v["ci_half_width"],
        "ci_high": v["simulated"] + 2 * v["ci_half_width"],  # asymmetric on purpose
    }).iloc[::-1]  # fmt: skip
    fig = learn.theory_check(table, x_title="utilisation (rho)", y_title="mean wait (s)")
    assert_titled(fig)
    order = table.sort_values("x")
    theory, sim = by_name(fig, "theory"), by_name(fig, "simulated")
    np.testing.assert_array_equal(theory.x, order["x"])
    np.testing.assert_array_equal(theory.y, order["theory"])
    np.testing.assert_array_equal(sim.y, order["simulated"])
    np.testing.assert_allclose(sim.error_y.array, order["ci_high"] - order["simulated"])
    np.testing.assert_allclose(sim.error_y.arrayminus, order["simulated"] - order["ci_low"])
    with pytest.raises(ValueError, match="ci_low"):
        learn.theory_check(table.drop(columns=["ci_low"]))


@pytest.fixture(scope="module")
def power_table():
    sc = builders.release("canary", {"error_rate": 0.05}, rate=20, duration=1800)
    return questions.detection_power(
        sc, weights=[10, 50], bakes=[120, 300], replications=2, workers=1
    )


def test_detection_power_has_a_line_per_bake_with_wilson_bars(power_table):
    table = power_table
    fig = learn.detection_power(table)
    assert_titled(fig)
    assert [t.name for t in fig.data] == ["bake 120 s", "bake 300 s"]
    for t, bake in zip(fig.data, [120.0, 300.0], strict=True):
        rows = table[table["bake"] == bake].sort_values("weight")
        np.testing.assert_array_equal(t.x, rows["weight"])
        np.testing.assert_array_equal(t.y, rows["power"])
        np.testing.assert_allclose(t.error_y.array, rows["power_ci_high"] - rows["power"])
        np.testing.assert_allclose(t.error_y.arrayminus, rows["power"] - rows["power_ci_low"])
        assert ((t.y >= 0) & (t.y <= 1)).all()


def test_every_chart_is_a_figure_with_a_legend(canary, comparison):
    figs = [
        run.traffic_share(canary.metrics),
        run.latency(canary.metrics),
        run.errors(canary.metrics),
        run.capacity_cost(canary.metrics),
        run.timeline(canary.events),
        compare.risk_cost(comparison),
    ]
    for fig in figs:
        assert isinstance(fig, go.Figure) and fig.layout.showlegend is True
        assert all(t.name for t in fig.data)


def test_power_by_defect_is_power_against_defect_size_with_wilson_bars(power_table):
    # two defect sizes from the same runs' table: the chart is drawn per (weight, bake)
    table = pd.concat([power_table.assign(defect=0.05), power_table.assign(defect=0.01)])
    fig = learn.power_by_defect(table)
    assert_titled(fig)
    assert fig.layout.yaxis.tickformat == ".0%" and tuple(fig.layout.yaxis.range) == (0, 1.05)
    assert len(fig.data) == len(power_table)  # a line per (weight, bake)
    for t in fig.data:
        assert t.name.startswith("canary ") and "bake" in t.name
        np.testing.assert_allclose(t.x, [1.0, 5.0])  # percent, sorted
        assert ((np.array(t.y) >= 0) & (np.array(t.y) <= 1)).all()
        lows = np.array(t.y) - np.array(t.error_y.arrayminus)
        highs = np.array(t.y) + np.array(t.error_y.array)
        assert (lows >= -1e-12).all() and (highs <= 1 + 1e-12).all()


def test_power_table_is_written_for_a_person(power_table):
    table = power_table.assign(defect=0.05)
    shown = learn.power_table(table)
    assert list(shown.columns) == list(learn.POWER_HEADERS)
    assert not any("_" in c for c in shown.columns)  # no power_ci_low
    assert len(shown) == len(table) and shown.notna().all().all()
    cells = shown.to_numpy().ravel()
    assert all(isinstance(c, str) and c and c != "None" and "e+" not in c for c in cells)
    for (_, row), (_, raw) in zip(shown.iterrows(), table.iterrows(), strict=True):
        assert row["caught"] == f"{int(raw['detections'])} of {int(raw['replications'])}"
        assert row["detection power (95% interval)"].endswith("%)")
        assert row["defect (extra errors)"] == "5.00%"
        if raw["detections"] == 0:
            assert row["time to detect (mean ± 95%)"] == "n/a"
    assert "defect (extra errors)" not in learn.power_table(power_table).columns


def test_no_chart_draws_an_empty_trace(canary, failures, comparison, catalog_table):
    figs = [
        run.traffic_share(canary.metrics),
        run.latency(failures.metrics, SLO_MS, failures.events),
        run.errors(failures.metrics, failures.events),
        run.capacity_cost(failures.metrics, failures.events),
        run.timeline(failures.events),
        compare.risk_cost(comparison),
        catalog.catalog(catalog_table),
    ]
    for fig in figs:
        assert fig.data
        for t in fig.data:
            assert t.name and len(t.x) > 0
            values = [v for v in t.y if v is not None]
            if t.type == "scatter" and all(isinstance(v, int | float) for v in values):
                assert not np.isnan(np.array(values, dtype=float)).all(), t.name
