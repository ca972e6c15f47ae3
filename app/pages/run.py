"""One run over time: traffic per version, latency against the SLO, errors, capacity, cost."""

import streamlit as st

from app import hosting_view, sidebar, state
from app.charts import run as charts
from simulator.scenario import security

st.title("One run over time")

data = sidebar.scenario_form("run")
if data is not None:
    seed = st.number_input("Seed", 0, 2**31 - 1, 1, key="seed")
    st.caption("The strategy and its settings are in the sidebar (Strategy settings).")
    text = state.yaml_text(data)
    with state.shown_errors("This run cannot be made"):
        res = state.simulate(text, int(seed), force=state.forced())
    s = res.summary
    kind = (data.get("hosting") or {}).get("kind", "realtime")
    if kind != "realtime":  # a job or an asynchronous endpoint: no versions, no release
        what = "A Batch Transform job" if kind == "batch_transform" else "An asynchronous endpoint"
        st.info(f"{what} plays no release; its run is drawn as the Hosting options page draws it.")
        hosting_view.show(res, kind)
        st.dataframe(res.events[["time", "kind", "detail"]], key="events")
        st.stop()
    st.caption(f"{s['requests']:,} requests, {data['traffic'].get('pattern')} traffic")
    cols = st.columns(5)
    cols[0].metric("Outcome", s["outcome"].replace("_", " "))
    cols[1].metric("Blast radius", f"{s['blast_radius']:,}")
    cols[2].metric("Availability", f"{s['availability']:.4%}" if s["availability"] else "-")
    cols[3].metric("p99 (ms)", f"{s['latency_ms']['p99']:,.1f}" if s["latency_ms"]["p99"] else "-")
    cols[4].metric("Cost ($)", f"{s['cost_usd']:,.2f}")
    slo_ms = 1e3 * data["slo"]["latency_p99"] if data.get("slo", {}).get("latency_p99") else None
    m, events = res.metrics, res.events
    st.plotly_chart(charts.traffic_share(m), key="share")
    st.plotly_chart(charts.latency(m, slo_ms, events), key="latency")
    st.plotly_chart(charts.errors(m, events), key="errors")
    st.plotly_chart(charts.capacity_cost(m, events), key="capacity")
    st.subheader("What happened, when")
    st.plotly_chart(charts.timeline(events), key="timeline")
    st.dataframe(events, key="events")
    st.download_button(
        "Download the metrics (CSV)",
        m.to_csv(index=False).encode(),
        "metrics.csv",
        "text/csv",
        key="csv",
    )
    if data.get("security") is not None:
        with st.expander("Security posture"):
            spec = security.SecuritySpec.model_validate(data["security"])
            checked = security.findings(spec)
            found = sum(f.status == "finding" for f in checked)
            st.caption(f"{found} of {len(checked)} practices need a change; each row names "
                       "the scenario field that sets it (docs/reference/security.md).")  # fmt: skip
            st.dataframe(charts.security_table(checked), hide_index=True, key="security")
            figures = charts.security_figures(spec, s.get("security_cost_usd"))
            for col, (label, value) in zip(st.columns(len(figures)), figures.items(), strict=True):
                col.metric(label, value)
    with st.expander("The scenario as run (YAML)"):
        st.code(text, language="yaml")
    state.download_scenario(text)
