"""Plotly figures for the front end, one module per page that draws them.

- ``run``: one run over time (traffic share, latency, errors, capacity and cost, the
  audit trail), from a Result's metrics and events.
- ``compare``: risk against cost per strategy, from an experiment table.
- ``catalog``: latency against cost per target and model, from the catalog table.
- ``learn``: simulation against theory, and a canary's detection power (chart and table).
- ``strategy``: a release strategy from one run: traffic share and fleets over time.
- ``events``: the audit trail's key events as named markers on the time charts.
- ``process``: a release process over weeks (DORA's keys as tables, a timeline of
  changes, releases and incidents, lead times against DORA's edges).
- ``common``: what several of them share (palette, a version's colour, the layout).

Every chart is a pure function returning a figure, and nothing here imports Streamlit,
so each can be built and checked in a test.

May import: plotly, pandas and the simulator's results; never streamlit (charts are
pure functions, tested without a server).
"""
