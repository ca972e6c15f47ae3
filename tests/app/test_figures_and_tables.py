"""How the app writes figures (issue 15, items 4 and 5): units, percentages, n/a.

"One run" heads with the time to detect and to roll back; its events read as a clock.
A comparison's tables carry units in their headers, rates as percentages, no scientific
notation, and n/a where a figure does not apply; the sidebar shows every compared
strategy's settings. Cells are checked against the simulator's own numbers.
"""

import re
from pathlib import Path

import pytest

import simulator as ds
from app import tables
from simulator import display
from tests.app import APP, page

SCENARIOS = Path(APP).parents[1] / "scenarios"
E_NOTATION = re.compile(r"\d[eE][+-]?\d")


def preset(**defect) -> dict:
    data = ds.load_scenario(SCENARIOS / "canary-fraud-argo.yaml").to_dict()
    data["release"]["defect"] |= defect
    return data


def test_one_run_heads_with_time_to_detect_and_to_roll_back():
    at = page("run")
    s = ds.simulate(preset(), seed=1).summary
    assert s["outcome"] == "rolled_back" and s["time_to_detect_s"] == 180.0
    shown = {m.label: m.value for m in at.metric}
    assert shown["Time to detect"] == "3:00 min"  # 180 s, as m:ss with its unit
    assert shown["Time to roll back"] == f"{s['time_to_rollback_s']:g} s"
    assert shown["Error budget burned (%)"] == display.percent(s["error_budget_burned"])


def test_a_promoted_release_has_no_time_to_detect_or_to_roll_back():
    at = page("run")
    at.slider(key="run-err").set_value(0.0).run()
    s = ds.simulate(preset(error_rate=0.0), seed=1).summary
    assert s["outcome"] == "promoted"
    shown = {m.label: m.value for m in at.metric}
    assert shown["Outcome"] == "promoted"
    assert shown["Time to detect"] == shown["Time to roll back"] == "n/a"


def test_the_events_time_reads_as_a_clock_with_its_unit():
    at = page("run")
    events = at.dataframe[0].value
    assert "time" not in events and events.columns[0] == "time (m:ss)"
    times = ds.simulate(preset(), seed=1).events["time"]
    for t, cell in zip(times, events["time (m:ss)"], strict=True):
        assert cell == f"{int(t // 60)}:{t % 60:04.1f}"  # 457.0103 s is 7:37.0
    assert tables.clock(457.0103) == "7:37.0" and tables.clock(3723.44) == "1:02:03.4"


@pytest.fixture(scope="module")
def comparison():
    """Big bang, canary and blue/green compared twice on the preset with no defect."""
    at = page()
    at.slider(key="compare-err").set_value(0.0).run()
    at.multiselect(key="compare-strategies").set_value(["big_bang", "canary", "blue_green"])
    at.number_input(key="compare-replications").set_value(2)
    at.number_input(key="compare-seed").set_value(5)
    at.text_area(key="compare-settings.blue_green").input("traffic: LINEAR\nlinear_step: 0.5\n")
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    specs = [{"type": "big_bang"}, preset()["strategy"],
             {"type": "blue_green", "traffic": "LINEAR", "linear_step": 0.5}]  # fmt: skip
    table = None
    for spec in specs:  # each strategy with the settings the sidebar showed for it
        one = ds.compare(preset(error_rate=0.0) | {"strategy": spec}, [spec["type"]], 2, 5,
                         workers=1)  # fmt: skip
        table = one if table is None else table.combine_first(one)
    return at, table.loc[["big_bang", "canary", "blue_green"]]


def test_the_sidebar_shows_every_compared_strategys_settings(comparison):
    at, _ = comparison
    boxes = {t.key: t.value for t in at.text_area if t.key.startswith("compare-settings.")}
    assert set(boxes) == {f"compare-settings.{k}" for k in ("big_bang", "canary", "blue_green")}
    assert "steps:" in boxes["compare-settings.canary"]  # the preset's own canary
    assert "linear_step: 0.5" in boxes["compare-settings.blue_green"]


def test_tables_have_units_percentages_no_e_notation_and_the_apis_numbers(comparison):
    at, table = comparison
    risk, perf = at.dataframe[0].value, at.dataframe[1].value
    for frame in (risk, perf):
        cells = frame.to_numpy().ravel().tolist()
        assert not [c for c in cells if E_NOTATION.search(str(c))], cells
    assert "rolled back (% of runs)" in risk and "error budget burned (%)" in risk
    assert "availability (%)" in perf and "cost ($)" in perf and "latency p99 (ms)" in perf
    for strategy in table.index:
        assert risk.at[strategy, "rolled back (% of runs)"] == "0%"  # nothing to roll back
        assert risk.at[strategy, "time to roll back"] == "n/a"
        for key, frame, header in (("availability", perf, "availability (%)"),
                                   ("error_budget_burned", risk, "error budget burned (%)"),
                                   ("cost_usd", perf, "cost ($)")):  # fmt: skip
            mean = table.at[strategy, f"{key}_mean"]
            half = (table.at[strategy, f"{key}_ci_high"] - table.at[strategy, f"{key}_ci_low"]) / 2
            kind = display.SUMMARY[key].kind
            assert frame.at[strategy, header] == display.interval(mean, half, kind)
        shown = perf.at[strategy, "availability (%)"].split(" ± ")[0]
        assert shown.endswith("%") and float(shown[:-1]) == pytest.approx(
            100 * table.at[strategy, "availability_mean"], abs=1e-3
        )


def test_a_rate_is_a_percentage_and_time_to_roll_back_applies_where_some_rolled_back():
    frame = ds.compare(preset(), ["big_bang"], 2, 1, workers=1)
    frame.attrs = {}  # the raw replications: not needed here
    frame.loc["never"] = frame.loc["big_bang"]
    frame.loc["never", ["rolled_back_mean", "rolled_back_ci_low", "rolled_back_ci_high"]] = 0.0
    shown = tables.intervals(frame, ["rolled_back", "time_to_rollback_s"])
    assert shown.at["big_bang", "rolled back (% of runs)"] == "100%"
    assert shown.at["big_bang", "time to roll back"] == display.seconds(
        frame.at["big_bang", "time_to_rollback_s_mean"]
    )
    assert shown.at["never", "time to roll back"] == "n/a"
    missing = tables.intervals(frame.drop(columns=[c for c in frame if "detect" in c]),
                               ["time_to_detect_s"])  # fmt: skip
    assert missing["time to detect"].tolist() == ["n/a", "n/a"]  # no run detected anything
