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
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, NoReturn

import yaml

from ..scenario import Scenario, ScenarioError, load_scenario
from . import argo, flagger, sagemaker

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


class ConfigImportError(ValueError):
    """A config that cannot be imported faithfully; the message names the file and field."""


class Context:
    """What a converter needs: where the file is, the base scenario, and a place for notes."""

    def __init__(self, where: str, base: Scenario) -> None:
        self.where, self.base = where, base
        self.notes: list[str] = []

    def fail(self, field: str, why: str) -> NoReturn:
        """Refuse the file, naming the field, so nothing is dropped without the user knowing."""
        raise ConfigImportError(f"{self.where}: {field}: {why}")

    def note(self, text: str) -> None:
        """Record a field that is read but does not change the run, for the description."""
        self.notes.append(text)


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
    """The file's documents (YAML may hold several) and a name for messages."""
    if isinstance(source, dict):
        return [source], "<dict>"
    is_path = isinstance(source, Path) or (
        "\n" not in source and source.strip().endswith((".json", ".yaml", ".yml"))
    )
    where = str(source) if is_path else "<text>"
    text = source
    if is_path:
        try:
            text = Path(source).read_text()
        except OSError as exc:
            raise ConfigImportError(f"{where}: cannot read the file ({exc.strerror})") from None
    if where.endswith(".json"):
        try:
            return [json.loads(text)], where
        except json.JSONDecodeError as exc:
            raise ConfigImportError(f"{where}: not valid JSON: {exc}") from None
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or exc
        raise ConfigImportError(f"{where}: not valid YAML/JSON{at}: {problem}") from None
    if not docs:
        raise ConfigImportError(f"{where}: the file is empty; {EXPECTED}")
    return docs, where


def _base(base: Scenario | dict | str | Path | None) -> tuple[dict, Scenario]:
    """The base scenario as plain data (kept as written) and validated (for its durations)."""
    if base is None:
        data = copy.deepcopy(DEFAULT_BASE)
    elif isinstance(base, Scenario):
        data = base.model_dump(mode="json", exclude_none=True)
    elif isinstance(base, dict):
        data = copy.deepcopy(base)
    else:
        is_path = isinstance(base, Path) or "\n" not in base
        text = Path(base).read_text() if is_path else base
        data = yaml.safe_load(text)
    try:
        sc = load_scenario(copy.deepcopy(data))
    except ScenarioError as exc:
        raise ConfigImportError(f"base scenario: {exc}") from None
    return data, sc


def _kind(doc: Any) -> str | None:
    """Which supported kind a document is, if any."""
    if not isinstance(doc, dict):
        return None
    api = str(doc.get("apiVersion", ""))
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
        found = [f"{d.get('apiVersion', '?')} {d.get('kind', '?')}" for d in docs
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
