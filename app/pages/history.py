"""Past runs and experiments from the run store: look again, download, run again."""

import streamlit as st

from simulator.store.runstore import RunStore, RunStoreError

st.title("Past runs")
store = RunStore()
st.caption(
    f"Run store: `{store.path}` (set `DEPLOYSIM_STORE` to use another). "
    "`deploysim run`, `compare` and `sweep` save here."
)
try:
    records = store.list(limit=200)
except RunStoreError as exc:
    st.error(str(exc))
    records = None
if records is not None and records.empty:
    st.info("Nothing saved yet: run `deploysim run SCENARIO` or `deploysim compare ...`.")
elif records is not None:
    st.dataframe(records, key="records")
    chosen = st.selectbox(
        "Record", records["id"].tolist(), key="record", format_func=lambda i: f"#{i}"
    )
    row = records[records["id"] == chosen].iloc[0]
    try:
        if row["type"] == "run":
            result, scenario, seed = store.load_run(int(chosen))
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
            st.dataframe(table, key="experiment")
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
