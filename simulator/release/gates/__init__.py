"""Release gates at work: one class per gate spec, behind the small interface of `Gate`.

`start` finds the class for a scenario's gate spec in `GATES` (keyed by the spec's class)
and starts it on the release. A new gate is a spec in `simulator.scenario.gates`, a class
here, and a line in `GATES`.

May import: `simulator.engine.control` (through `Control` only), `engine.events`,
`engine.recording.alarms`, `simulator.scenario` and `simulator.release.judge`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.release.gates.alarms import Alarms
from simulator.release.gates.argo import Argo
from simulator.release.gates.base import Gate, broken_checks
from simulator.release.gates.flagger import Flagger
from simulator.release.gates.kayenta import Kayenta
from simulator.release.gates.none import Ungated
from simulator.scenario import gates as specs

if TYPE_CHECKING:
    from simulator.engine.control import Control

GATES: dict[type[specs.GateBase], type[Gate]] = {
    specs.NoGate: Ungated,
    specs.AlarmsGate: Alarms,
    specs.FlaggerGate: Flagger,
    specs.ArgoGate: Argo,
    specs.KayentaGate: Kayenta,
}


def start(spec: specs.GateBase, ctx: Control, subject: str, baseline: str | None = None) -> Gate:
    """The gate a spec describes, measuring `subject` (against `baseline`) from now on."""
    return GATES[type(spec)](spec, ctx, subject, baseline).start()


__all__ = ["GATES", "Gate", "broken_checks", "start"]
