"""App comparisons are kept, and Past runs reads as the other pages do (issue 15, item 7)."""

import re
from pathlib import Path

import simulator as ds
from simulator.store.runstore import RunStore
from tests.app import APP, page
from tests.app.test_whatif import compared

SCENARIOS = Path(APP).parents[1] / "scenarios"
E_NOTATION = re.compile(r"\d[eE][+-]?\d")


def readable(frame) -> None:
    """No snake_case header, no e-notation in any cell."""
    headers = [*frame.columns, *(n for n in frame.index.names if n)]
    assert not [h for h in headers if "_" in str(h)], headers
    cells = frame.astype(str).to_numpy().ravel().tolist()
    assert not [c for c in cells if E_NOTATION.search(c)], cells


def test_a_comparison_made_in_the_app_is_kept_once_and_shown_readably_in_past_runs():
    at = compared(page(), ["big_bang", "canary"], seed=4)
    at.number_input(key="compare-replications").set_value(2).run()  # a rerun: not kept again
    kept = RunStore().list()
    assert kept["type"].tolist() == ["experiment"] and kept["kind"].tolist() == ["compare"]
    record = int(kept["id"].iloc[0])
    assert f"record #{record}" in " ".join(c.value for c in at.caption)
    table, meta = RunStore().load_experiment(record)
    assert list(table.index) == ["big_bang", "canary"]
    assert (meta["seed"], meta["replications"]) == (4, 2)
    assert meta["params"]["strategies"] == ["big_bang", "canary"]
    assert meta["params"]["settings"][1]["type"] == "canary"  # with the settings it ran
    expected = ds.compare(ds.load_scenario(SCENARIOS / "canary-fraud-argo.yaml"),
                          ["big_bang", "canary"], 2, 4, workers=1)  # fmt: skip
    assert table["blast_radius_mean"].tolist() == expected["blast_radius_mean"].tolist()

    at.switch_page("pages/history.py").run()
    assert not at.exception and not at.error
    records = at.dataframe[0].value
    readable(records)
    assert records["record"].tolist() == ["comparison"]
    assert "compared in the app: big bang, canary" in records["label"].tolist()
    shown = at.dataframe[1].value
    readable(shown)
    assert list(shown.index) == ["big_bang", "canary"]
    assert shown.at["canary", "rolled back (% of runs)"] == "100%"


def test_a_stored_run_shows_its_figures_with_units():
    sc = ds.load_scenario(SCENARIOS / "canary-fraud-flagger.yaml")
    res = ds.simulate(sc, seed=4)
    RunStore().save_run(res, sc, 4)
    at = page("history")
    assert not at.exception and not at.error
    readable(at.dataframe[0].value)
    figures = at.dataframe[1].value.set_index("figure")["value"]
    assert figures["availability (%)"].endswith("%")
    assert figures["outcome"] == res.summary["outcome"].replace("_", " ")
