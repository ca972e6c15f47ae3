"""Checking the arguments a random process is built with, with messages that name them.

The schema has already refused bad input from a user; these checks guard the processes
when they are built directly (tests, notebooks), so a NaN rate fails where it is given.
"""

from __future__ import annotations

import math

import numpy as np


def number(owner: str, name: str, value: object, kind: str = "positive") -> float:
    """Return `value` as a float, or raise ValueError naming the argument.

    `kind` is "positive", "non-negative" or "finite" (any sign).
    """
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        x = math.nan
    if not (
        math.isfinite(x) and (kind == "finite" or x > 0 or (kind == "non-negative" and x == 0))
    ):
        what = "a finite number" if kind == "finite" else f"a {kind} finite number"
        raise ValueError(f"{owner}: {name} must be {what}, got {value!r}")
    return x


def generator(owner: str, rng: object) -> np.random.Generator:
    """The generator a process draws from, refused if it is anything else (global state)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{owner}: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng
