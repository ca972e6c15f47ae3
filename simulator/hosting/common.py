"""What both players share: named random streams, the fleet resolved, latency statistics, frames."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simulator.engine.events import FIELDS, EventKind
from simulator.engine.fleet import Variant, build_variant
from simulator.scenario import Scenario

STREAMS = ("traffic", "service", "errors")
"""Each player's random streams, spawned from the seed in this order."""


def streams(seed: int) -> dict[str, np.random.Generator]:
    """Independent generators per source, so changing one source reshuffles no other."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(s) for name, s in zip(STREAMS, children, strict=True)}


def fleet_variant(sc: Scenario) -> Variant:
    """The fleet resolved against the catalog: service time, workers, price, start-up time."""
    return build_variant(sc.fleet.version, sc.fleet, is_release=False, platform=sc.platform.name)


def latency_ms(seconds: np.ndarray) -> dict[str, float | None]:
    """Mean and percentiles in milliseconds, exact over the sample; None when it is empty."""
    if seconds.size == 0:
        return {"mean": None, "p50": None, "p95": None, "p99": None}
    p50, p95, p99 = np.quantile(seconds, [0.5, 0.95, 0.99]) * 1000.0
    return {"mean": float(seconds.mean() * 1000.0), "p50": float(p50), "p95": float(p95),
            "p99": float(p99)}  # fmt: skip


class Trail:
    """The audit trail as rows, one DataFrame at the end (the engine's columns and dtypes)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, t: float, kind: EventKind, detail: str, **fields: Any) -> None:
        """One event at time t, filling exactly the fields its kind lists."""
        assert set(fields) == set(kind.fields), (kind, fields)
        self.rows.append({"time": t, "kind": str(kind), "detail": detail, **fields})

    def frame(self) -> pd.DataFrame:
        """Events in time order, with every field column typed as `FIELDS` says."""
        rows = sorted(self.rows, key=lambda row: row["time"])
        head = ("time", "kind", "detail")
        frame = pd.DataFrame({key: [row[key] for row in rows] for key in head}, columns=head)
        frame = frame.astype({"time": "float64"})
        for name, dtype in FIELDS.items():
            values = [row.get(name) for row in rows]
            frame[name] = pd.Series(values, index=frame.index, dtype=dtype)
        return frame
