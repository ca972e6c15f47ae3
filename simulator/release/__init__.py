"""How a release is carried out.

One controller per strategy and one class per gate, found
through registries keyed by the spec's `type`, plus Kayenta's judge. They act on a run
only through `simulator.engine.control.Control`.

May import: `simulator.engine`, `simulator.scenario` and below.
"""
