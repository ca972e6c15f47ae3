"""Compare strategies side by side: risk, cost and performance with 95% intervals.

Each compared strategy runs with the settings the sidebar shows for it. Results are shown
only for the inputs they were made from: change a setting and they are cleared until
the comparison is run again. A comparison run here is kept in the run store ("Past runs").
"""

import streamlit as st

from app import sidebar, state, tables, whatif
from app.charts import compare as charts
from simulator import display
from simulator.store.files import RunStoreError

PAGE = "compare"
DEFAULT = ["big_bang", "canary", "blue_green", "rolling"]
COST = [
    "cost_usd",
    "update_cost_usd",
    "cost_per_million_usd",
    "latency_ms.p50",
    "latency_ms.p95",
    "latency_ms.p99",
    "errors",
    "availability",
]

st.title("Compare release strategies")
st.caption(
    "Replication k of every strategy runs on the same random numbers (traffic, "
    "failures, defect draws), so differences are the strategies', not noise's."
)
left, mid, right = st.columns([3, 1, 1])
chosen = whatif.widget(left.multiselect, "Strategies", "strategies", PAGE, list(DEFAULT),
                       scenario=False, options=state.RELEASES,
                       format_func=lambda s: s.replace("_", " "))  # fmt: skip
replications = whatif.widget(mid.number_input, "Replications", "replications", PAGE, 5,
                             scenario=False, min_value=2, max_value=100)  # fmt: skip
seed = whatif.widget(right.number_input, "Seed", "seed", PAGE, 1, scenario=False,
                     min_value=0, max_value=2**31 - 1)  # fmt: skip

form = sidebar.scenario_form(PAGE, compared=chosen)
if form is None:
    st.stop()
text = state.yaml_text(form.data)
specs = tuple(state.yaml_text(form.strategies[k]) for k in chosen if k in form.strategies)
request = (text, specs, int(replications), int(seed))
ran = st.session_state.get("compare_request")
if not chosen:
    st.info("Pick at least one strategy.")
elif form.data.get("release") is None:
    st.warning("This scenario has no release to roll out: pick a preset with one.")
elif st.button("Run the comparison", type="primary", key="run"):
    st.session_state["compare_request"] = ran = request
if chosen and ran is not None and ran != request:
    st.info("The settings changed since the last comparison: run it again for these.")

if chosen and ran == request:
    with state.shown_errors("This comparison cannot be made"):
        table = state.compare(*request, force=state.forced())
    saved = st.session_state.get("compare_saved")
    if saved is None or saved[0] != request:  # kept once, when it is first made
        try:
            saved = (request, state.save_comparison(table, *request))
        except RunStoreError as exc:
            st.warning(f"This comparison was not kept in the run store: {exc}")
            saved = (request, None)
        st.session_state["compare_saved"] = saved
    if saved[1] is not None:
        st.caption(f"Kept in the run store as record #{saved[1]} (see Past runs).")
    st.subheader("Risk")
    st.caption(
        "Mean over the replications ± the half-width of its 95% interval; n/a where "
        "a figure does not apply (no time to roll back where nothing rolled back)."
    )
    st.dataframe(tables.intervals(table, display.RISK), key="risk")
    st.subheader("Cost and performance")
    st.dataframe(tables.intervals(table, COST), key="perf")
    st.plotly_chart(charts.risk_cost(table), key="risk_cost")
    st.download_button(
        "Download the table (CSV)",
        table.to_csv().encode(),
        "comparison.csv",
        "text/csv",
        key="csv",
    )
state.download_scenario(text)
