"""The Streamlit front end, driven page by page with Streamlit's own AppTest.

Every page renders without an exception; what the pages show is checked against the
simulator's public API on the same inputs, and bad input shows the field and reason.
"""

import json
from pathlib import Path

import pytest

import simulator as ds
from simulator import catalog, display
from simulator.validation import theory
from tests.app import APP, page

STATS = ("mean", "ci_low", "ci_high")


def test_compare_page_runs_a_comparison_and_matches_the_api():
    at = page()
    at.multiselect(key="compare-strategies").set_value(["big_bang", "canary"])
    at.number_input(key="compare-replications").set_value(2)
    at.number_input(key="compare-seed").set_value(3)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    risk = at.dataframe[0].value
    assert list(risk.index) == ["big_bang", "canary"]
    data = ds.load_scenario(Path(APP).parents[1] / "scenarios" / "canary-fraud-argo.yaml")
    table = ds.compare(data, ["big_bang", "canary"], replications=2, seed=3, workers=1)
    header = display.SUMMARY["blast_radius"].header
    for strategy in ("big_bang", "canary"):
        mean, low, high = (table.at[strategy, f"blast_radius_{s}"] for s in STATS)
        half = (high - low) / 2
        shown = risk.at[strategy, header]
        assert shown == display.interval(mean, half, "count")
        assert float(shown.split(" ± ")[0].replace(",", "")) == pytest.approx(mean, abs=half / 10)
    assert not at.error


def test_compare_page_shows_a_bad_scenario_as_its_fields():
    at = page()
    at.text_area(key="compare-paste").input("name: x\nduration: -5\ntraffic: {pattern: poisson}\n")
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert "duration" in message and "traffic.rate" in message
    assert "Traceback" not in message


def test_strategy_settings_and_failures_from_the_sidebar_reach_the_run():
    at = page("run")
    at.selectbox(key="run-strategy").set_value("blue_green").run()
    at.text_area(key="run-settings.blue_green").input("traffic: LINEAR\nlinear_step: 25%\n").run()
    assert not at.exception
    details = at.dataframe[0].value["detail"].tolist()
    assert "LINEAR blue/green v1 -> v2" in details
    at.text_area(key="run-settings.blue_green").input("canary_size: 90%\ntraffic: CANARY\n")
    at.run()
    assert at.error and "canary_size" in at.error[0].value
    at.text_area(key="run-settings.blue_green").input("type: canary\n").run()
    assert at.error and "another strategy" in at.error[0].value
    at.selectbox(key="run-strategy").set_value("canary").run()
    [t for t in at.toggle if t.label == "Instance crashes"][0].set_value(True).run()
    [n for n in at.number_input if n.label.startswith("Mean time between")][0].set_value(0.2)
    at.run()
    assert not at.exception
    assert "InstanceFailure" in at.dataframe[0].value["kind"].tolist()


def test_traffic_shape_is_edited_in_the_sidebar():
    at = page("run")
    shape = [t for t in at.text_area if t.label.startswith("traffic shape")][0]
    shape.input("pattern: diurnal\namplitude: 0.5\nperiod: 1h\nusers: 1000\n").run()
    assert not at.exception and not at.error
    ran = ds.load_scenario(at.code[0].value)  # the page shows the scenario it ran
    assert ran.traffic.pattern == "diurnal" and ran.traffic.amplitude == 0.5
    assert ran.traffic.rate == 120.0  # the rate box kept the preset's rate
    requests = ds.simulate(ran, seed=1).summary["requests"]
    assert f"{requests:,} requests, diurnal traffic" in [c.value for c in at.caption]
    shape = [t for t in at.text_area if t.label.startswith("traffic shape")][0]
    shape.input("pattern: diurnal\namplitude: 2\n").run()
    assert at.error and "amplitude" in at.error[0].value


def test_a_pasted_flagger_canary_is_imported_and_run():
    at = page("run")
    at.text_area(key="run-paste").input(
        "apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata: {name: m}\n"
        "spec:\n  analysis:\n    interval: 1m\n    threshold: 2\n    maxWeight: 20\n"
        "    stepWeight: 10\n"
    ).run()
    assert not at.exception and not at.error
    ran = ds.load_scenario(at.code[0].value)
    assert ran.strategy.type == "canary" and ran.strategy.gate.threshold == 2
    shown = at.dataframe[0].value["weights"].dropna()
    weights = [w for w in shown if json.loads(w).get("v2") == 0.1]
    assert weights  # the first Flagger step, 10%, was taken


def test_run_page_draws_one_run_and_its_audit_trail():
    at = page("run")
    assert len(at.get("plotly_chart")) == 5
    events = at.dataframe[0].value
    res = ds.simulate(
        ds.load_scenario(Path(APP).parents[1] / "scenarios" / "canary-fraud-argo.yaml"), seed=1
    )
    assert events["kind"].tolist() == res.events["kind"].tolist()
    outcome = [m for m in at.metric if m.label == "Outcome"][0]
    assert outcome.value == res.summary["outcome"].replace("_", " ")


def test_catalog_page_lists_every_target_and_model():
    at = page("catalog")
    table = at.dataframe[0].value
    assert len(table) == len(catalog.catalog_table())
    # the catalog scatter, and the Elastic Inference cost bars (every model is shown, so EI
    # rows are; tests/app/test_catalog_elastic.py checks that section)
    assert len(at.get("plotly_chart")) == 2


def test_learn_page_compares_a_queue_with_erlang_c():
    at = page("learn")
    at.slider(key="lam").set_value(6.0)
    at.slider(key="mu").set_value(4.0)
    at.slider(key="c").set_value(2).run()
    assert not at.exception
    shown = [m for m in at.metric if m.label.startswith("Mean wait, theory")][0].value
    assert float(shown.split()[0].replace(",", "")) == pytest.approx(
        1e3 * theory.mmc_mean_wait(6.0, 4.0, 2), abs=0.01
    )
    at.slider(key="c").set_value(1).run()  # rho = 1.5: no steady state
    assert at.warning and "grows without bound" in at.warning[0].value


def test_history_page_lists_saved_runs(tmp_path):
    at = page("history")
    assert at.info and "Nothing saved yet" in at.info[0].value
    from simulator.store.runstore import RunStore

    sc = ds.load_scenario(Path(APP).parents[1] / "scenarios" / "canary-fraud-flagger.yaml")
    run_id = RunStore().save_run(ds.simulate(sc, seed=4), sc, 4, label="from a test")
    at = page("history")
    records = at.dataframe[0].value
    assert records["id"].tolist() == [run_id] and records["label"].tolist() == ["from a test"]
    assert at.json and '"outcome"' in at.json[0].value


def test_history_page_reloads_a_run_stored_before_metrics_had_a_copy_column():
    from simulator.store.runstore import RunStore

    sc = ds.load_scenario(Path(APP).parents[1] / "scenarios" / "shadow-fraud-dnn.yaml")
    res = ds.simulate(sc, seed=2)
    assert res.metrics["copy"].any()
    res.metrics = res.metrics.drop(columns=["copy"])  # as a run saved before it existed
    run_id = RunStore().save_run(res, sc, 2, label="old")
    assert "copy" not in RunStore().load_run(run_id)[0].metrics
    at = page("history")
    assert not at.exception and not at.error
    assert at.json and '"outcome"' in at.json[0].value


# ---------------------------------------------------------------- bad input never crashes the app


def test_a_pasted_scenario_cannot_read_a_file_outside_the_trace_folders(tmp_path):
    secret = tmp_path / "credentials.csv"
    secret.write_text("aws_secret_access_key\nSECRET-not-for-the-page\n")
    at = page("run")
    at.text_area(key="run-paste").input(
        f"duration: 60\ntraffic: {{pattern: trace, path: {secret}}}\n"
    ).run()
    assert not at.exception
    message = at.error[0].value
    assert "traffic.path" in message and "outside the folders" in message
    assert "SECRET" not in message and "Traceback" not in message


def test_an_alias_bomb_and_a_duplicate_key_are_refused_in_place():
    at = page()
    lists = ["a: &a [1,1,1,1,1,1,1,1,1]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]"
        for i in range(8)
    ]
    at.text_area(key="compare-paste").input("\n".join(lists) + "\n").run()
    assert not at.exception and "expands to more than" in at.error[0].value
    at.text_area(key="compare-paste").input("duration: 60\nduration: 90\n").run()
    assert not at.exception and "duplicate key 'duration'" in at.error[0].value


def test_a_run_over_the_budget_is_refused_then_run_when_forced(monkeypatch):
    import streamlit as st

    from simulator.engine import budget

    monkeypatch.setattr(budget, "MAX_REQUESTS", 1_000)  # the preset serves ~430k requests
    st.cache_data.clear()  # another test may have run the preset already
    at = page("run")
    assert "over the run budget" in at.error[0].value and "traffic.rate" in at.error[0].value
    assert not at.get("plotly_chart")
    at.toggle(key="force").set_value(True).run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 5


def test_settings_outside_the_widgets_ranges_still_load():
    # each value lies outside the range its sidebar widget offered before (a crash then)
    at = page("run")
    at.text_area(key="run-paste").input(
        "duration: 120\ntraffic: {pattern: poisson, rate: 0.05}\n"
        "fleet: {instances: 300, service_time: {distribution: exponential, mean: 1ms}}\n"
        "release: {version: v2, defect: {error_rate: 0.5, latency_factor: 10}}\n"
        "strategy: {type: big_bang}\n"
        "failures: {instance: {mtbf: 10s, mttr: 5s}}\n"
        "slo: {latency_p99: 0.5ms, availability: 0.3}\n"
    ).run()
    assert not at.exception and not at.error
    assert [n.value for n in at.number_input if n.key.endswith("-n")] == [300]
