"""The run store: results and experiment tables kept in SQLite, to list, reload and compare.

May import: `simulator.engine.result`, `simulator.scenario` and below.
"""
