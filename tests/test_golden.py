"""Every preset's summary for seeds 1-3 as recorded before the code was last rearranged.

A restructuring moves code without changing behaviour: this is the proof. The file was
recorded (`python -m tests.golden.record`) on the code before the packages were laid out
and matched the rearranged code to the last digit on this machine. Counts must match
exactly; real numbers to a relative 1e-9, because another CPU may vectorise numpy's
float sums in another order (a rounding in the 16th digit), while any change of
behaviour moves them by far more (one request more changes a mean in the 6th digit).
"""

import json
import math

import pytest

from tests.golden.record import FILE, cases, summary

GOLDEN = json.loads(FILE.read_text())
RELATIVE = 1e-9


def same(got, want, where: str = "") -> list[str]:
    """Where `got` differs from `want` (exact for everything but floats)."""
    if isinstance(want, dict) and isinstance(got, dict):
        if got.keys() != want.keys():
            return [f"{where}: keys {sorted(set(got) ^ set(want))}"]
        return [d for k in want for d in same(got[k], want[k], f"{where}.{k}")]
    if isinstance(want, float) and isinstance(got, float):
        if math.isclose(got, want, rel_tol=RELATIVE, abs_tol=1e-300):
            return []
        return [f"{where}: {got!r} != {want!r}"]
    return [] if got == want and type(got) is type(want) else [f"{where}: {got!r} != {want!r}"]


def test_the_golden_file_covers_every_preset_and_seed():
    assert sorted(GOLDEN) == sorted(key for key, _, _ in cases())


@pytest.mark.parametrize("key, path, seed", cases(), ids=[key for key, _, _ in cases()])
def test_a_summary_is_what_it_was(key, path, seed):
    assert same(summary(path, seed), GOLDEN[key]) == []


def test_the_comparison_can_fail():
    want = GOLDEN[next(iter(GOLDEN))]
    nudged = json.loads(json.dumps(want))
    nudged["latency_ms"]["p99"] *= 1 + 1e-7
    nudged["requests"] += 1
    assert len(same(nudged, want)) == 2
