"""The hardware catalog: latency against cost per target and model, with the sources."""

import streamlit as st

from app.charts import catalog as charts
from simulator import catalog

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
