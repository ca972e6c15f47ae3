"""Hosting options: one window of work served four ways, and one hosting kind over time.

A real-time preset with no release gives the work (its traffic); `compare_hosting` serves
it on an endpoint always on, on an endpoint created for the window, on an asynchronous
endpoint scaled to zero and as a Batch Transform job (docs/reference/hosting.md). Below,
a single-kind preset (an asynchronous endpoint or a transform job) is drawn over time.
"""

import streamlit as st
import yaml

from app import hosting_view, state
from app.charts import hosting as charts

DEFAULT = "seasonal-demand-forecast-batch"
KINDS = {"async": "asynchronous endpoint", "batch_transform": "Batch Transform job"}
EXPLANATION = (
    "An endpoint (**real-time**) is online: each request is answered in milliseconds as it "
    "comes, but left **always on** it is billed every hour of the day, whether requests "
    "come or not; created before the window and deleted after it (**on a schedule**) it "
    "is billed only for the window and the minutes it takes to create. An **asynchronous** "
    "endpoint queues requests and **scales to zero** between windows, so it costs little, "
    "but the first requests after a quiet spell wait minutes for an instance to start. "
    "**Batch Transform** is offline: a job scores the whole set at once with no endpoint "
    "at all, often the cheapest and quickest to finish, but no answer comes back before "
    "the job ends. So keep an endpoint on when requests come at any hour and need answers "
    "now, schedule it or go asynchronous when they come in known windows and can wait, "
    "and use a batch job when every input is known in advance. (What each option plays, "
    "and where its figures come from: `docs/reference/hosting.md`.)"
)

st.title("Hosting options")
st.caption(
    "The same work served four ways: a real-time scenario's traffic is one window of "
    "requests (the nightly forecast's, say), and every option serves the same arrivals "
    "(one seed). Cost is per cost horizon (an always-on endpoint is billed for all of it); "
    "completion runs from the window's start to the last prediction."
)

presets = state.hosting_presets()
realtime = presets["realtime"]
if not realtime:
    st.info("No shipped scenario is a real-time endpoint without a release.")
    st.stop()
names = list(realtime)
left, mid, right = st.columns([3, 1, 1])
name = left.selectbox("Real-time scenario (its traffic is the work)", names,
                      index=names.index(DEFAULT) if DEFAULT in names else 0,
                      key="hosting-preset")  # fmt: skip
seed = int(mid.number_input("Seed", 0, 2**31 - 1, 0, key="hosting-seed"))
hours = float(right.number_input("Cost horizon (h)", min_value=1.0, max_value=24.0 * 366,
                                 value=24.0, step=1.0, key="hosting-hours"))  # fmt: skip

with state.shown_errors(f"{name} cannot be served the four ways"):
    table = state.hosting_comparison(realtime[name], seed, hours * 3600.0, state.forced(),
                                     _label=name)  # fmt: skip
st.subheader("Four ways to host the same work")
st.dataframe(charts.hosting_table(table, hours), key="hosting-table")
st.caption(
    "A Batch Transform job answers every record at once, when it ends: it has no request "
    "latency (n/a). Instance-hours are what is billed over the horizon."
)
left, right = st.columns(2)
window = float(yaml.safe_load(realtime[name])["duration"])
left.plotly_chart(charts.cost_bars(table, hours), key="hosting-cost")
right.plotly_chart(charts.completion_bars(table, window), key="hosting-completion")
st.info(EXPLANATION)

st.subheader("One hosting kind over time")
single = {n: kind for kind in KINDS for n in presets[kind]}
if not single:
    st.info("No shipped scenario is an asynchronous endpoint or a Batch Transform job.")
    st.stop()
pick = st.selectbox("Scenario", list(single), key="hosting-single",
                    format_func=lambda n: f"{n} ({KINDS[single[n]]})")  # fmt: skip
kind, text = single[pick], presets[single[pick]][pick]
with state.shown_errors(f"{pick} cannot be run"):
    res = state.simulate(text, seed, force=state.forced())
st.caption(yaml.safe_load(text).get("description") or "")
hosting_view.show(res, kind)
