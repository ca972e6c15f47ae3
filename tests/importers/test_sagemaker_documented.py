"""SageMaker UpdateEndpoint requests as the developer guide writes them: imported, and the
linear one played as the guide describes it (each step turns a portion of green on and
deactivates the same size portion of blue, both fleets billed until blue is terminated).
"""

from __future__ import annotations

import pytest

import simulator as ds
from simulator.importers import import_config
from tests.importers.documented import every_file_has_its_case, folder, imports_as_expected
from tests.release.strategies.audit import kind, terminations

HERE, CASES = folder("sagemaker")


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_documented_request_imports_as_expected(name):
    imports_as_expected(HERE / name, CASES[name])


def test_every_file_in_the_folder_has_its_expectation():
    every_file_has_its_case(HERE, CASES)


def test_the_linear_update_moves_equal_portions_of_both_fleets_in_and_out_of_rotation():
    """25% of the default base's 4 instances: one green instance on and one blue off per
    step, 300 s apart; blue terminated 120 s (TerminationWaitInSeconds) after the last bake,
    billed whole until then."""
    sc = ds.load_scenario(import_config(HERE / "linear-blue-green.json"))
    res = ds.simulate(sc, seed=2)
    rows = kind(res, "ActiveInstances")[["time", "variant", "count"]].values.tolist()
    first = rows[0][0]
    steps = [(first + 300 * (k - 1), k) for k in range(1, 5)]
    assert rows == [row for t, k in steps for row in ([t, "v2", k], [t, "v1", 4 - k])]
    gone = first + 4 * 300 + 120
    assert terminations(res) == [(gone, 4, "v1")]
    m = res.metrics
    blue = m[(m["version"] == "v1") & (m["time_s"] >= first) & (m["time_s"] + 60 <= gone)]
    assert (blue["billed_instances"] == 4).all()
    assert res.summary["outcome"] == "promoted"
