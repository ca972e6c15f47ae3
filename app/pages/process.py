"""Weeks of releases: DORA's four keys per way of releasing, with what they cost and why.

The `process-*` presets are one team releasing three ways; replication k of each sees
the same changes (common random numbers), so the table compares the ways, not noise.
One replication is drawn over time, and its lead times against DORA's edges.
"""

import pandas as pd
import streamlit as st
import yaml

from app import state
from app.charts import process as charts
from simulator.analysis.processes import process_intervals
from simulator.analysis.replication import replication_seeds

st.title("Release process over weeks")
st.caption(
    "Each scenario's `process:` section plays weeks of changes merged, tested in CI and "
    "released through the simulator. Replication k of every scenario draws the same "
    "changes, so differences between them are the way of releasing, not noise."
)


def label(name: str) -> str:
    """'process-monthly-train-big-bang' as 'Monthly train (big bang)'."""
    rest = name.removeprefix("process-")
    for strategy in sorted(state.RELEASES, key=len, reverse=True):
        suffix = "-" + strategy.replace("_", "-")
        if rest.endswith(suffix) and rest != suffix[1:]:
            rest = f"{rest.removesuffix(suffix)} ({strategy.replace('_', ' ')})"
            break
    rest = rest.replace("-", " ")
    return rest[:1].upper() + rest[1:]


presets = state.process_presets()
if not presets:
    st.info("No shipped scenario has a `process:` section.")
    st.stop()
left, mid, right = st.columns([3, 1, 1])
chosen = left.multiselect("Scenarios", list(presets), default=list(presets),
                          format_func=label, key="process-scenarios")  # fmt: skip
replications = int(mid.number_input("Replications", 2, 50, 3, key="process-replications"))
seed = int(right.number_input("Seed", 0, 2**31 - 1, 1, key="process-seed"))
specs = {name: yaml.safe_load(presets[name]) for name in chosen}
if chosen:
    with st.expander("What these scenarios are"):
        for name, data in specs.items():
            st.markdown(f"**{label(name)}**: {data.get('description') or ''}")
request = (tuple(chosen), replications, seed)
if not chosen:
    st.info("Pick at least one scenario.")
elif st.button("Run the release processes", type="primary", key="process-run"):
    st.session_state["process_request"] = request

if chosen and st.session_state.get("process_request") == request:
    names = {name: label(name) for name in chosen}
    frames, intervals = {}, {}
    with state.shown_errors("These release processes cannot be run"):
        for name, shown in names.items():
            frames[shown] = state.process_replications(
                presets[name], replications, seed, state.forced(), _label=shown
            )
            intervals[shown] = process_intervals(frames[shown])

    st.subheader("DORA's four keys")
    st.caption(
        f"Mean over {replications} replications with its 95% interval (intervals stop "
        "at zero), and the band of DORA's 2023 report the mean falls in (elite, high, "
        "medium, low). A change fails when its release is rolled back or causes an "
        "incident; recovery runs until the previous version serves again."
    )
    st.dataframe(charts.keys_table(intervals), key="process-keys")
    st.subheader("Users, cost and volume")
    st.dataframe(charts.more_table(intervals), key="process-more")
    everything = pd.concat(frames, names=["scenario", "row"]).reset_index(level="row", drop=True)
    st.download_button("Download every replication (CSV)", everything.to_csv().encode(),
                       "process-replications.csv", "text/csv", key="process-csv")  # fmt: skip

    first = replication_seeds(seed, replications)[0]
    runs = {}
    with state.shown_errors("This release process cannot be run"):
        for name, shown in names.items():
            runs[name] = state.process_run(presets[name], first, state.forced(), _label=shown)
    st.subheader("One replication over time")
    pick = st.selectbox("Scenario to draw", chosen, format_func=label, key="process-pick")
    run, process = runs[pick], specs[pick]["process"]
    calendar = process.get("calendar", {})
    releases = run.releases
    incidents = int(releases["incident"].astype(bool).sum())
    st.caption(
        f"Replication 0 (seed {first}), the table's first. Day 0 is "
        f"{calendar.get('start', 'the start')} at midnight, {calendar.get('timezone', 'UTC')}: "
        f"{len(run.changes)} changes merged, {len(releases)} releases, {incidents} "
        f"incident{'s' * (incidents != 1)}."
    )
    st.plotly_chart(
        charts.timeline(run.changes, releases, float(process["horizon"]),
                        title=f"{names[pick]}: changes, releases and incidents"),
        key="process-timeline",
    )  # fmt: skip
    st.subheader("Lead time for changes")
    st.caption(
        "From merge to production, for the changes replication 0 deployed; the dotted "
        "lines are DORA's edges (within a day elite, a week high, a month medium)."
    )
    st.plotly_chart(
        charts.lead_times({names[n]: runs[n].changes for n in chosen}), key="process-lead"
    )
