"""Import real release-controller configs into deploysim scenarios.

Users bring the files they already run; `import_config` detects what a file is and
returns scenario data (a dict `load_scenario` accepts): the `base` scenario (its
traffic, fleet, slo, monitoring... are kept) with the `strategy` and, where the file
says so, fleet/release fields replaced. Supported kinds (see each module for the exact
mapping and for what is ignored or refused):

- Argo Rollouts `Rollout` (canary or blueGreen) with its `AnalysisTemplate`s (multi-document
  YAML): the `argo` package
- Flagger `Canary`: `flagger.py`
- SageMaker `UpdateEndpoint` (DeploymentConfig) and `CreateEndpointConfig` with
  ShadowProductionVariants, both validated against botocore's service model: `sagemaker.py`
- SageMaker `CreateTransformJob`, and `CreateEndpointConfig` with several production
  variants or an AsyncInferenceConfig: `hosting.py`; the posture of any of them (and of a
  document of requests keyed by operation) becomes the `security` section: `security.py`
- an ECS service's deployment configuration (CreateService / UpdateService) and a
  CodeDeploy deployment group's predefined configuration: `ecs.py`
- a Kubernetes `Deployment` (apps/v1, RollingUpdate or Recreate) with the
  `HorizontalPodAutoscaler` scaling it (multi-document YAML): `kubernetes.py`

Nothing the simulator cannot represent is dropped silently: it is a `ConfigImportError`
naming the field and why. Purely cosmetic fields (metadata, selectors, pod templates,
service ports, provider addresses, names) are ignored, and fields that are reported but
do not change a run (e.g. progressDeadlineSeconds) are listed in the scenario's
`description` under "Import notes".

When no `base` is given, `DEFAULT_BASE` is used: 2 h at 20 req/s Poisson, 4 x
ml.c5.xlarge, release v2 with no defect, SLO p99 1 s and availability 99.9%, 60 s periods.

May import: `simulator.scenario`, `simulator.catalog`, `simulator.userfiles`,
`simulator.errors` and botocore; of the engine only `engine.fleet.build_variant`, which
resolves a fleet's capacity as a run would (`kubernetes.py`: a CPU target in invocations);
importing runs nothing.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from simulator.importers import argo, ecs, flagger, hosting, kubernetes, sagemaker
from simulator.importers import security as posture
from simulator.importers.context import ConfigImportError, Context
from simulator.scenario.model import Scenario, ScenarioError, load_scenario
from simulator.userfiles import (
    InputError,
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
    "expected an Argo Rollout (apiVersion argoproj.io/*), a Flagger Canary (flagger.app/*), "
    "a SageMaker UpdateEndpoint, CreateEndpointConfig or CreateTransformJob request, "
    "SageMaker requests keyed by operation, an ECS CreateService or UpdateService request, "
    "a CodeDeploy CreateDeploymentGroup request, or a Kubernetes Deployment (apps/v1, with "
    "its HorizontalPodAutoscaler)"
)


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
    workload = kubernetes.workload_kind(doc)
    if workload is not None:
        return workload
    if "DeploymentConfig" in doc or ("EndpointName" in doc and "EndpointConfigName" in doc):
        return "SageMaker UpdateEndpoint"
    if "ProductionVariants" in doc:
        return "SageMaker CreateEndpointConfig"
    if "TransformJobName" in doc:
        return "SageMaker CreateTransformJob"
    if "deploymentGroupName" in doc:
        return "CodeDeploy deployment group"
    if "serviceName" in doc or ("service" in doc and "deploymentConfiguration" in doc):
        return "ECS service"
    if any(key in posture.OPERATIONS for key in doc):
        return "SageMaker security posture"
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
    if kind.startswith("Kubernetes "):
        return kind, kubernetes.convert(docs, ctx)
    if len(docs) > 1:
        ctx.fail("documents", f"a {kind} file holds one document, found {len(docs)}")
    if kind == "Flagger Canary":
        return kind, flagger.convert(docs[0], ctx)
    if kind == "SageMaker UpdateEndpoint":
        return kind, sagemaker.convert_update_endpoint(docs[0], ctx)
    if kind == "SageMaker CreateTransformJob":
        return kind, hosting.convert_transform_job(docs[0], ctx)
    if kind == "ECS service":
        return kind, ecs.convert_service(docs[0], ctx)
    if kind == "CodeDeploy deployment group":
        return kind, ecs.convert_deployment_group(docs[0], ctx)
    if kind == "SageMaker security posture":
        spec = posture.security_from_sagemaker(docs[0], ctx.where, ctx.notes)
        return kind, {"security": spec.model_dump(mode="json")}
    doc = docs[0]
    if "AsyncInferenceConfig" in doc or (
        "ShadowProductionVariants" not in doc and len(ctx.items(doc.get("ProductionVariants"),
                                                                "ProductionVariants")) > 1
    ):  # fmt: skip
        return kind, hosting.convert_endpoint_config(doc, ctx)
    return kind, sagemaker.convert_endpoint_config(doc, ctx)


def _merge(base: dict, patch: dict, ctx: Context, kind: str) -> dict:
    """The base with the converter's strategy, fleet/release fields and alarms applied."""
    data = copy.deepcopy(base)
    for section in ("hosting", "security", "platform"):
        if section in patch:
            data[section] = patch[section]
    if "autoscaling" in patch:  # a Kubernetes autoscaler, or None: a fixed size
        if patch["autoscaling"] is None:
            data.pop("autoscaling", None)
        else:
            data["autoscaling"] = patch["autoscaling"]
    if "strategy" in patch:
        strategy = patch["strategy"]
        start = (data.get("strategy") or {}).get("start")
        if start is not None and "start" not in strategy:
            strategy["start"] = start
        data["strategy"] = strategy
    data["fleet"] = {**(data.get("fleet") or {}), **patch.get("fleet", {})}
    if "release" in patch and patch["release"] is None:  # a job or endpoint config: no release
        data.pop("release", None)
    elif "strategy" in patch:
        data["release"] = {**(data.get("release") or {"version": "v2"}),
                           **patch.get("release", {})}  # fmt: skip
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
