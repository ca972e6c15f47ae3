"""Import real release-controller configs into deploysim scenarios.

Users bring the files they already run; `import_config` detects what a file is and
returns scenario data (a dict `load_scenario` accepts): the `base` scenario (its
traffic, fleet, slo, monitoring... are kept) with the `strategy` and, where the file
says so, fleet/release fields replaced. Supported kinds (see each module for the exact
mapping and for what is ignored or refused):

- Argo Rollouts `Rollout` (canary) with its `AnalysisTemplate`s (multi-document YAML): `argo.py`
- Flagger `Canary`: `flagger.py`
- SageMaker `UpdateEndpoint` (DeploymentConfig) and `CreateEndpointConfig` with
  ShadowProductionVariants, both validated against botocore's service model: `sagemaker.py`

Nothing the simulator cannot represent is dropped silently: it is a `ConfigImportError`
naming the field and why. Purely cosmetic fields (metadata, selectors, pod templates,
service ports, provider addresses, names) are ignored, and fields that are reported but
do not change a run (e.g. progressDeadlineSeconds) are listed in the scenario's
`description` under "Import notes".

When no `base` is given, `DEFAULT_BASE` is used: 2 h at 20 req/s Poisson, 4 x
ml.c5.xlarge, release v2 with no defect, SLO p99 1 s and availability 99.9%, 60 s periods.

May import: `simulator.scenario`, `simulator.userfiles`, `simulator.errors` and botocore;
never the engine (importing runs nothing).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any, NoReturn

from simulator.errors import UserError
from simulator.importers import argo, flagger, sagemaker
from simulator.scenario.model import Scenario, ScenarioError, load_scenario
from simulator.userfiles import (
    InputError,
    brief,
    load_json,
    load_yaml,
    load_yaml_documents,
    read_text,
)

__all__ = ["ConfigImportError", "DEFAULT_BASE", "import_config"]

DEFAULT_BASE: dict[str, Any] = {
    "name": "imported",
    "duration": 7200,
    "warmup": 300,
    "traffic": {"pattern": "poisson", "rate": 20},
    "fleet": {"version": "v1", "instances": 4, "target": "ml.c5.xlarge"},
    "release": {"version": "v2"},
    "slo": {"latency_p99": "1s", "availability": 0.999},
    "monitoring": {"period": 60},
}

EXPECTED = (
    "expected an Argo Rollout (apiVersion argoproj.io/*, kind Rollout), a Flagger Canary "
    "(apiVersion flagger.app/*, kind Canary), a SageMaker UpdateEndpoint request "
    "(EndpointName + DeploymentConfig) or a SageMaker CreateEndpointConfig request "
    "(ProductionVariants)"
)

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


def import_config(
    source: str | Path | dict, base: Scenario | dict | str | Path | None = None
) -> dict:
    """Scenario data for a real tool's config file, on top of `base` (see the module doc)."""
    docs, where = _read(source)
    base_data, base_sc = _base(base)
    ctx = Context(where, base_sc)
    kind, patch = _convert(docs, ctx)
    data = _merge(base_data, patch, ctx, kind)
    try:
        load_scenario(copy.deepcopy(data))
    except ScenarioError as exc:
        raise ConfigImportError(
            f"{where}: the imported {kind} is not a valid scenario: {exc}"
        ) from None
    return data


def _read(source: str | Path | dict) -> tuple[list[Any], str]:
    """The file's documents (YAML may hold several) and a name for messages.

    Files and text are read by `userfiles`, which refuses binary, non-UTF-8, oversized,
    too deeply nested, alias-bomb and duplicate-key input before building anything.
    """
    if isinstance(source, dict):
        return [source], "<dict>"
    is_path = isinstance(source, Path) or (
        "\n" not in source and source.strip().endswith((".json", ".yaml", ".yml"))
    )
    where = str(source) if is_path else "<text>"
    try:
        text = read_text(source, "config") if is_path else source
        if where.endswith(".json"):
            docs = [load_json(text, where)]
        else:
            docs = [d for d in load_yaml_documents(text, where) if d is not None]
    except InputError as exc:
        raise ConfigImportError(str(exc)) from None
    if not docs:
        raise ConfigImportError(f"{where}: the file is empty; {EXPECTED}")
    return docs, where


def _base(base: Scenario | dict | str | Path | None) -> tuple[dict, Scenario]:
    """The base scenario as plain data (kept as written) and validated (for its durations)."""
    where = "<dict>"
    if base is None:
        data = copy.deepcopy(DEFAULT_BASE)
    elif isinstance(base, Scenario):
        data = base.model_dump(mode="json", exclude_none=True)
    elif isinstance(base, dict):
        data = copy.deepcopy(base)
    else:
        is_path = isinstance(base, Path) or "\n" not in base
        where = str(base) if is_path else "<text>"
        try:
            data = load_yaml(read_text(base, "scenario") if is_path else base, where)
        except InputError as exc:
            raise ConfigImportError(f"base scenario: {exc}") from None
    if not isinstance(data, dict):
        got = "an empty file" if data is None else type(data).__name__
        raise ConfigImportError(f"base scenario: {where}: expected a mapping of scenario "
                                f"fields at the top level, got {got}")  # fmt: skip
    try:
        sc = load_scenario(copy.deepcopy(data))
    except ScenarioError as exc:
        raise ConfigImportError(f"base scenario: {where}: {exc}") from None
    return data, sc


def _kind(doc: Any) -> str | None:
    """Which supported kind a document is, if any."""
    if not isinstance(doc, dict):
        return None
    api = doc.get("apiVersion")
    api = api if isinstance(api, str) else ""
    if api.startswith("argoproj.io/") and doc.get("kind") == "Rollout":
        return "Argo Rollout"
    if api.startswith("flagger.app/") and doc.get("kind") == "Canary":
        return "Flagger Canary"
    if "DeploymentConfig" in doc or ("EndpointName" in doc and "EndpointConfigName" in doc):
        return "SageMaker UpdateEndpoint"
    if "ProductionVariants" in doc:
        return "SageMaker CreateEndpointConfig"
    return None


def _convert(docs: list[Any], ctx: Context) -> tuple[str, dict]:
    """Detect the kind and run its converter."""
    kinds = [k for k in map(_kind, docs) if k]
    if not kinds:
        found = [f"{Context.key(d.get('apiVersion', '?'))} {Context.key(d['kind'])}" for d in docs
                 if isinstance(d, dict) and "kind" in d]  # fmt: skip
        what = f" (found {', '.join(found)})" if found else ""
        ctx.fail("kind", f"unknown kind{what}; {EXPECTED}")
    if len(kinds) > 1:
        ctx.fail("kind", f"one release per file, found {len(kinds)}: {', '.join(kinds)}")
    kind = kinds[0]
    if kind == "Argo Rollout":
        return kind, argo.convert(docs, ctx)
    if len(docs) > 1:
        ctx.fail("documents", f"a {kind} file holds one document, found {len(docs)}")
    if kind == "Flagger Canary":
        return kind, flagger.convert(docs[0], ctx)
    if kind == "SageMaker UpdateEndpoint":
        return kind, sagemaker.convert_update_endpoint(docs[0], ctx)
    return kind, sagemaker.convert_endpoint_config(docs[0], ctx)


def _merge(base: dict, patch: dict, ctx: Context, kind: str) -> dict:
    """The base with the converter's strategy, fleet/release fields and alarms applied."""
    data = copy.deepcopy(base)
    strategy = patch["strategy"]
    start = (data.get("strategy") or {}).get("start")
    if start is not None and "start" not in strategy:
        strategy["start"] = start
    data["strategy"] = strategy
    data["fleet"] = {**(data.get("fleet") or {}), **patch.get("fleet", {})}
    data["release"] = {**(data.get("release") or {"version": "v2"}), **patch.get("release", {})}
    alarms = patch.get("alarms", [])
    if alarms:
        monitoring = data.setdefault("monitoring", {})
        have = {a["name"] for a in monitoring.get("alarms", [])}
        monitoring["alarms"] = list(monitoring.get("alarms", [])) + [
            a for a in alarms if a["name"] not in have
        ]
    text = f"Imported from {ctx.where} ({kind})."
    if ctx.notes:
        text += " Import notes: " + "; ".join(ctx.notes) + "."
    data["description"] = (data.get("description", "") + "\n" + text).strip()
    return data
