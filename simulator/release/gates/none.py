"""No gate: every bake simply elapses and nothing is ever rolled back."""

from __future__ import annotations

from simulator.release.gates.base import Gate


class Ungated(Gate):
    """Measures nothing."""

    measures = False
