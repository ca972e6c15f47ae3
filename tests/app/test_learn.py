"""The Learn page: a diagram per strategy, M/M/c against Erlang C, detection power, words.

The diagrams' data are checked against the audit trail and metrics they came from
(recomputed here with json and pandas, not with the chart code); the page is opened in
AppTest and its figures read back from what it sent to the browser.
"""

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import stdtrit

import simulator as ds
from app.charts import learn as learn_charts
from app.charts import strategy
from app.pages import learn_queues, learn_strategies
from simulator.validation import theory
from tests.app import page
from tests.app.test_hosting_page import chart, decoded

STRATEGIES = list(learn_strategies.STRATEGIES)


@pytest.fixture(scope="module")
def runs():
    sc = ds.load_scenario(learn_strategies.SCENARIO)
    return {kind: ds.simulate(sc, seed=1, strategy=kind) for kind in STRATEGIES}


@pytest.fixture(scope="module")
def learn_page():
    return page("learn")


def test_every_strategy_but_none_is_explained():
    from simulator.scenario.strategies import STRATEGY_TYPES

    assert set(STRATEGIES) == set(STRATEGY_TYPES) - {"none"}


@pytest.mark.parametrize("kind", STRATEGIES)
def test_weight_shares_are_the_audit_trails_weights(runs, kind):
    ev = runs[kind].events
    updates = ev[ev["kind"] == "UpdateEndpointWeightsAndCapacities"]
    want = []
    for w in updates["weights"]:
        weights = {k: float(v) for k, v in json.loads(w).items()}
        want.append(weights.get("v2", 0.0) / sum(weights.values()))
    got = strategy.weight_shares(ev, "v2")
    np.testing.assert_allclose(got["share"], want)
    np.testing.assert_array_equal(got["time"], updates["time"])


@pytest.mark.parametrize("kind", STRATEGIES)
def test_fleets_counted_from_the_audit_trail_end_as_the_metrics_do(runs, kind):
    res = runs[kind]
    m, ev = res.metrics, res.events
    fleets = strategy.fleet_sizes(ev, m, "v2")
    assert (fleets["instances"] >= 0).all()
    last = fleets.groupby("version")["instances"].last()
    end = m[m["time_s"] == m["time_s"].max()].set_index("version")["instances"]
    for version, n in end.items():  # in service in the last minute, long after the rollout
        assert last[version] == pytest.approx(n), version
    # every launch shows as a rise of that fleet at that time
    for time, variant in ev.loc[ev["kind"] == "LaunchInstances", ["time", "variant"]].values:
        rows = fleets[(fleets["version"] == variant) & (fleets["time"] == time)]
        assert len(rows) >= 1


def test_the_page_draws_a_diagram_per_strategy(learn_page, runs):
    at = learn_page
    assert not at.exception and not at.error
    for kind in STRATEGIES:
        fig = chart(at, f"strategy-{kind}")
        traces = {t["name"]: t for t in fig["data"]}
        assert all(len(decoded(t["x"])) > 0 for t in fig["data"])
        share = decoded(traces["v2's share of requests"]["y"])
        assert all(0 <= s <= 1 for s in share)
        weights = decoded(traces["weights set (audit trail)"]["y"])
        assert all(0 <= w <= 1 for w in weights)
        assert any(name.endswith(" instances") for name in traces)
        if runs[kind].summary["outcome"] == "promoted":
            assert share[-1] == pytest.approx(1.0) and weights[-1] == pytest.approx(1.0)
    captions = [c.value for c in at.caption]
    assert sum("took all traffic" in c for c in captions) == len(STRATEGIES)


def test_the_mmc_curve_lies_within_its_intervals_of_erlang_c(learn_page):
    """Seed 1, 8 replications of 40,000 requests per point (the page's defaults: mu = 10/s,
    c = 1), utilisations 0.2 to 0.9. The page draws 95% t-intervals; Erlang C must lie
    within each widened to 99.9% (x t(0.9995)/t(0.975) = 2.29 for 7 degrees of freedom),
    so a correct simulator fails one of the five points about once in 200 seeds."""
    fig = chart(learn_page, "mmc-curve")
    sim = next(t for t in fig["data"] if t["name"] == "simulated")
    x, y = decoded(sim["x"]), decoded(sim["y"])
    up, down = decoded(sim["error_y"]["array"]), decoded(sim["error_y"]["arrayminus"])
    n = learn_queues.REPLICATIONS
    widen = stdtrit(n - 1, 0.9995) / stdtrit(n - 1, 0.975)
    assert x == list(learn_queues.UTILISATIONS)
    for rho, mean, hi, lo in zip(x, y, up, down, strict=True):
        erlang = 1e3 * theory.mmc_mean_wait(rho * 10.0, 10.0, 1)
        assert mean - widen * lo <= erlang <= mean + widen * hi, (rho, mean, erlang)
        assert hi < 0.25 * erlang  # and the intervals are narrow enough to mean something
    curve = next(t for t in fig["data"] if t["name"] == "theory")
    assert len(decoded(curve["x"])) > len(x) and fig["layout"]["xaxis"]["title"]["text"]


def test_the_detection_power_table_reads_as_words_and_numbers(learn_page):
    at = learn_page
    at.number_input(key="reps").set_value(2)
    at.button(key="power").click().run()
    assert not at.exception
    (shown,) = [d.value for d in at.dataframe if "caught" in d.value.columns]
    assert list(shown.columns) == list(learn_charts.POWER_HEADERS)
    assert not any("_" in c for c in shown.columns)
    assert shown.notna().all().all() and not (shown == "None").any().any()
    assert len(shown) == 5 and shown["caught"].str.endswith("of 2").all()
    fig = chart(at, "power_chart")
    (line,) = fig["data"]
    assert decoded(line["x"]) == pytest.approx([0.5, 1, 2, 4, 8])
    assert all(0 <= p <= 1 for p in decoded(line["y"]))


def test_the_words_link_to_the_release_process_and_hosting_pages(learn_page):
    links = {p.proto.page: p.proto for p in learn_page.get("page_link")}
    assert {"process", "hosting"} <= set(links)  # the registered pages' url paths
    assert all(link.page_script_hash for link in links.values())  # pages that exist
    tables = [d.value for d in learn_page.dataframe]
    assert any("Continuous deployment" in t.to_string() for t in tables)
    assert any("Endpoint configuration" in t.to_string() for t in tables)


def test_the_queue_metric_is_erlang_c(learn_page):
    shown = [m for m in learn_page.metric if m.label.startswith("Mean wait, theory")][0].value
    assert float(shown.split()[0].replace(",", "")) == pytest.approx(
        1e3 * theory.mmc_mean_wait(8.0, 10.0, 1), abs=0.01
    )
    assert isinstance(learn_queues.theory_curve(10.0, 1), pd.DataFrame)
