"""The README's scenario reference, generated from the pydantic models themselves.

`python -m simulator.scenario.schema_doc` prints it; a test checks the README carries the
current text, so the documentation cannot drift from the schema.
"""

from __future__ import annotations

import datetime
import types
import typing

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from simulator.scenario import (
    fleet,
    gates,
    hosting,
    monitoring,
    operations,
    platform,
    process,
    security,
    workload,
)
from simulator.scenario.model import Scenario
from simulator.scenario.strategies import STRATEGIES
from simulator.scenario.strategies.ab_test import Conversion
from simulator.scenario.strategies.canary import Step

SECTIONS: list[tuple[str, type[BaseModel]]] = (
    [
        ("top level", Scenario),
        ("`traffic` (pattern: poisson)", workload.Poisson),
        ("`traffic` (pattern: diurnal)", workload.Diurnal),
        ("`traffic` (pattern: bursty)", workload.Bursty),
        ("`traffic.bursts[]`", workload.Burst),
        ("`traffic.mmpp`", workload.MMPPSpec),
        ("`traffic` (pattern: trace)", workload.Trace),
        ("`fleet`", fleet.FleetSpec),
        ("`fleet.pipeline[]`", fleet.Container),
        ("`release` (unset fields are inherited from `fleet`)", fleet.ReleaseSpec),
        ("`release.defect`", fleet.Defect),
        ("`service_time` (distribution: exponential)", workload.Exponential),
        ("`service_time` (distribution: deterministic)", workload.Deterministic),
        ("`service_time` (distribution: lognormal; exactly two of the four)", workload.LogNormal),
        ("`service_time` (distribution: gamma)", workload.Gamma),
        ("`service_time` (distribution: empirical)", workload.Empirical),
        ("`failures`", operations.Failures),
        ("`failures.instance`", operations.InstanceFailures),
        ("`failures.zone_outages[]`", operations.ZoneOutage),
        ("`autoscaling`", operations.Autoscaling),
        ("`monitoring`", monitoring.Monitoring),
        ("`monitoring.alarms[]`", monitoring.Alarm),
        ("`slo`", monitoring.SLO),
    ]
    + [(f"`hosting` (kind: {name})", model) for name, model in hosting.HOSTING.items()]
    + [
        ("`hosting.variants[]` (realtime; unset fields are inherited from `fleet`)",
         hosting.realtime.ProductionVariant),
        ("`hosting.updates[]` (realtime: UpdateEndpointWeightsAndCapacities)",
         hosting.realtime.WeightsUpdate),
        ("`hosting.updates[].variants[]`", hosting.realtime.DesiredWeightAndCapacity),
        ("`platform`", platform.PlatformSpec),
    ]
    + [
        ("`security` (checked against the course notes' practices; costed in the run)",
         security.SecuritySpec),
        ("`security.vpc`", security.VpcSpec),
        ("`security.kms`", security.KmsSpec),
    ]
    + [(f"`strategy` (type: {name})", model) for name, model in STRATEGIES.items()]
    + [
        ("`strategy.steps[]` (canary)", Step),
        ("`strategy.conversion` (ab_test)", Conversion),
    ]
    + [(f"`strategy.gate` (type: {name})", model) for name, model in gates.GATES.items()]
    + [
        ("`strategy.gate.checks[]`", gates.Check),
        ("`strategy.gate.metrics[]` (kayenta)", gates.KayentaMetric),
        ("`process` (deploysim process; each release plays the rest of the scenario)",
         process.ProcessSpec),
        ("`process.calendar`", process.CalendarSpec),
        ("`process.changes` (size: any `service_time` distribution, read as lines)",
         process.ChangesSpec),
        ("`process.changes.severity`", process.Severity),
        ("`process.changes.severity.error_rate` (distribution: beta)", process.BetaShare),
        ("`process.pipeline`", process.PipelineSpec),
        ("`process.pipeline.stages[]` (duration: any `service_time` distribution)",
         process.StageSpec),
        ("`process.delivery` (mode: train)", process.Train),
        ("`process.delivery` (mode: continuous_delivery)", process.ContinuousDelivery),
        ("`process.delivery` (mode: continuous_deployment)", process.ContinuousDeployment),
        ("`process.incidents`", process.IncidentSpec),
        ("`process.review` (what CloudWatch and CloudTrail keep, and how long)",
         process.ReviewSpec),
    ]
)


def _type(annotation) -> str:
    """A short, table-safe name for a field's type."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        meta = " ".join(str(m) for m in args[1:])
        for parser, name in (("parse_duration", "duration"), ("parse_share", "count or percent"),
                             ("parse_rate", "number or percent")):  # fmt: skip
            if parser in meta:
                return name
        return _type(args[0])
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        names = [_type(a) for a in args if a is not type(None)]
        text = " or ".join(dict.fromkeys(names))
        return f"{text} (optional)" if type(None) in args else text
    if origin is list:
        return f"list of {_type(args[0])}"
    if origin is tuple:
        return f"{len(args)} of {_type(args[0])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    return getattr(annotation, "__name__", str(annotation))


def _is_tag(field) -> bool:
    """A hosting kind's tag (`kind: async`), not the trace's `kind`: the title says it."""
    annotation = field.annotation
    return typing.get_origin(annotation) is typing.Literal and len(typing.get_args(annotation)) == 1


def _default(field) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.default_factory() if field.default_factory else field.default
    if isinstance(value, BaseModel):
        return "defaults"
    if isinstance(value, dict) and set(value) == {"type"}:
        return f"type `{value['type']}`"
    if isinstance(value, dict) and set(value) == {"kind"}:
        return f"kind `{value['kind']}`"
    if isinstance(value, dict) and set(value) == {"mode"}:
        return f"mode `{value['mode']}`"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return repr(list(value))
    return "none" if value is None else repr(value)


def reference() -> str:
    """Markdown tables: one per model, a row per field with type, default and meaning."""
    out = []
    for title, model in SECTIONS:
        out += [f"#### {title}", "", "| field | type | default | meaning |", "|---|---|---|---|"]
        doc = (model.__doc__ or "").strip().splitlines()[0]
        for name, field in model.model_fields.items():
            if name in ("type", "pattern", "distribution") or (name == "kind" and _is_tag(field)):
                continue
            meaning = field.description or ""
            type_text = _type(field.rebuild_annotation())
            out.append(f"| `{name}` | {type_text} | {_default(field)} | {meaning} |")
        out += ["", f"_{doc}_", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(reference())
