"""The run store: runs and experiments round-trip, listing, export, errors, isolation.

Every store lives under tmp_path (or a DEPLOYSIM_STORE pointing there); the real home
directory is never touched. Parquet files are read back with ParquetFile and no threads,
as the store does, to keep pyarrow's threaded reader out of the test process.
"""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import simulator as ds
from simulator.store.files import RunStoreError, write_atomically
from simulator.store.runstore import LIST_COLUMNS, SCHEMA_VERSION, RunStore
from tests import builders

SMALL = builders.plain_queue(20, 2, service=0.05, name="t")  # 10 min of M/M/2 at 20 req/s
CANARY = Path(__file__).resolve().parents[2] / "scenarios" / "canary-fraud-argo.yaml"


@pytest.fixture(scope="module")
def small():
    sc = ds.load_scenario(SMALL)
    return ds.simulate(sc, seed=1), sc


@pytest.fixture(scope="module")
def canary():
    """A rollout that rolls back: events, two versions in the metrics, blast radius > 0."""
    sc = ds.load_scenario(CANARY)
    return ds.simulate(sc, seed=3), sc


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "store" / "runs.sqlite")


def sweep_table() -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "rate": [10.0, 20.0, 40.0],
            "p99_ms": [12.5, float("nan"), 80.25],
            "outcome": ["steady", "steady", None],
            "completed": [100, 200, 400],
            "healthy": [True, True, False],
        }
    )
    return table.set_index("rate")


def nan_to_none(value: Any) -> Any:
    """What JSON can hold: NaN and infinities as None, numpy scalars as Python numbers."""
    if isinstance(value, dict):
        return {k: nan_to_none(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_parquet(path: Path) -> pd.DataFrame:
    return pq.ParquetFile(path).read(use_threads=False).to_pandas(use_threads=False)


# --- runs ------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["small", "canary"])
def test_run_round_trips(store, which, request):
    result, sc = request.getfixturevalue(which)
    run_id = store.save_run(result, sc, seed=result.summary["seed"], label="baseline")
    loaded, loaded_sc, seed = store.load_run(run_id)

    assert seed == result.summary["seed"]
    assert loaded_sc == sc
    assert loaded_sc.to_yaml() == sc.to_yaml()
    assert loaded.summary == nan_to_none(result.summary)
    assert list(loaded.summary) == list(result.summary)  # key order kept too
    pd.testing.assert_frame_equal(loaded.metrics, result.metrics)
    pd.testing.assert_frame_equal(loaded.events, result.events)
    assert loaded.requests is None  # the per-request log is not stored


def test_canary_run_has_something_to_compare(canary):
    # guards the round trip above against passing on an empty frame
    result, _ = canary
    assert len(result.events) > 0
    assert result.metrics["version"].nunique() == 2
    assert result.summary["blast_radius"] > 0


def test_nan_in_summary_is_stored_as_null(store, small):
    result, sc = small
    summary = dict(result.summary)
    summary["latency_ms"] = dict(summary["latency_ms"], p99=float("nan"))
    summary["availability"] = np.float64("nan")
    summary["lambda_w"] = float("inf")
    odd = ds.Result(summary, result.metrics, result.events)
    loaded, _, _ = store.load_run(store.save_run(odd, sc, seed=1))
    assert loaded.summary["latency_ms"]["p99"] is None
    assert loaded.summary["availability"] is None
    assert loaded.summary["lambda_w"] is None
    assert loaded.summary == nan_to_none(summary)
    assert math.isnan(store.list().loc[0, "availability"])


def test_list_shows_a_run_with_its_headline_numbers(store, canary):
    result, sc = canary
    run_id = store.save_run(result, sc, seed=3, label="argo")
    listing = store.list()
    assert list(listing.columns) == LIST_COLUMNS
    assert len(listing) == 1
    row = listing.iloc[0]
    s = result.summary
    assert row["id"] == run_id
    assert (row["type"], row["kind"]) == ("run", "run")
    assert (row["scenario"], row["strategy"], row["seed"]) == ("canary-fraud-argo", "canary", 3)
    assert (row["label"], row["version"], row["replications"]) == ("argo", ds.__version__, 1)
    assert row["outcome"] == s["outcome"] == "rolled_back"
    assert row["availability"] == pytest.approx(s["availability"], rel=1e-12)
    assert row["cost_usd"] == pytest.approx(s["cost_usd"], rel=1e-12)
    assert row["blast_radius"] == s["blast_radius"]
    created = pd.Timestamp(row["created"])
    assert created.tz is not None and created.utcoffset() == pd.Timedelta(0)
    assert abs(pd.Timestamp.now(tz="UTC") - created) < pd.Timedelta(minutes=5)


def test_save_run_takes_a_scenario_as_dict_yaml_or_path(store, canary, small):
    result, sc = small
    for given in (SMALL, sc.to_yaml()):
        _, loaded_sc, _ = store.load_run(store.save_run(result, given, seed=1))
        assert loaded_sc == sc
    result, sc = canary
    _, loaded_sc, _ = store.load_run(store.save_run(result, str(CANARY), seed=3))
    assert loaded_sc == sc


def test_save_run_rejects_a_result_that_does_not_match(store, small):
    result, sc = small
    with pytest.raises(RunStoreError, match="seed is 1 but 2 was given"):
        store.save_run(result, sc, seed=2)
    with pytest.raises(RunStoreError, match="scenario is 't' but 'other' was given"):
        store.save_run(result, dict(SMALL, name="other"), seed=1)
    assert not store.path.exists()


# --- experiments -----------------------------------------------------------------------


def test_experiment_round_trips_with_its_index(store, small):
    _, sc = small
    table = sweep_table()
    params = {"parameter": "traffic.rate", "values": [10, 20, 40], "metric": "p99"}
    exp_id = store.save_experiment(
        table, kind="sweep", scenario=sc, seed=7, replications=5, params=params, label="rates"
    )
    loaded, meta = store.load_experiment(exp_id)
    pd.testing.assert_frame_equal(loaded, table)
    assert loaded.index.name == "rate"
    assert meta["id"] == exp_id
    assert (meta["kind"], meta["seed"], meta["replications"]) == ("sweep", 7, 5)
    assert (meta["label"], meta["version"], meta["scenario"]) == ("rates", ds.__version__, "t")
    assert meta["params"] == params
    assert ds.load_scenario(meta["scenario_yaml"]) == sc


def test_experiment_with_multiindex_rows_and_columns(store, small):
    _, sc = small
    raw = pd.DataFrame(
        {
            "strategy": ["canary", "canary", "rolling", "rolling"],
            "seed": [1, 2, 1, 2],
            "cost": [1.0, 2.0, 3.0, 5.0],
            "p99": [10.0, 12.0, 9.0, np.nan],
        }
    )
    table = raw.groupby("strategy").agg(["mean", "std"])  # MultiIndex columns
    stacked = raw.set_index(["strategy", "seed"])  # MultiIndex rows
    for frame in (table, stacked):
        exp_id = store.save_experiment(frame, kind="compare", scenario=sc, seed=1, replications=2)
        loaded, meta = store.load_experiment(exp_id)
        pd.testing.assert_frame_equal(loaded, frame)
        assert meta["params"] == {}


def test_experiment_table_that_parquet_cannot_hold_is_a_clear_error(store, small):
    _, sc = small
    mixed = pd.DataFrame({"x": [1, "a"]})
    with pytest.raises(RunStoreError, match="cannot store the table"):
        store.save_experiment(mixed, kind="sweep", scenario=sc, seed=1, replications=1)
    with pytest.raises(RunStoreError, match="must be a DataFrame"):
        store.save_experiment(mixed["x"], kind="sweep", scenario=sc, seed=1, replications=1)
    with pytest.raises(RunStoreError, match="reserved"):
        store.save_experiment(sweep_table(), kind="run", scenario=sc, seed=1, replications=1)
    assert store.list().empty


# --- listing ---------------------------------------------------------------------------


def test_list_filters_by_kind_and_limit_newest_first(store, small):
    result, sc = small
    saved = [
        ("run", store.save_run(result, sc, seed=1, label="a")),
        (
            "sweep",
            store.save_experiment(sweep_table(), kind="sweep", scenario=sc, seed=1, replications=2),
        ),  # fmt: skip
        ("run", store.save_run(result, sc, seed=1, label="b")),
        (
            "compare",
            store.save_experiment(
                sweep_table(), kind="compare", scenario=sc, seed=1, replications=3
            ),
        ),  # fmt: skip
        (
            "sweep",
            store.save_experiment(sweep_table(), kind="sweep", scenario=sc, seed=2, replications=4),
        ),  # fmt: skip
    ]
    ids = [record_id for _, record_id in saved]
    assert len(set(ids)) == len(ids)  # one id sequence for runs and experiments

    def ids_of(*kinds):
        """Saved ids of these kinds (all if none), newest first."""
        return [i for k, i in reversed(saved) if not kinds or k in kinds]

    everything = store.list()
    assert everything["id"].tolist() == ids_of()
    assert everything["type"].tolist() == ["experiment", "experiment", "run", "experiment", "run"]
    assert store.list(kind="run")["id"].tolist() == ids_of("run")
    assert store.list(kind="sweep")["id"].tolist() == ids_of("sweep")
    assert store.list(kind="experiment")["id"].tolist() == ids_of("sweep", "compare")
    assert store.list(kind="capacity").empty
    assert store.list(limit=2)["id"].tolist() == ids_of()[:2]
    assert store.list(kind="sweep", limit=1)["id"].tolist() == ids_of("sweep")[:1]
    experiments = store.list(kind="experiment")
    assert experiments["replications"].tolist() == [4, 3, 2]
    assert experiments["outcome"].isna().all() and experiments["blast_radius"].isna().all()
    with pytest.raises(RunStoreError, match="limit must be at least 1"):
        store.list(limit=0)


def test_a_missing_store_lists_empty_and_is_not_created(tmp_path):
    store = RunStore(tmp_path / "nowhere" / "runs.sqlite")
    listing = store.list()
    assert listing.empty and list(listing.columns) == LIST_COLUMNS
    with pytest.raises(RunStoreError, match="no run with id 1"):
        store.load_run(1)
    assert not (tmp_path / "nowhere").exists()


# --- export ----------------------------------------------------------------------------


def test_export_experiment_to_csv_and_parquet(store, small, tmp_path):
    _, sc = small
    table = sweep_table()
    exp_id = store.save_experiment(table, kind="sweep", scenario=sc, seed=1, replications=1)

    out = store.export(exp_id, tmp_path / "sweep.parquet")
    assert out == tmp_path / "sweep.parquet"
    pd.testing.assert_frame_equal(read_parquet(out), table)

    out = store.export(exp_id, tmp_path / "sweep.csv")
    back = pd.read_csv(out, index_col="rate")
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    assert back["completed"].dtype.kind == "i" and back["healthy"].dtype == bool


def test_export_run_writes_its_metrics(store, canary, tmp_path):
    result, sc = canary
    run_id = store.save_run(result, sc, seed=3)
    out = store.export(run_id, tmp_path / "metrics.parquet", kind="run")
    pd.testing.assert_frame_equal(read_parquet(out), result.metrics)
    out = store.export(run_id, tmp_path / "metrics.csv", kind="run")
    back = pd.read_csv(out)
    assert list(back.columns) == list(result.metrics.columns)  # no index column
    pd.testing.assert_frame_equal(back, result.metrics, check_dtype=False)


def test_export_errors_name_the_problem(store, small, tmp_path):
    result, sc = small
    run_id = store.save_run(result, sc, seed=1)
    with pytest.raises(RunStoreError, match=r"'.*table\.xlsx'.*must end in \.csv or \.parquet"):
        store.export(run_id, tmp_path / "table.xlsx", kind="run")
    with pytest.raises(RunStoreError, match=f"record {run_id} is a run, not an experiment"):
        store.export(run_id, tmp_path / "table.csv")
    with pytest.raises(RunStoreError, match="cannot write .*missing"):
        store.export(run_id, tmp_path / "missing" / "m.csv", kind="run")
    assert not (tmp_path / "table.xlsx").exists() and not (tmp_path / "table.csv").exists()


# --- errors, delete, isolation ---------------------------------------------------------


def test_unknown_ids_and_wrong_kinds_are_clear_errors(store, small):
    result, sc = small
    run_id = store.save_run(result, sc, seed=1)
    exp_id = store.save_experiment(sweep_table(), kind="sweep", scenario=sc, seed=1, replications=1)
    with pytest.raises(RunStoreError, match=f"no run with id 999 in {store.path}"):
        store.load_run(999)
    with pytest.raises(RunStoreError, match="no experiment with id 999"):
        store.load_experiment(999)
    with pytest.raises(RunStoreError, match=f"record {exp_id} is an experiment, not a run"):
        store.load_run(exp_id)
    with pytest.raises(RunStoreError, match=f"record {run_id} is a run, not an experiment"):
        store.load_experiment(run_id)
    assert issubclass(RunStoreError, ValueError)


def test_delete_removes_only_that_record(store, small):
    result, sc = small
    first = store.save_run(result, sc, seed=1)
    second = store.save_run(result, sc, seed=1)
    exp_id = store.save_experiment(sweep_table(), kind="sweep", scenario=sc, seed=1, replications=1)
    with pytest.raises(RunStoreError, match="is a run, not an experiment"):
        store.delete(first, "experiment")
    store.delete(first, "run")
    assert store.list()["id"].tolist() == [exp_id, second]
    with pytest.raises(RunStoreError, match=f"no run with id {first}"):
        store.load_run(first)
    with pytest.raises(RunStoreError, match=f"no run with id {first}"):
        store.delete(first, "run")
    store.delete(exp_id, "experiment")
    assert store.list()["id"].tolist() == [second]
    assert store.load_run(second)[0].summary == nan_to_none(result.summary)


def test_unreadable_file_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_text("this is not a database\n" * 100)
    store = RunStore(junk)
    with pytest.raises(RunStoreError, match=f"{junk}: not a readable run store"):
        store.list()
    with pytest.raises(RunStoreError, match="not a readable run store"):
        store.load_run(1)


def test_a_newer_schema_is_refused(store, small):
    result, sc = small
    store.save_run(result, sc, seed=1)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(RunStoreError, match=f"schema {SCHEMA_VERSION + 1}.*upgrade deploysim"):
        store.list()


def test_two_stores_are_independent(tmp_path, small):
    result, sc = small
    one, two = RunStore(tmp_path / "one.sqlite"), RunStore(tmp_path / "two.sqlite")
    run_id = one.save_run(result, sc, seed=1, label="in one")
    assert two.list().empty
    with pytest.raises(RunStoreError, match=f"no run with id {run_id}"):
        two.load_run(run_id)
    exp_id = two.save_experiment(sweep_table(), kind="sweep", scenario=sc, seed=1, replications=1)
    assert one.list()["label"].tolist() == ["in one"]
    assert two.list()["kind"].tolist() == ["sweep"]
    assert two.load_experiment(exp_id)[0].equals(sweep_table())


def test_default_path_comes_from_the_environment(tmp_path, monkeypatch, small):
    target = tmp_path / "env" / "deep" / "runs.sqlite"
    monkeypatch.setenv("DEPLOYSIM_STORE", str(target))
    store = RunStore()
    assert store.path == target
    assert not target.parent.exists()  # created on first write, not before
    result, sc = small
    run_id = store.save_run(result, sc, seed=1)
    assert target.is_file()
    assert RunStore().load_run(run_id)[2] == 1


def test_default_path_without_the_environment_is_in_home(monkeypatch, tmp_path):
    monkeypatch.delenv("DEPLOYSIM_STORE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert RunStore().path == tmp_path / ".deploysim" / "runs.sqlite"
    assert not (tmp_path / ".deploysim").exists()


# --- files written for the user, and what no store can hold ------------------------------


def test_export_never_overwrites_without_force(store, small, tmp_path):
    _, sc = small
    exp_id = store.save_experiment(sweep_table(), kind="sweep", scenario=sc, seed=1, replications=1)
    target = tmp_path / "sweep.csv"
    target.write_text("mine\n")
    with pytest.raises(RunStoreError, match=r"'.*sweep\.csv' already exists; add --force"):
        store.export(exp_id, target)
    assert target.read_text() == "mine\n"
    store.export(exp_id, target, force=True)
    pd.testing.assert_frame_equal(pd.read_csv(target, index_col="rate"), sweep_table(),
                                  check_dtype=False)  # fmt: skip


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_an_interrupted_write_leaves_the_old_file_whole(tmp_path, failure):
    target = tmp_path / "table.csv"
    target.write_text("old\n")

    def half_then_fail(part: Path) -> None:
        part.write_text("new,but only ha")
        raise failure

    expected = RunStoreError if isinstance(failure, OSError) else KeyboardInterrupt
    with pytest.raises(expected):
        write_atomically(target, half_then_fail, force=True)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]  # the temporary file is gone


def test_write_atomically_puts_the_whole_file_in_place_in_one_step(tmp_path):
    target = tmp_path / "new.csv"
    seen = []

    def write(part: Path) -> None:
        part.write_text("a,b\n1,2\n")
        seen.append((part.parent, target.exists()))

    assert write_atomically(target, write) == target
    assert seen == [(tmp_path, False)]  # written beside it; the target appeared only at the end
    assert target.read_text() == "a,b\n1,2\n"
    with pytest.raises(RunStoreError, match="it is a folder"):
        write_atomically(tmp_path, write, force=True)


def test_ids_kinds_and_seeds_beyond_the_store_are_clear_errors(store, small):
    result, sc = small
    store.save_run(result, sc, seed=1)
    for bad in (2**63, -1, 0):
        with pytest.raises(RunStoreError, match=f"no run with id {bad}"):
            store.load_run(bad)
    with pytest.raises(RunStoreError, match="kind must be 'run' or 'experiment', not 'bogus'"):
        store.delete(1, "bogus")
    big = ds.Result(dict(result.summary, seed=2**63), result.metrics, result.events)
    with pytest.raises(RunStoreError, match=r"seed 9223372036854775808 cannot be stored"):
        store.save_run(big, sc, seed=2**63)
    assert len(store.list()) == 1
