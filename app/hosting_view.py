"""One Batch Transform job or asynchronous endpoint run, drawn: its figures and its chart.

Shared by the Hosting options page and the One run page, which hands such a run here:
neither kind has versions, a release or the engine's per-version metrics.
"""

import streamlit as st

from app.charts import hosting as charts


def show(res, kind: str) -> None:
    """Key figures with units, a sentence on the run, and its chart over time."""
    s = res.summary
    cols = st.columns(5)
    if kind == "batch_transform":
        cols[0].metric("Completion (min)", charts.figure(s["completion_time_s"] / 60))
        cols[1].metric("Throughput (records/s)", charts.figure(s["throughput_rps"]))
        cols[2].metric("Cost (USD)", charts.money(s["cost_usd"]).removeprefix("$"))
        cols[3].metric("Instance-hours (h)", charts.figure(s["instance_hours"]))
        cols[4].metric("Idle instances", f"{s['idle_instances']:,}")
        st.caption(
            f"{s['completed']:,} of {s['requests']:,} records scored in {s['mini_batches']:,} "
            f"mini-batches after {charts.figure(s['start_up_s'])} s of start-up; "
            f"{s['errors']:,} failed, outcome: {s['outcome']}."
        )
        figure = charts.batch_over_time(res.metrics, s["completion_time_s"], s["start_up_s"])
        st.plotly_chart(figure, key="hosting-over-time")
    else:
        latency = s["latency_ms"]
        cols[0].metric("Cost (USD)", charts.money(s["cost_usd"]).removeprefix("$"))
        cols[1].metric("Instance-hours (h)", charts.figure(s["instance_hours"]))
        cols[2].metric("Asleep at zero (min)", charts.figure(s["zero_instance_s"] / 60))
        cols[3].metric("p99 latency", charts.duration_ms(latency["p99"]))
        cols[4].metric("Expired requests", f"{s['expired']:,}")
        st.caption(
            f"{s['completed']:,} of {s['requests']:,} requests answered, {s['errors']:,} failed, "
            f"half of them within {charts.duration_ms(latency['p50'])}; the last answer at "
            f"minute {charts.figure(s['last_completion_s'] / 60)}."
        )
        st.plotly_chart(charts.async_over_time(res.metrics), key="hosting-over-time")
