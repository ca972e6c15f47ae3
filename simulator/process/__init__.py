"""The release process over weeks: changes merged, tested by CI, delivered and released.

`simulation.run_process(sc, seed)` plays a scenario's `process:` section: the working
`calendar`, the `changes` stream, the CI `pipeline` on shared runners, the `delivery`
mode, each release through the engine (`releases`), and DORA's four keys (`dora`).
May import: `simulator.run` and everything below it; never analysis or a front end.
"""
