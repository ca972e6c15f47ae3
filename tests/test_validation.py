"""`deploysim validate` passes: every theory case, exactly as the CLI runs it."""

import pytest

from simulator import theory
from simulator.validation import cases, validate


def test_every_validation_case_agrees_with_theory():
    table = validate()  # the CLI's defaults: 8 replications, seed 0, full length
    missed = table.loc[~table["ok"], ["case", "theory", "simulated", "ci_half_width"]]
    assert missed.empty, missed.to_string()
    assert (table["rel_error"] < 0.05).all()


def test_cases_span_rho_from_0_3_to_0_95():
    names = [c.name for c in cases()]
    for rho in ("0.3", "0.95"):
        assert any(f"rho={rho}" in n for n in names)


def test_case_theory_values_are_the_closed_forms():
    by_name = {c.name: c.theory for c in cases()}
    assert by_name["M/M/1 rho=0.9"] == pytest.approx(0.9)  # rho / (mu - lam), mu = 10
    assert by_name["Erlang B c=5 a=4"] == pytest.approx(theory.erlang_b(5, 4.0))
