"""Record the golden summaries: every preset and validation scenario, seeds 1 to 3.

    python -m tests.golden.record

Run it only when behaviour is meant to change (a fixed bug, a new quirk modelled), and
say in the commit why every changed figure changed; a restructuring must leave the file
as it is. Wall-clock figures are left out: they are not behaviour.
"""

from __future__ import annotations

import json
from pathlib import Path

from simulator import load_scenario, simulate

ROOT = Path(__file__).resolve().parents[2]
FILE = Path(__file__).with_name("summaries.json")
SEEDS = (1, 2, 3)
VOLATILE = {"wall_s", "requests_per_s"}


def scenario_files() -> list[Path]:
    """The presets and the validation scenarios, in a stable order."""
    return sorted((ROOT / "scenarios").glob("*.yaml")) + sorted(
        (ROOT / "scenarios" / "validation").glob("*.yaml")
    )


def summary(path: Path, seed: int) -> dict:
    """One run's summary as JSON would hold it, without wall-clock figures."""
    sc = load_scenario(path, trace_dirs=[ROOT / "scenarios"])
    result = simulate(sc, seed)
    kept = {k: v for k, v in result.summary.items() if k not in VOLATILE}
    return json.loads(json.dumps(kept, default=repr))


def cases() -> list[tuple[str, Path, int]]:
    """(key, scenario file, seed) for every golden summary."""
    return [(f"{p.relative_to(ROOT).as_posix()}:{seed}", p, seed)
            for p in scenario_files() for seed in SEEDS]  # fmt: skip


if __name__ == "__main__":
    record = {key: summary(path, seed) for key, path, seed in cases()}
    FILE.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(record)} summaries to {FILE.relative_to(ROOT)}")
