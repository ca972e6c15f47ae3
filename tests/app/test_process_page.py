"""The release process page: its tables against the API, its charts against hand-made runs.

The page is driven with the cheapest preset only (the monthly train, about 2 s a
replication), two replications; what it shows is recomputed here from
`replicate_process` and `run_process` on the same inputs. The charts are checked on a
few changes and releases made by hand, so every expected figure is known exactly.
"""

import base64
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import simulator as ds
from app.charts import process as charts
from simulator.analysis.processes import process_intervals, replicate_process
from simulator.analysis.replication import replication_seeds
from simulator.process import dora
from simulator.process.simulation import run_process

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app" / "streamlit_app.py")
TRAIN = "process-monthly-train-big-bang"
SEED = 1
DAY = 86400.0
UNITS = {"": 1.0, "%": 0.01, " min": 60.0, " h": 3600.0, " days": DAY,
         " per day": 1.0, " per week": 1 / 7, " per month": 1 / 30}  # fmt: skip
CELL = re.compile(
    r"(?P<mean>-?[\d.,]+)(?P<unit>%| per day| per week| per month| min| h| days)?"
    r"(?: \((?P<low>-?[\d.,]+)–(?P<high>-?[\d.,]+)\))?"
)


def parse(cell: str) -> tuple[float, float, float]:
    """A table cell as (mean, low, high) in the API's units (low and high NaN if absent)."""
    match = CELL.fullmatch(cell)
    assert match, cell
    scale = UNITS[match["unit"] or ""]

    def number(text: str | None) -> float:
        return math.nan if text is None else float(text.replace(",", "")) * scale

    return number(match["mean"]), number(match["low"]), number(match["high"])


def decoded(values) -> list[float]:
    """A figure's array as Plotly's JSON holds it: a list, or typed bytes in base64."""
    if isinstance(values, dict):
        return list(np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]))
    return list(values)


def test_process_page_shows_the_apis_four_keys_and_bands_for_the_train():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/process.py").run()
    assert not at.exception, at.exception
    assert at.multiselect(key="process-scenarios").value == [  # every process preset, trains first
        "process-monthly-train-big-bang", "process-continuous-delivery-blue-green",
        "process-continuous-deployment-canary",
    ]  # fmt: skip
    at.multiselect(key="process-scenarios").set_value([TRAIN])
    at.number_input(key="process-replications").set_value(2)
    at.number_input(key="process-seed").set_value(SEED)
    at.button(key="process-run").click().run()
    assert not at.exception, at.exception
    assert not at.error

    scenario = ds.load_scenario(ROOT / "scenarios" / f"{TRAIN}.yaml")
    api = process_intervals(replicate_process(scenario, 2, SEED, workers=1))
    keys = at.dataframe[0].value
    assert list(keys.index) == ["Monthly train (big bang)"]
    row = keys.iloc[0]
    lead, lead_low, lead_high = parse(row["Lead time (median)"])
    assert lead == pytest.approx(api["lead_time_median_s_mean"], rel=5e-3)
    assert lead_high == pytest.approx(api["lead_time_median_s_ci_high"], rel=5e-3)
    assert lead_low == pytest.approx(max(api["lead_time_median_s_ci_low"], 0.0), abs=1.0)
    failure, _, _ = parse(row["Change failure rate"])
    assert failure == pytest.approx(api["change_failure_rate_mean"], abs=5e-4)
    frequency, _, _ = parse(row["Deployment frequency"])
    assert frequency == pytest.approx(api["deployment_frequency_per_day_mean"], rel=5e-3)
    for key, (_, band_column) in charts.KEYS.items():
        mean = api.get(f"{key}_mean", math.nan)
        assert row[band_column] == (dora.band(key, None if pd.isna(mean) else mean) or "–")
    more = at.dataframe[1].value
    cost, _, _ = parse(more.iloc[0]["Serving cost (USD)"])
    assert cost == pytest.approx(api["serving_cost_usd_mean"], rel=5e-3)

    first = replication_seeds(SEED, 2)[0]  # the charts draw the table's replication 0
    run = run_process(scenario, first)
    told = [c.value for c in at.caption if c.value.startswith("Replication 0")][0]
    assert f"seed {first}" in told
    assert f"{len(run.changes)} changes merged, {len(run.releases)} releases" in told
    timeline, lead_times = (json.loads(c.proto.spec)["data"] for c in at.get("plotly_chart"))
    drawn = [t for t in timeline if t["name"] in charts.OUTCOMES]
    assert sum(len(decoded(t["x"])) for t in drawn) == len(run.releases)
    hours = np.sort(run.changes["lead_time_s"].dropna().to_numpy()) / 3600
    assert decoded(lead_times[0]["x"]) == pytest.approx(hours)

    at.number_input(key="process-replications").set_value(3).run()  # not run for 3: no results
    assert not at.exception and not at.dataframe and not at.get("plotly_chart")


# ---------------------------------------------------------------- charts on hand-made runs


@pytest.fixture
def changes():
    return pd.DataFrame({
        "merged_at": [0.5 * DAY, 1.0 * DAY, 2.0 * DAY, 3.0 * DAY],
        "size": [10.0, 400.0, 60.0, 80.0],
        "defective": [False, True, False, False],
        "lead_time_s": [3600.0, np.nan, 2 * DAY, 10 * DAY],
        "state": ["deployed", "being fixed", "deployed", "deployed"],
    })  # fmt: skip


@pytest.fixture
def releases():
    return pd.DataFrame({
        "release": [0, 1, 2, 3],
        "began": [1.5 * DAY, 3 * DAY, 5 * DAY, 6 * DAY],
        "ended": [1.5 * DAY + 600, 3 * DAY + 900, 5 * DAY + 300, np.nan],
        "changes": [1, 2, 1, 1],
        "defects": [0, 1, 1, 0],
        "outcome": ["promoted", "promoted", "rolled_back", "incomplete"],
        "incident": [False, True, False, False],
        "restored": [np.nan, 3 * DAY + 900 + 7200, 5 * DAY + 300, np.nan],
    })  # fmt: skip


def release_points(fig):
    """{kind: [(start, end) in days]} from the release traces' markers and bars."""
    out = {}
    for trace in fig.data:
        if trace.name in charts.OUTCOMES:
            ends = np.asarray(trace.x) + np.asarray(trace.error_x.array)
            out[trace.name] = list(zip(trace.x, ends, strict=True))
    return out


def test_timeline_draws_each_release_from_start_to_end_and_incidents_until_restored(
    changes, releases
):
    horizon = 7 * DAY
    fig = charts.timeline(changes, releases, horizon)
    points = release_points(fig)
    assert sum(len(p) for p in points.values()) == len(releases)  # one point per release
    expected = {
        "promoted": [(1.5, 1.5 + 600 / DAY)],
        "incident": [(3.0, 3 + 900 / DAY)],
        "rolled back": [(5.0, 5 + 300 / DAY)],
        "incomplete": [(6.0, 7.0)],  # still running: its bar reaches the horizon
    }
    assert points.keys() == expected.keys()
    for kind, spans in expected.items():
        assert np.allclose(points[kind], spans), kind
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(s.x0, s.x1) for s in rects] == [pytest.approx((3 + 900 / DAY, 3 + 8100 / DAY))]
    merged = {t.name: list(t.x) for t in fig.data if "change" in t.name}
    assert merged == {"change merged": [0.5, 2.0, 3.0], "defective change": [1.0]}
    assert "incident detected" not in [t.name for t in fig.data]
    assert list(fig.layout.xaxis.range) == [0, 7.0]


def test_timeline_marks_detection_and_unrestored_incidents_when_the_columns_say(changes, releases):
    releases = releases.assign(
        incident=[False, True, False, False],
        restored=[np.nan, np.nan, 5 * DAY + 300, np.nan],  # never restored within the run
        detected=[np.nan, 3 * DAY + 900 + 3600, np.nan, np.nan],
        detected_by=[None, "alarm", None, None],
    )
    fig = charts.timeline(changes, releases, 7 * DAY)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(s.x0, s.x1) for s in rects] == [pytest.approx((3 + 900 / DAY, 7.0))]
    star = [t for t in fig.data if t.name == "incident detected"][0]
    assert list(star.x) == pytest.approx([3 + 4500 / DAY])
    incident = [t for t in fig.data if t.name == "incident"][0]
    assert "detected by: alarm" in incident.customdata[0][-1]


def test_lead_time_ecdf_is_the_deployed_changes_in_hours_with_doras_edges(changes):
    other = changes.assign(lead_time_s=[DAY, 3 * DAY, np.nan, np.nan])
    fig = charts.lead_times({"train": changes, "canary": other})
    train, canary = fig.data
    assert list(train.x) == pytest.approx([1.0, 48.0, 240.0])  # the NaN one never deployed
    assert list(train.y) == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert list(canary.x) == pytest.approx([24.0, 72.0]) and canary.y[-1] == 1.0
    assert fig.layout.xaxis.type == "log"
    assert [s.x0 for s in fig.layout.shapes] == [24.0, 168.0, 720.0]
    notes = {a.text: a.x for a in fig.layout.annotations}
    assert notes == pytest.approx({"1 day": math.log10(24), "1 week": math.log10(168),
                                   "1 month": math.log10(720)})  # fmt: skip


def test_keys_table_reads_in_units_and_bands_the_mean():
    row = pd.Series({
        "deployment_frequency_per_day_mean": 0.5,
        "deployment_frequency_per_day_ci_low": 0.2, "deployment_frequency_per_day_ci_high": 0.8,
        "lead_time_median_s_mean": 3 * DAY,
        "lead_time_median_s_ci_low": -DAY, "lead_time_median_s_ci_high": 7 * DAY,
        "change_failure_rate_mean": 0.25,
        "change_failure_rate_ci_low": -0.1, "change_failure_rate_ci_high": 1.3,
        "recovery_median_s_mean": math.nan,
        "recovery_median_s_ci_low": math.nan, "recovery_median_s_ci_high": math.nan,
        "serving_cost_usd_mean": 1096.7, "serving_cost_usd_ci_low": 1090.0,
        "serving_cost_usd_ci_high": 1103.4,
    })  # fmt: skip
    table = charts.keys_table({"Train": row}).loc["Train"]
    assert table["Deployment frequency"] == "3.5 per week (1.4–5.6)"
    assert table["Frequency band"] == "high"
    assert table["Lead time (median)"] == "3 days (0–7)"  # intervals stop at zero
    assert table["Lead time band"] == "high"
    assert table["Change failure rate"] == "25% (0–100)"  # and a share at 100%
    assert table["Failure rate band"] == "low"
    assert table["Recovery time (median)"] == "–" and table["Recovery band"] == "–"
    more = charts.more_table({"Train": row})
    assert list(more.columns) == ["Serving cost (USD)"]  # only the figures there are
    assert more.at["Train", "Serving cost (USD)"] == "1,097 (1,090–1,103)"
