"""Past runs and experiments from the run store: look again, download, run again.

Runs come from `deploysim run`; comparisons from `deploysim compare` and from the
Compare page; sweeps from `deploysim sweep`. Every table reads as the pages' tables do
(`app/tables.py`): units in the headers, rates as percentages, no scientific notation.
"""

import streamlit as st

from app import tables
from simulator.store.runstore import RunStore, RunStoreError

st.title("Past runs")
store = RunStore()
st.caption(
    f"Run store: `{store.path}` (set `DEPLOYSIM_STORE` to use another). "
    "`deploysim run`, `compare` and `sweep` save here, and so does the Compare page."
)
try:
    records = store.list(limit=200)
except RunStoreError as exc:
    st.error(str(exc))
    records = None
if records is not None and records.empty:
    st.info(
        "Nothing saved yet: run a comparison on the Compare page, or "
        "`deploysim run SCENARIO` or `deploysim compare ...`."
    )
elif records is not None:
    st.dataframe(tables.records(records), hide_index=True, key="records")
    kinds = dict(zip(records["id"], records["kind"], strict=True))
    chosen = st.selectbox(
        "Record",
        records["id"].tolist(),
        key="record",
        format_func=lambda i: f"#{i} ({tables.RECORD_KINDS.get(kinds[i], kinds[i])})",
    )
    row = records[records["id"] == chosen].iloc[0]
    try:
        if row["type"] == "run":
            result, scenario, seed = store.load_run(int(chosen))
            st.subheader(f"Run #{chosen}: {scenario.name}, seed {seed}")
            st.dataframe(tables.summary(result.summary), hide_index=True, key="summary")
            with st.expander("Its summary as stored (JSON)"):
                st.json(result.summary, expanded=False)
            st.download_button(
                "Download its metrics (CSV)",
                result.metrics.to_csv(index=False).encode(),
                f"run-{chosen}.csv",
                "text/csv",
                key="csv",
            )
            st.download_button(
                "Download its scenario (YAML)",
                scenario.to_yaml().encode(),
                f"run-{chosen}.yaml",
                "application/yaml",
                key="yaml",
            )
        else:
            table, meta = store.load_experiment(int(chosen))
            what = tables.RECORD_KINDS.get(meta["kind"], meta["kind"])
            st.subheader(f"{what.capitalize()} #{chosen}: {meta['scenario']}")
            st.caption(
                f"{meta['replications']} replications from seed {meta['seed']}, saved "
                f"{str(meta['created'])[:16].replace('T', ' ')} UTC"
                + (f"; {meta['label']}" if meta.get("label") else "")
                + ". Mean ± the half-width of its 95% interval."
            )
            st.dataframe(tables.experiment(table), key="experiment")
            st.download_button(
                "Download the table (CSV)",
                table.to_csv().encode(),
                f"experiment-{chosen}.csv",
                "text/csv",
                key="csv",
            )
            st.download_button(
                "Download its scenario (YAML)",
                meta["scenario_yaml"].encode(),
                f"experiment-{chosen}.yaml",
                "application/yaml",
                key="yaml",
            )
    except RunStoreError as exc:
        st.error(str(exc))
