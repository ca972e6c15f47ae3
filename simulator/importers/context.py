"""What every converter reads a foreign config through: typed accessors that name the field.

A converter never indexes a document directly: `Context` reads each value with its type
and range and refuses anything else with a `ConfigImportError` naming the file and the
field path, so a wrong value never surfaces as a KeyError from inside a converter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, NoReturn

from simulator.errors import UserError
from simulator.userfiles import brief

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario

_GO_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class ConfigImportError(UserError):
    """A config that cannot be imported faithfully; the message names the file and field."""


class Context:
    """What a converter needs: where the file is, the base scenario, and a place for notes.

    Converters read every field through the typed accessors below (`mapping`, `items`,
    `text`, `flag`, `number`, `integer`, `choice`, `duration`), so a value of the wrong
    type or outside the tool's range is refused naming its field path, never surfacing as
    a KeyError or ValueError from inside a converter. Values in messages are cut short.
    """

    def __init__(self, where: str, base: Scenario) -> None:
        self.where, self.base = where, base
        self.notes: list[str] = []

    def fail(self, field: str, why: str) -> NoReturn:
        """Refuse the file, naming the field, so nothing is dropped without the user knowing."""
        raise ConfigImportError(f"{self.where}: {field}: {why}")

    def note(self, text: str) -> None:
        """Record a field that is read but does not change the run, for the description."""
        self.notes.append(text)

    def unknown(self, mapping: dict, known: Collection[str], field: str) -> None:
        """Refuse fields this importer does not map, so none is dropped silently."""
        for key in mapping:
            if key not in known:
                name = self.key(key)
                self.fail(f"{field}.{name}" if field else name,
                          "not supported by the importer (no simulator equivalent)")  # fmt: skip

    @staticmethod
    def key(key: Any) -> str:
        """A key or name from the file as part of a field path: as written, cut if long."""
        return key if isinstance(key, str) and len(key) <= 60 else brief(key)

    def mapping(self, value: Any, field: str) -> dict:
        """A mapping of fields; a missing or null one reads as empty."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(field, f"expected a mapping of fields, got {brief(value)}")
        return value

    def items(self, value: Any, field: str) -> list:
        """A list; a missing or null one reads as empty."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(field, f"expected a list, got {brief(value)}")
        return value

    def text(self, value: Any, field: str) -> str:
        """A non-empty string: a name, a query, a condition."""
        if not isinstance(value, str) or not value.strip():
            self.fail(field, f"expected text, got {brief(value)}")
        return value

    def flag(self, value: Any, field: str) -> bool:
        """A boolean: YAML's true or false (quoted text such as 'false' is refused)."""
        if not isinstance(value, bool):
            self.fail(field, f"expected true or false, got {brief(value)}")
        return value

    def number(
        self, value: Any, field: str, low: float | None = None, high: float | None = None,
        why: str = "",
    ) -> float:  # fmt: skip
        """A finite number within [low, high]; quoted numbers and booleans are refused."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, f"expected a number, got {brief(value)}")
        self._within(value, field, low, high, why)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.fail(field, f"expected a finite number, got {brief(value)}")
        return number

    def integer(
        self, value: Any, field: str, low: int | None = None, high: int | None = None,
        why: str = "",
    ) -> int:  # fmt: skip
        """A whole number within [low, high] (2.0 reads as 2); for counts and whole percents."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, f"expected a number, got {brief(value)}")
        if not isinstance(value, int):
            self.fail(field, f"expected a whole number, got {brief(value)}{_because(why)}")
        self._within(value, field, low, high, why)
        return value

    def choice(self, value: Any, field: str, choices: Collection[str], why: str = "") -> str:
        """One of the names a tool documents (a metric, a traffic type, a routing strategy)."""
        if not isinstance(value, str) or value not in choices:
            names = list(choices)
            listed = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if names[8:] else "")
            self.fail(field, f"{brief(value)} is not one of {listed}{_because(why)}")
        return value

    def duration(self, value: Any, field: str) -> float:
        """Seconds from a Go duration ('90s', '1m30s', '1h') or a whole number of seconds.

        Argo reads an integer as seconds (IntOrString pause.duration); both tools refuse
        negative durations (Argo: "Duration needs to be greater than 0").
        """
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.number(value, field, low=0, why="a duration cannot be negative")
        text = value.strip() if isinstance(value, str) else ""
        if len(text) <= 32 and re.fullmatch(r"[0-9]+", text):
            return float(text)
        parts = _GO_DURATION.findall(text) if len(text) <= 32 else []
        if not parts or "".join(n + u for n, u in parts) != text:
            self.fail(field, f"expected a duration like '30s', '10m' or '1h', got {brief(value)}")
        return sum(float(n) * _UNITS[u] for n, u in parts)

    def _within(self, value: float, field: str, low: float | None, high: float | None,
                why: str) -> None:  # fmt: skip
        if (low is None or value >= low) and (high is None or value <= high):
            return
        if low is not None and high is not None:
            span = f"{low:g} to {high:g}"
        else:
            span = f"at least {low:g}" if low is not None else f"at most {high:g}"
        self.fail(field, f"{brief(value)} is out of range ({span}){_because(why)}")


def _because(why: str) -> str:
    return f": {why}" if why else ""
