"""deploysim's front end: compare release strategies for risk, cost and performance.

Thin on purpose: it only routes to the pages in `app/pages/`. The sidebar's scenario
form is in `app/sidebar.py`, what pages share (cached runs, clean errors) in
`app/state.py`, and the charts in `app/charts/`, a module per page (pure functions);
every number comes from the `simulator` package's public API.
Run it with `deploysim app` (or `streamlit run app/streamlit_app.py`).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts only app/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

st.set_page_config(page_title="deploysim", page_icon=":material/rocket_launch:", layout="wide")
pages = [
    st.Page(
        "pages/compare.py", title="Compare strategies", icon=":material/compare:", default=True
    ),
    st.Page("pages/run.py", title="One run over time", icon=":material/timeline:"),
    st.Page("pages/process.py", title="Release process", icon=":material/conveyor_belt:"),
    st.Page("pages/hosting.py", title="Hosting options", icon=":material/dns:"),
    st.Page("pages/catalog.py", title="Hardware catalog", icon=":material/memory:"),
    st.Page("pages/learn.py", title="Learn", icon=":material/school:"),
    st.Page("pages/history.py", title="Past runs", icon=":material/history:"),
]
st.navigation(pages).run()
