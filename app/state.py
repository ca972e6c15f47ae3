"""What the pages share: cached simulation calls, clean errors, the run store.

Simulations are cached on their inputs (the scenario as YAML text, the seed, the
strategies), so running the same inputs again is instant. Anything a user gets wrong
(a bad scenario, an unreadable upload, a run over the budget) is shown as the message
the simulator words for it (`UserError`), never as a stack trace. Scenarios that come
from the user (uploaded or pasted) may replay traces only from the project's
`scenarios/` folder or the folders listed in `$DEPLOYSIM_TRACE_DIRS`, so a scenario
handed around cannot make the app read an arbitrary file. A comparison made in the app
is kept in the run store as `deploysim compare` keeps one. The sidebar's scenario form
is in `app/sidebar.py`, the tables' cells in `app/tables.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import streamlit as st
import yaml

import simulator as ds
from simulator.analysis.hosting import compare_hosting
from simulator.analysis.processes import replicate_process
from simulator.engine.budget import BudgetError
from simulator.errors import UserError
from simulator.process.simulation import ProcessResult, run_process
from simulator.scenario.strategies import STRATEGY_TYPES
from simulator.store.runstore import RunStore

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
RELEASES = [s for s in STRATEGY_TYPES if s != "none"]


def trace_dirs() -> list[Path]:
    """Where a scenario's trace may be read from: `scenarios/` and `$DEPLOYSIM_TRACE_DIRS`."""
    extra = os.environ.get("DEPLOYSIM_TRACE_DIRS", "")
    return [SCENARIOS, *(Path(p).expanduser() for p in extra.split(os.pathsep) if p)]


@contextmanager
def shown_errors(what: str) -> Iterator[None]:
    """Show a user's mistake as its message and stop the page there (no traceback).

    A run over the budget also offers a switch to run it anyway, as the CLI's --force.
    """
    try:
        yield
    except UserError as exc:
        st.error(f"{what}:\n\n```\n{exc}\n```")
        if isinstance(exc, BudgetError):
            st.toggle("Run beyond the budget (it may take long and need much memory)",
                      key="force")  # fmt: skip
        st.stop()


def forced() -> bool:
    """Whether the user chose to run beyond the budget."""
    return bool(st.session_state.get("force", False))


def download_scenario(text: str) -> None:
    """The edited scenario as a file, to run again from the CLI."""
    st.download_button("Download the scenario (YAML)", text.encode(), "scenario.yaml",
                       "application/yaml", key="yaml")  # fmt: skip


def yaml_text(data: dict) -> str:
    """The scenario as YAML (what the cache keys on, and what users download)."""
    return yaml.safe_dump(data, sort_keys=False)


@st.cache_data(show_spinner=False, max_entries=32)
def simulate(text: str, seed: int, strategy: str | None = None, force: bool = False) -> ds.Result:
    """One run, cached on its inputs, with a progress bar while it runs."""
    bar = st.progress(0.0, text="simulating...")
    sc = ds.load_scenario(text, trace_dirs=trace_dirs())
    result = ds.simulate(sc, seed=seed, strategy=strategy, force=force,
                         progress=lambda done: bar.progress(done))  # fmt: skip
    bar.empty()
    return result


@st.cache_data(show_spinner=False, max_entries=16)
def compare(
    text: str, strategies: tuple[str, ...], replications: int, seed: int, force: bool = False
) -> pd.DataFrame:
    """A comparison, cached on its inputs (the raw replications in attrs).

    `strategies`: each strategy's spec (its type and settings) as YAML, so every compared
    strategy runs with the settings the sidebar shows for it. Replication k of every
    strategy runs on seed k, as in `simulator.compare` (common random numbers).
    """
    bar = st.progress(0.0, text="simulating...")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"{done} of {total} runs")

    table = ds.compare(ds.load_scenario(text, trace_dirs=trace_dirs()),
                       [yaml.safe_load(spec) for spec in strategies], replications, seed,
                       progress=progress, force=force)  # fmt: skip
    bar.empty()
    return table


def save_comparison(
    table: pd.DataFrame, text: str, strategies: tuple[str, ...], replications: int, seed: int
) -> int:
    """Keep a comparison made in the app in the run store, as `deploysim compare` keeps one.

    Raises RunStoreError when the store cannot be written.
    """
    specs = [yaml.safe_load(spec) for spec in strategies]
    names = [spec["type"] for spec in specs]
    return RunStore().save_experiment(
        table, kind="compare", scenario=ds.load_scenario(text, trace_dirs=trace_dirs()),
        seed=seed, replications=replications,
        params={"strategies": names, "settings": specs, "made_in": "app"},
        label="compared in the app: " + ", ".join(n.replace("_", " ") for n in names),
    )  # fmt: skip


@st.cache_data(show_spinner=False, ttl=60)
def process_presets() -> dict[str, str]:
    """The shipped scenarios with a `process:` section as YAML text by name, trains first.

    (Ordered from the least to the most continuous delivery, then by name.)
    """
    modes = ["train", "continuous_delivery", "continuous_deployment"]
    found = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        sc = ds.load_scenario(path, trace_dirs=trace_dirs())
        if sc.process is not None:
            mode = sc.process.delivery.mode
            rank = modes.index(mode) if mode in modes else len(modes)
            found.append((rank, path.stem, yaml_text(sc.to_dict())))
    return {name: text for _, name, text in sorted(found)}


@st.cache_data(show_spinner=False, max_entries=16)
def process_replications(
    text: str, replications: int, seed: int, force: bool = False, _label: str = ""
) -> pd.DataFrame:
    """A release process's replications (a row each), cached, with a progress bar."""
    bar = st.progress(0.0, text=f"{_label}: simulating weeks of releases...")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"{_label}: {done} of {total} replications")

    frame = replicate_process(ds.load_scenario(text, trace_dirs=trace_dirs()), replications,
                              seed, progress=progress, force=force)  # fmt: skip
    bar.empty()
    return frame


@st.cache_data(show_spinner=False, max_entries=16)
def process_run(text: str, seed: int, force: bool = False, _label: str = "") -> ProcessResult:
    """One run of a release process, its changes and releases, cached on its inputs."""
    with st.spinner(f"{_label}: drawing one replication..."):
        return run_process(ds.load_scenario(text, trace_dirs=trace_dirs()), seed, force=force)


@st.cache_data(show_spinner=False, ttl=60)
def hosting_presets() -> dict[str, dict[str, str]]:
    """The shipped scenarios by how they are served, as YAML text by name.

    `realtime`: real-time endpoints with no release and no process, whose traffic is the
    work `compare_hosting` serves four ways; `batch_transform` and `async`: the presets
    of one such kind.
    """
    found: dict[str, dict[str, str]] = {"realtime": {}, "batch_transform": {}, "async": {}}
    for path in sorted(SCENARIOS.glob("*.yaml")):
        sc = ds.load_scenario(path, trace_dirs=trace_dirs())
        kind = sc.hosting.kind
        if kind == "realtime" and (sc.release is not None or sc.process is not None):
            continue
        if kind in found:
            found[kind][path.stem] = yaml_text(sc.to_dict())
    return found


@st.cache_data(show_spinner=False, max_entries=16)
def hosting_comparison(
    text: str, seed: int, day: float, force: bool = False, _label: str = ""
) -> pd.DataFrame:
    """A real-time scenario's work served four ways (`compare_hosting`), cached."""
    with st.spinner(f"{_label}: serving the work four ways..."):
        sc = ds.load_scenario(text, trace_dirs=trace_dirs())
        return compare_hosting(sc, seed, day=day, force=force)
