"""The hardware target catalog: what a SageMaker instance costs and how fast a model runs on it.

The figures live in ``data/catalog.yaml``, not in code, because they drift (prices change,
benchmarks are re-run) and because every one of them must carry its source: a row of
``docs/reference/hardware.md`` or a written derivation. This module only loads that file once,
checks keys (with did-you-mean suggestions) and combines a target, a model, SageMaker Neo
and an optional Elastic Inference accelerator into one :class:`Resolved` record in seconds.

Semantics the rest of the simulator relies on:

- ``p50_s`` / ``p99_s`` are the container latency of one request on one worker (CloudWatch
  ``ModelLatency``); an instance serves ``workers_per_instance`` requests at once.
- ``extra_latency_s`` is the Elastic Inference network hop. The host worker waits for it,
  so it belongs to the service time, not only to the response time.
- ``utilisation_metric`` is ``CPUUtilization`` on cpu hosts (also with an accelerator, and
  for models that run on the host CPU of an accelerated instance) and ``GPUUtilization``
  on GPU and Inferentia instances. SageMaker publishes no NeuronCore metric in
  ``/aws/sagemaker/Endpoints``; accelerator busy time is reported under the GPU name so
  alarms and autoscaling policies written for GPUs apply unchanged.

May import: yaml and `simulator.errors`; nothing else of the simulator.
"""

from __future__ import annotations

import copy
import difflib
import functools
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from simulator.errors import UserError

if TYPE_CHECKING:
    import pandas as pd


class CatalogError(UserError):
    """An unknown or unsupported catalog key, or an impossible combination."""


@dataclass(frozen=True)
class Resolved:
    """One deployable (target, model) combination; times in seconds, prices in USD/hour."""

    target: str
    model: str
    family: str
    price_per_hour: float
    provisioning_s: float
    workers_per_instance: int
    p50_s: float
    p99_s: float
    extra_latency_s: float
    utilisation_metric: str
    sources: tuple[str, ...]


@functools.cache
def _catalog() -> dict[str, Any]:
    text = resources.files(__name__).joinpath("data", "catalog.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _check(kind: str, key: str, known: list[str]) -> str:
    if key in known:
        return key
    close = difflib.get_close_matches(str(key), known, n=3, cutoff=0.5)
    if close:
        raise CatalogError(f"unknown {kind} {key!r}; did you mean {' or '.join(map(repr, close))}?")
    raise CatalogError(f"unknown {kind} {key!r}; known: {', '.join(known)}")


def _as_list(source: str | list[str]) -> list[str]:
    return [source] if isinstance(source, str) else list(source)


def targets() -> list[str]:
    """Instance types in the catalog, e.g. ``ml.c5.xlarge``."""
    return list(_catalog()["targets"])


def models() -> list[str]:
    """Models with a latency profile, e.g. ``resnet50``."""
    return list(_catalog()["profiles"])


def accelerators() -> list[str]:
    """Elastic Inference accelerator types (legacy: no new customers since 2023-04-15)."""
    return list(_catalog()["accelerators"])


def target_info(target: str) -> dict[str, Any]:
    """Return the raw catalog row of ``target`` (a copy), for front ends."""
    return copy.deepcopy(_catalog()["targets"][_check("target", target, targets())])


def resolve(
    target: str, model: str, *, neo: bool = False, accelerator: str | None = None
) -> Resolved:
    """Combine a target, a model, Neo and an optional accelerator into one :class:`Resolved`.

    Neo divides p50 and p99 by the speed-up of the family the model runs on. An Elastic
    Inference accelerator is only valid on an x86 cpu-family host; it adds its price and its
    network hop, and the model then runs on the accelerator's profile with one worker.
    Raises :class:`CatalogError` for unknown keys and unsupported combinations.
    """
    cat = _catalog()
    target = _check("target", target, targets())
    model = _check("model", model, models())
    row = cat["targets"][target]
    family = row["family"]
    price = float(row["price_per_hour"])
    sources = _as_list(row["source"]) + _as_list(row["provisioning"]["source"])
    extra = 0.0
    key = target
    if accelerator is not None:
        accelerator = _check("accelerator", accelerator, accelerators())
        acc = cat["accelerators"][accelerator]
        if family != "cpu" or not row.get("elastic_inference", True):
            raise CatalogError(
                f"accelerator {accelerator!r} needs an x86 cpu-family host; {target!r} is not"
            )
        if accelerator not in cat["profiles"][model]:
            raise CatalogError(f"model {model!r} is not supported on Elastic Inference")
        if neo:
            raise CatalogError("Neo together with an Elastic Inference accelerator is not modelled")
        price += float(acc["price_per_hour"])
        extra = float(acc["network_hop_ms"]) / 1000.0
        sources += _as_list(acc["source"])
        key = accelerator
    prof = cat["profiles"][model][key]
    on_host = family == "cpu" or accelerator is not None or prof.get("runs_on") == "host_cpu"
    compute_family = "cpu" if on_host and accelerator is None else family
    speedup = 1.0
    if neo:
        if not (row.get("neo_target_device") or row.get("neo_target_platform")):
            raise CatalogError(f"SageMaker Neo has no compilation target for {target!r}")
        speedup = float(cat["neo"]["speedup"][compute_family])
        sources.append(f"neo x{speedup:g}: {cat['neo']['source'][compute_family]}")
    sources += _as_list(prof["source"])
    return Resolved(
        target=target,
        model=model,
        family=family,
        price_per_hour=price,
        provisioning_s=float(row["provisioning"]["scale_out_s"]),
        workers_per_instance=int(prof["workers_per_instance"]),
        p50_s=float(prof["p50"]) / 1000.0 / speedup,
        p99_s=float(prof["p99"]) / 1000.0 / speedup,
        extra_latency_s=extra,
        utilisation_metric="CPUUtilization" if on_host else "GPUUtilization",
        sources=tuple(sources),
    )


def _combinations() -> list[tuple[str, str, str | None, bool]]:
    combos = []
    for target in targets():
        row = _catalog()["targets"][target]
        for model in models():
            combos.append((target, model, None, False))
            if row.get("neo_target_device") or row.get("neo_target_platform"):
                combos.append((target, model, None, True))
            if row["family"] == "cpu" and row.get("elastic_inference", True):
                for acc in accelerators():
                    if acc in _catalog()["profiles"][model]:
                        combos.append((target, model, acc, False))
    return combos


def catalog_table() -> pd.DataFrame:
    """One row per (target, model, accelerator, neo) for the catalog explorer.

    ``capacity_rps`` = workers / (p50 + extra latency), using p50 as the service time;
    ``cost_per_million_usd`` is the instance price over that capacity, i.e. at full
    utilisation.
    """
    import pandas as pd

    records = []
    for target, model, acc, neo in _combinations():
        r = resolve(target, model, neo=neo, accelerator=acc)
        capacity = r.workers_per_instance / (r.p50_s + r.extra_latency_s)
        records.append(
            {
                "target": target,
                "model": model,
                "accelerator": acc or "",
                "neo": neo,
                "family": r.family,
                "price_per_hour": r.price_per_hour,
                "workers_per_instance": r.workers_per_instance,
                "p50_ms": r.p50_s * 1000.0,
                "p99_ms": r.p99_s * 1000.0,
                "extra_latency_ms": r.extra_latency_s * 1000.0,
                "capacity_rps": capacity,
                "cost_per_million_usd": r.price_per_hour / 3600.0 / capacity * 1e6,
                "sources": " | ".join(r.sources),
            }
        )
    return pd.DataFrame.from_records(records)
