"""One run over time: traffic per version, latency against the SLO, errors, capacity, cost.

The headline figures say how the release went: its outcome, how long it took to detect
a bad release and to roll it back (n/a where nothing was detected or rolled back).
"""

import streamlit as st

from app import hosting_view, sidebar, state, tables, whatif
from app.charts import run as charts
from simulator import display
from simulator.scenario import security

PAGE = "run"

st.title("One run over time")

form = sidebar.scenario_form(PAGE)
if form is not None:
    data = form.data
    seed = whatif.widget(st.number_input, "Seed", "seed", PAGE, 1, scenario=False,
                         min_value=0, max_value=2**31 - 1)  # fmt: skip
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
        st.dataframe(tables.events(res.events[["time", "kind", "detail"]]), key="events")
        st.stop()
    st.caption(f"{s['requests']:,} requests, {data['traffic'].get('pattern')} traffic")
    release = data.get("release") is not None
    figures = {
        "Outcome": s["outcome"].replace("_", " "),
        "Time to detect": tables.headline("time_to_detect_s", s) if release else display.NA,
        "Time to roll back": tables.headline("time_to_rollback_s", s) if release else display.NA,
        "Blast radius (requests)": display.written("blast_radius", s),
        "Availability (%)": display.written("availability", s),
        "p99 latency (ms)": display.written("latency_ms.p99", s),
        "Cost ($)": display.written("cost_usd", s),
        "Error budget burned (%)": display.written("error_budget_burned", s),
    }
    for i in range(0, len(figures), 4):
        row = list(figures.items())[i : i + 4]
        for col, (label, value) in zip(st.columns(4), row, strict=True):
            col.metric(label, value)
    slo_ms = 1e3 * data["slo"]["latency_p99"] if data.get("slo", {}).get("latency_p99") else None
    m, events = res.metrics, res.events
    st.plotly_chart(charts.traffic_share(m), key="share")
    st.plotly_chart(charts.latency(m, slo_ms, events), key="latency")
    st.plotly_chart(charts.errors(m, events), key="errors")
    st.plotly_chart(charts.capacity_cost(m, events), key="capacity")
    st.subheader("What happened, when")
    st.plotly_chart(charts.timeline(events), key="timeline")
    st.dataframe(tables.events(events), key="events")
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
