"""The hardware catalog: latency against cost per target and model, with the sources.

Where Elastic Inference rows are shown, the page says why EI looks dear today although it
was sold as cheap: `simulator.catalog.elastic` compares it, for one model, with the GPU
instances of its time (p2, p3) and of today (g4dn, inf1, inf2), per hour and per million.
"""

import streamlit as st

from app.charts import catalog as charts
from simulator import catalog
from simulator.catalog import elastic

# elastic_inference_comparison's columns -> headers with units, and how numbers are shown.
EI_HEADERS = {
    "option": "target (+ accelerator)",
    "kind": "kind",
    "era": "era",
    "price_per_hour_usd": "price (USD per hour)",
    "capacity_rps": "capacity (requests/s)",
    "cost_per_million_usd": "cost per 1M requests (USD)",
    "p50_ms": "p50 latency (ms)",
    "verdict": "verdict",
}
EI_FORMATS = {
    "price (USD per hour)": "$%.3f",
    "capacity (requests/s)": "%.1f",
    "cost per 1M requests (USD)": "$%.3f",
    "p50 latency (ms)": "%.2f",
}

st.title("Hardware catalog")
st.caption(
    "CPU, GPU, Inferentia, Elastic Inference (legacy) and Neo-compiled targets; "
    "every figure cites its source."
)
table = catalog.catalog_table()
models = sorted(table["model"].unique()) if "model" in table else []
chosen = st.multiselect("Models", models, default=models, key="models")
shown = table[table["model"].isin(chosen)] if "model" in table else table
st.plotly_chart(charts.catalog(shown), key="chart")
st.dataframe(shown, key="table")

ei_models = sorted(shown.loc[shown["accelerator"] != "", "model"].unique()) if len(shown) else []
if ei_models:
    st.subheader("Elastic Inference against GPUs")
    st.info(elastic.EXPLANATION)
    model = st.selectbox("Model to compare", ei_models, key="ei-model")
    comparison = elastic.elastic_inference_comparison(model)
    st.markdown(elastic.headline(comparison).replace("$", "\\$"))  # "$" is not LaTeX here
    formats = {h: st.column_config.NumberColumn(h, format=f) for h, f in EI_FORMATS.items()}
    st.dataframe(
        comparison[list(EI_HEADERS)].rename(columns=EI_HEADERS),
        column_config=formats,
        hide_index=True,
        key="ei-table",
    )
    st.plotly_chart(charts.elastic_costs(comparison, model), key="ei-chart")
