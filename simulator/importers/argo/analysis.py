"""Argo analysis, for both strategies: template references and args -> one `argo` gate.

- analysis `args`: `{{args.name}}` in a query takes the Rollout's value for the arg, else
  the template's default; an arg with neither, or read from the cluster (`valueFrom`), is
  refused.
- the named templates' metrics -> one gate {type: argo, interval, initial_delay, count,
  failure_limit, consecutive_error_limit, checks}; the metrics must share their timing and
  limits (one gate is one AnalysisRun schedule), and the templates must be in the file. A
  `count` of 0 is Argo's unset count (Metric.EffectiveCount: with an interval, measure
  until the rollout ends), so the gate gets no count. `consecutiveErrorLimit` (Argo's
  default 4) -> consecutive_error_limit: a measurement that finds no request to the
  release is an Error, and more than that many in a row error the run.
- a metric's `successCondition` / `failureCondition` `result[0] OP number` -> a check on
  what its query measures (`promql.py`); strict conditions stay exact.
- refused with Argo's own reason where it has one (utils/analysis/helpers.go
  ValidateMetric): negative counts and limits, count below failureLimit; also
  inconclusiveLimit, a metric measured once (no interval), conditions other than
  `result[0] OP number`, both success and failure conditions, and any unknown field.
"""

from __future__ import annotations

import re
from typing import Any

from simulator.importers import promql
from simulator.userfiles import brief

_ARG = re.compile(r"\{\{\s*args\.([\w-]+)\s*\}\}")

METRIC_FIELDS = {"name", "interval", "initialDelay", "count", "successCondition",
                 "failureCondition", "failureLimit", "inconclusiveLimit",
                 "consecutiveErrorLimit", "provider"}  # fmt: skip
NOT_NEGATIVE = "Argo's ValidateMetric refuses a negative {}"
ERROR_LIMIT = 4
"""Argo's DefaultConsecutiveErrorLimit, the gate's default too: written only when it differs."""


def read_args(raw: list, field: str, ctx) -> dict[str, str]:
    """Analysis args by name: a `value`; `valueFrom` is read from the cluster, so refused."""
    out = {}
    for k, arg in enumerate(raw):
        where = f"{field}[{k}]"
        arg = ctx.mapping(arg, where)
        ctx.unknown(arg, {"name", "value", "valueFrom"}, where)
        name = ctx.text(arg.get("name"), f"{where}.name")
        if "valueFrom" in arg:
            ctx.fail(f"{where}.valueFrom", "read from the cluster when the analysis runs "
                     "(a pod template hash, a field of the Rollout): give a value")  # fmt: skip
        if "value" in arg:
            out[name] = str(ctx.text(str(arg["value"]), f"{where}.value"))
    return out


def template_names(analysis: dict, field: str, ctx) -> tuple[list[str], dict[str, str]]:
    """The template names an analysis refers to, and the args it passes them."""
    args = read_args(ctx.items(analysis.get("args"), f"{field}.args"), f"{field}.args", ctx)
    refs = ctx.items(analysis.get("templates"), f"{field}.templates")
    if not refs:
        ctx.fail(f"{field}.templates", "expected a list of {templateName: ...}")
    names = []
    for k, ref in enumerate(refs):
        where = f"{field}.templates[{k}]"
        ref = ctx.mapping(ref, where)
        ctx.unknown(ref, {"templateName", "clusterScope"}, where)
        names.append(ctx.text(ref.get("templateName"), f"{where}.templateName"))
    return names, args


def run_to_end(value: Any, field: str, templates: dict, ctx) -> dict:
    """A blocking RolloutAnalysis (blue/green pre- or post-promotion) -> one argo gate.

    The rollout waits for the run to end, so its metrics need a count.
    """
    analysis = ctx.mapping(value, field)
    ctx.unknown(analysis, {"templates", "args"}, field)
    names, given = template_names(analysis, field, ctx)
    out = gate(names, templates, given, ctx, field=f"{field}.templates")
    if "count" not in out:
        ctx.fail(f"{field}.templates", "its metrics have no count, so the AnalysisRun never "
                 "ends and the rollout is never promoted; give the metrics a count")  # fmt: skip
    return out


def gate(names: list[str], templates: dict, given: dict[str, str], ctx,
         field: str = "analysis.templates") -> dict:  # fmt: skip
    """One argo gate from the named templates' metrics (which must share their timing).

    Each template's args are its defaults overridden by those the Rollout passes (`given`).
    """
    metrics = []
    for name in names:
        if name not in templates:
            ctx.fail(field, f"AnalysisTemplate {brief(name)} is not in the file "
                     f"(found {brief(sorted(templates))})")  # fmt: skip
        where = f"AnalysisTemplate {ctx.key(name)}.spec"
        spec = ctx.mapping(templates[name].get("spec"), where)
        args = read_args(ctx.items(spec.get("args"), f"{where}.args"), f"{where}.args", ctx)
        for j, m in enumerate(ctx.items(spec.get("metrics"), f"{where}.metrics")):
            metrics.append((f"{where}.metrics[{j}]", ctx.mapping(m, f"{where}.metrics[{j}]"),
                            args | given))  # fmt: skip
    if not metrics:
        ctx.fail(field, "the templates define no metrics")
    out: dict[str, Any] = {"type": "argo", "checks": []}
    timing = None
    for where, m, args in metrics:
        these = _timing(m, where, ctx)
        if timing is not None and these != timing:
            ctx.fail(where, "metrics with different interval/initialDelay/count/failureLimit/"
                     "consecutiveErrorLimit need separate analysis runs; the simulation runs "
                     "one gate")  # fmt: skip
        timing = these
        out["checks"].append(_check(m, where, args, ctx))
    interval, delay, count, failure_limit, error_limit = timing
    if interval <= 0:
        ctx.fail(f"{metrics[0][0]}.interval", "a metric measured once (no interval) is not "
                 "modelled; give an interval")  # fmt: skip
    out.update(interval=interval, failure_limit=failure_limit)
    if delay:
        out["initial_delay"] = delay
    if count is not None:
        out["count"] = count
    if error_limit != ERROR_LIMIT:
        out["consecutive_error_limit"] = error_limit
    return out


def _timing(m: dict, field: str, ctx) -> tuple[float, float, int | None, int, int]:
    """(interval, initialDelay, count or None, failureLimit, consecutiveErrorLimit)."""
    ctx.unknown(m, METRIC_FIELDS, field)
    if ctx.integer(m.get("inconclusiveLimit", 0), f"{field}.inconclusiveLimit", low=0,
                   why=NOT_NEGATIVE.format("inconclusiveLimit")):  # fmt: skip
        ctx.fail(f"{field}.inconclusiveLimit", "inconclusive limits are not modelled")
    error_limit = ctx.integer(m.get("consecutiveErrorLimit", ERROR_LIMIT),
                              f"{field}.consecutiveErrorLimit", low=0,
                              why=NOT_NEGATIVE.format("consecutiveErrorLimit"))  # fmt: skip
    # Argo's Metric.EffectiveCount: a count of 0 (or none) with an interval runs until
    # the rollout ends, as no count does here.
    count = ctx.integer(m.get("count", 0), f"{field}.count", low=0,
                        why=NOT_NEGATIVE.format("count"))  # fmt: skip
    failure_limit = ctx.integer(m.get("failureLimit", 0), f"{field}.failureLimit", low=0,
                                why=NOT_NEGATIVE.format("failureLimit"))  # fmt: skip
    if count and count < failure_limit:
        ctx.fail(f"{field}.count", f"{count} measurements can never exceed failureLimit "
                 f"{failure_limit}; Argo's ValidateMetric requires count >= "
                 "failureLimit")  # fmt: skip
    return (ctx.duration(m.get("interval", 0), f"{field}.interval"),
            ctx.duration(m.get("initialDelay", 0), f"{field}.initialDelay"),
            count or None, failure_limit, error_limit)  # fmt: skip


def _check(metric: dict, field: str, args: dict[str, str], ctx) -> dict:
    """A check from a metric's query (its args substituted) and its condition (`promql`)."""
    provider = ctx.mapping(metric.get("provider"), f"{field}.provider")
    query = None
    for kind, settings in provider.items():
        where = f"{field}.provider.{ctx.key(kind)}"
        settings = ctx.mapping(settings, where)
        if settings.get("query") not in (None, ""):
            query = _substitute(ctx.text(settings["query"], f"{where}.query"), args,
                                f"{where}.query", ctx)  # fmt: skip
            break
    if query is None:
        ctx.fail(f"{field}.provider", "no query to tell which metric is measured")
    success, failure = metric.get("successCondition"), metric.get("failureCondition")
    if success and failure:
        ctx.fail(field, "both successCondition and failureCondition: the inconclusive band "
                 "between them is not modelled; keep one")  # fmt: skip
    if not (success or failure):
        ctx.fail(field, "no successCondition or failureCondition")
    key = "successCondition" if success else "failureCondition"
    return promql.check(query, key, ctx.text(success or failure, f"{field}.{key}"), field, ctx)


def _substitute(query: str, args: dict[str, str], field: str, ctx) -> str:
    """`{{args.name}}` replaced by the arg's value: the Rollout's, else the template's default."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in args:
            ctx.fail(field, f"{{{{args.{ctx.key(name)}}}}} has no value: neither the Rollout's "
                     "analysis args nor the template's args give one")  # fmt: skip
        return args[name]

    return _ARG.sub(value, query)
