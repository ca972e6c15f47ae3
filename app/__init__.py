"""The Streamlit front end: pages that draw widgets and call the simulator's public API.

`streamlit_app.py` routes; `sidebar.py` builds the scenario; `state.py` holds what pages
share; `pages/` one file per page; `charts/` the figures. May import: `simulator`.
"""
