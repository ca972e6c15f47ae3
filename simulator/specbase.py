"""Building blocks shared by every part of the scenario schema.

`Spec` is the base of all scenario models: unknown keys are errors, with a
"did you mean" when a known key is close, because a typo in a YAML key silently
falling back to a default is the worst kind of wrong answer. `Duration` accepts
seconds or strings such as "250ms", "90s", "10m", "2h", "1d".
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

_UNITS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ms|s|min|m|h|d)?\s*$")


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string like '250ms', '10m', '2h' (a bare number is seconds)."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30, '250ms', '10m' or '2h', got a boolean")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ValueError(
            f"expected a duration such as 30, '250ms', '90s', '10m' or '2h', got {value!r}"
        )
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be finite and not negative, got {value!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest readable form of a duration, for tables and the audit trail."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    if seconds >= 1:
        return f"{seconds:g}s"
    return f"{seconds * 1000:g}ms"


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A duration in seconds; YAML may write it as a number or a string with a unit."""


class Spec(BaseModel):
    """Base of every scenario model: frozen, and strict about unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            for key in data:
                if key not in known:
                    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise ValueError(
                        f"unknown key '{key}'{hint}; known keys: {', '.join(sorted(known))}"
                    )
        return data


def parse_share(value: Any) -> int | float:
    """An instance count (an int) or a share of a fleet: '25%' or a fraction like 0.25."""
    if isinstance(value, bool):
        raise ValueError("expected an instance count or a percentage like '25%', got a boolean")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else int(text)
        except ValueError:
            raise ValueError(
                f"expected an instance count or a percentage like '25%', got {value!r}"
            ) from None
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"an instance count cannot be negative, got {value}")
        return value
    if isinstance(value, float) and 0 <= value <= 1:
        return value
    raise ValueError(f"expected an instance count or a share between 0% and 100%, got {value!r}")


def share_count(share: int | float, of: int, *, round_up: bool) -> int:
    """Instances a share stands for: counts as they are, percentages rounded like Kubernetes."""
    if isinstance(share, int):
        return share
    exact = share * of
    return math.ceil(exact - 1e-9) if round_up else math.floor(exact + 1e-9)


Share = Annotated[int | float, BeforeValidator(parse_share)]
"""An instance count (3) or a share of the fleet ('25%', 0.25)."""
