"""The Streamlit front end: pages that draw widgets and call the simulator's public API.

`streamlit_app.py` routes; `sidebar.py` builds the scenario, `presets.py` groups the presets
and `whatif.py` keeps its settings across pages; `state.py` holds what pages share (cached
runs, the run store); `tables.py` writes tables with `simulator.display`; `pages/` one file
per page (`learn_*.py` the Learn page's tabs); `charts/` the figures. May import: `simulator`.
"""
