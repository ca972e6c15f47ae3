"""Elastic Inference against the GPU instances of its time and of today, from the catalog.

Why this exists: course notes call Elastic Inference (EI) "much more cost-effective than a
full GPU instance", yet the catalog's own figures make it dearer per million requests than
g4dn for ResNet-50 and BERT-base, and the catalog page plotted that without a word. Both
statements are true, of different years: EI (2018) was cheaper than the GPU instances of its
day, p2 (K80) and p3 (V100), for models too small to fill a GPU; g4dn (T4, 2019) and inf1
(Inferentia, 2019) undercut it; AWS closed it to new customers in 2023. This module puts the
two eras side by side for one model so the page can say so where it shows EI rows.

Every number comes from :func:`simulator.catalog.catalog_table` (so from
``data/catalog.yaml``): capacity is workers / (p50 + network hop) and cost per million is the
hourly price over that capacity, at full utilisation. Nothing here is a result typed in. The
logic and the sources: docs/reference/hardware.md#elastic-inference-against-gpus.

May import: pandas and `simulator.catalog`.
"""

from __future__ import annotations

import pandas as pd

from simulator import catalog

# The day AWS stopped onboarding new EI customers: docs/reference/hardware.md#elastic-inference
EI_CLOSED = "2023-04-15"

EI_ERA = "EI's time (2018-2019)"
TODAY = "today"
GPUS_OF_ITS_TIME = ("ml.p2.xlarge", "ml.p3.2xlarge")
GPUS_OF_TODAY = ("ml.g4dn.xlarge", "ml.inf1.xlarge", "ml.inf2.xlarge")
EXTRA_HOSTS = ("ml.c5.xlarge", "ml.m5.large")

EXPLANATION = (
    "Elastic Inference attached a slice of a GPU to a CPU instance over the network. Against "
    "the GPU instances of its time, p2 (NVIDIA K80) and p3 (V100), it was cheaper per hour, "
    "and for a model too small to keep a whole GPU busy it was cheaper per million requests "
    'too: that is what "much more cost-effective than a full GPU instance" meant in 2018. '
    "g4dn (T4, 2019) and inf1 (Inferentia, 2019) changed the sums: for a price per hour close "
    "to that of a CPU host with an accelerator (inf1) or a few times it (g4dn), they serve "
    "many times more requests, so they undercut Elastic Inference per million requests, "
    "which is what the catalog's figures show. AWS stopped onboarding new Elastic Inference "
    f"customers on {EI_CLOSED}; the catalog keeps it only as a legacy what-if."
)

COLUMNS = [
    "option", "target", "accelerator", "kind", "era", "price_per_hour_usd", "capacity_rps",
    "cost_per_million_usd", "p50_ms", "verdict",
]  # fmt: skip


def elastic_inference_comparison(model: str) -> pd.DataFrame:
    """EI options and the GPU / Inferentia instances of both eras for ``model``, one row each.

    Rows: every accelerator on its cheapest valid host and on ``EXTRA_HOSTS`` (when the
    catalog has them), then ``GPUS_OF_ITS_TIME`` and ``GPUS_OF_TODAY`` (without Neo). Columns
    ``COLUMNS``: ``price_per_hour_usd`` (host plus accelerator), ``capacity_rps`` and
    ``cost_per_million_usd`` as :func:`~simulator.catalog.catalog_table` computes them,
    ``p50_ms`` the service time (p50 plus the EI network hop), ``verdict`` in plain words.
    Raises :class:`~simulator.catalog.CatalogError` for an unknown model or one that does
    not run on Elastic Inference.
    """
    table = catalog.catalog_table()
    if model not in set(table["model"]):
        catalog.resolve(catalog.targets()[0], model)  # raises with a did-you-mean
    rows = table[(table["model"] == model) & ~table["neo"]]
    ei = rows[rows["accelerator"] != ""]
    if ei.empty:
        raise catalog.CatalogError(f"model {model!r} is not supported on Elastic Inference")
    picked = []
    for acc in catalog.accelerators():
        on_acc = ei[ei["accelerator"] == acc]
        if on_acc.empty:
            continue
        cheapest = on_acc.loc[on_acc["price_per_hour"].idxmin(), "target"]
        hosts = [cheapest] + [h for h in EXTRA_HOSTS if h != cheapest]
        picked += [on_acc[on_acc["target"] == h] for h in hosts]
    ei_part = pd.concat(picked)
    gpus = [t for t in GPUS_OF_ITS_TIME + GPUS_OF_TODAY if t in set(rows["target"])]
    plain = rows[(rows["accelerator"] == "") & rows["target"].isin(gpus)]
    plain = plain.set_index("target").loc[gpus].reset_index()
    out = pd.concat([ei_part, plain], ignore_index=True)
    pairs = list(zip(out["target"], out["accelerator"], strict=True))
    out = pd.DataFrame(
        {
            "option": [_label(t, a) for t, a in pairs],
            "target": out["target"],
            "accelerator": out["accelerator"],
            "kind": [_kind(a, f) for a, f in zip(out["accelerator"], out["family"], strict=True)],
            "era": [TODAY if t in GPUS_OF_TODAY else EI_ERA for t in out["target"]],
            "price_per_hour_usd": out["price_per_hour"].astype(float),
            "capacity_rps": out["capacity_rps"].astype(float),
            "cost_per_million_usd": out["cost_per_million_usd"].astype(float),
            "p50_ms": (out["p50_ms"] + out["extra_latency_ms"]).astype(float),
        }
    )
    out["verdict"] = [_verdict(r, out) for r in out.to_dict("records")]
    return out[COLUMNS]


def headline(comparison: pd.DataFrame) -> str:
    """One sentence from a comparison: the cheapest EI option against each era's cheapest."""
    ei = comparison[comparison["accelerator"] != ""]
    best = ei.loc[ei["cost_per_million_usd"].idxmin()]
    parts = [
        f"the cheapest Elastic Inference option, {best['option']}, costs "
        f"${best['cost_per_million_usd']:.2f} per million requests"
    ]
    for era, group in comparison[comparison["accelerator"] == ""].groupby("era", sort=False):
        low = group.loc[group["cost_per_million_usd"].idxmin()]
        word = "cheaper" if best["cost_per_million_usd"] < low["cost_per_million_usd"] else "dearer"
        parts.append(
            f"{word} than the cheapest GPU or Inferentia instance of {era}, "
            f"{low['option']} (${low['cost_per_million_usd']:.2f})"
        )
    return "At full load, " + "; ".join(parts) + "."


def _label(target: str, accelerator: str) -> str:
    return f"{target} + {accelerator}" if accelerator else target


def _kind(accelerator: str, family: str) -> str:
    if accelerator:
        return "Elastic Inference"
    return "Inferentia" if family == "inferentia" else "GPU"


def _short(target: str) -> str:
    """``ml.g4dn.xlarge`` -> ``g4dn``: the family name, as people say it."""
    return target.split(".")[1]


def _verdict(row: dict, table: pd.DataFrame) -> str:
    """How a row compares per million requests: EI against each instance, an instance against EI."""
    cost = row["cost_per_million_usd"]
    instances = table[table["accelerator"] == ""]
    if row["accelerator"]:
        dearer = instances[instances["cost_per_million_usd"] > cost]["target"]
        beats = [_short(t) for t in dearer]
        loses = [_short(t) for t in instances["target"] if _short(t) not in beats]
        if not loses:
            return "cheaper per million requests than every GPU and Inferentia instance here"
        if not beats:
            return "dearer per million requests than every GPU and Inferentia instance here"
        cheaper, dearer_than = ", ".join(beats), ", ".join(loses)
        return f"cheaper per million requests than {cheaper}; dearer than {dearer_than}"
    ei = table[table["accelerator"] != ""]
    best = ei.loc[ei["cost_per_million_usd"].idxmin()]
    ratio = cost / best["cost_per_million_usd"]
    if ratio >= 1:
        return f"{ratio:.1f} times the cost per million requests of the cheapest EI option"
    return f"undercuts the cheapest EI option per million requests by {1 / ratio:.1f} times"
