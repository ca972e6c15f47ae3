"""Compare strategies side by side: risk, cost and performance with 95% intervals."""

import streamlit as st

from app import sidebar, state
from app.charts import compare as charts

st.title("Compare release strategies")
st.caption(
    "Replication k of every strategy runs on the same random numbers (traffic, "
    "failures, defect draws), so differences are the strategies', not noise's."
)

data = sidebar.scenario_form("compare")
if data is not None:
    text = state.yaml_text(data)
    left, mid, right = st.columns([3, 1, 1])
    chosen = left.multiselect(
        "Strategies",
        state.RELEASES,
        default=["big_bang", "canary", "blue_green", "rolling"],
        key="strategies",
    )
    replications = mid.number_input("Replications", 2, 100, 5, key="replications")
    seed = right.number_input("Seed", 0, 2**31 - 1, 1, key="seed")
    if not chosen:
        st.info("Pick at least one strategy.")
    elif data.get("release") is None:
        st.warning("This scenario has no release to roll out: pick a preset with one.")
    elif st.button("Run the comparison", type="primary", key="run"):
        st.session_state["compare_result"] = (text, tuple(chosen), int(replications), int(seed))

    request = st.session_state.get("compare_result")
    if request is not None and request[0] == text:
        with state.shown_errors("This comparison cannot be made"):
            table = state.compare(*request, force=state.forced())
        st.subheader("Risk")
        st.dataframe(
            state.mean_ci(
                table,
                {
                    "rolled back": "rolled_back",
                    "blast radius": "blast_radius",
                    "users affected": "users_affected",
                    "time to detect (s)": "time_to_detect_s",
                    "time to roll back (s)": "time_to_rollback_s",
                    "downtime (s)": "downtime_s",
                    "SLO minutes": "slo_violation_minutes",
                    "error budget burned": "error_budget_burned",
                },
            ),
            key="risk",
        )
        st.subheader("Cost and performance")
        st.dataframe(
            state.mean_ci(
                table,
                {
                    "cost ($)": "cost_usd",
                    "update cost ($)": "update_cost_usd",
                    "$ per 1M": "cost_per_million_usd",
                    "p50 (ms)": "latency_ms.p50",
                    "p95 (ms)": "latency_ms.p95",
                    "p99 (ms)": "latency_ms.p99",
                    "errors": "errors",
                    "availability": "availability",
                },
            ),
            key="perf",
        )
        st.plotly_chart(charts.risk_cost(table), key="risk_cost")
        st.download_button(
            "Download the table (CSV)",
            table.to_csv().encode(),
            "comparison.csv",
            "text/csv",
            key="csv",
        )
    state.download_scenario(text)
