"""What a security posture's network pieces and keys cost, and the latency it adds.

The figures live in ``data/network.yaml``, each with its source (a heading of
``docs/reference/security.md``), for the same reason the hardware figures live in
``catalog.yaml``: prices drift, and each must say where it comes from. This module loads
the file once, checks that every figure is there and is a finite number >= 0, and turns
plain counts (Availability Zones, gateways, keys) into USD per hour.

Which counts a posture has is the scenario's business (`simulator.scenario.security`),
so nothing here knows a spec:

- an interface VPC endpoint (AWS PrivateLink) bills per AZ-hour and per GB processed;
- a NAT gateway bills per hour and per GB processed;
- a customer managed KMS key bills per month, prorated hourly;
- a public runtime endpoint adds `public_extra_latency_s` to a request against
  PrivateLink (an estimate; the data file says how it is made).

May import: yaml, `simulator.errors` and `simulator.catalog`; nothing else of the simulator.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from simulator.catalog import CatalogError

_FIGURES = {
    "interface_endpoint": ("price_per_az_hour", "price_per_gb"),
    "nat_gateway": ("price_per_hour", "price_per_gb"),
    "kms": ("price_per_key_month", "hours_per_month"),
    "latency": ("public_extra_ms",),
}


@dataclass(frozen=True)
class Figures:
    """The posture's figures: prices in USD (us-east-1), times in seconds."""

    endpoint_per_az_hour: float
    endpoint_per_gb: float
    nat_per_hour: float
    nat_per_gb: float
    kms_key_per_month: float
    hours_per_month: float
    public_extra_latency_s: float
    sources: tuple[str, ...]


def _number(data: dict[str, Any], section: str, key: str) -> float:
    block = data.get(section)
    value = block.get(key) if isinstance(block, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(f"network.yaml: {section}.{key} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise CatalogError(f"network.yaml: {section}.{key} must be finite and >= 0")
    return float(value)


def _sources(data: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for section in _FIGURES:
        source = data[section].get("source")
        if not source:
            raise CatalogError(f"network.yaml: {section} has no source")
        out += [source] if isinstance(source, str) else list(source)
    return tuple(out)


@functools.cache
def figures() -> Figures:
    """The figures of ``data/network.yaml``, read and checked once."""
    text = resources.files("simulator.catalog").joinpath("data", "network.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise CatalogError("network.yaml: expected a mapping of sections")
    for section, keys in _FIGURES.items():
        for key in keys:
            _number(data, section, key)
    if _number(data, "kms", "hours_per_month") == 0:
        raise CatalogError("network.yaml: kms.hours_per_month must be > 0")
    return Figures(
        endpoint_per_az_hour=_number(data, "interface_endpoint", "price_per_az_hour"),
        endpoint_per_gb=_number(data, "interface_endpoint", "price_per_gb"),
        nat_per_hour=_number(data, "nat_gateway", "price_per_hour"),
        nat_per_gb=_number(data, "nat_gateway", "price_per_gb"),
        kms_key_per_month=_number(data, "kms", "price_per_key_month"),
        hours_per_month=_number(data, "kms", "hours_per_month"),
        public_extra_latency_s=_number(data, "latency", "public_extra_ms") / 1000.0,
        sources=_sources(data),
    )


def _count(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CatalogError(f"{what} must be a whole number >= 0, got {value!r}")
    return value


def interface_endpoint_cost_per_hour(azs: int, endpoints: int = 1) -> float:
    """USD per hour of `endpoints` interface VPC endpoints, each in `azs` Availability Zones."""
    return _count(endpoints, "endpoints") * _count(azs, "azs") * figures().endpoint_per_az_hour


def interface_endpoint_cost_per_gb() -> float:
    """USD per GB through an interface endpoint (both directions; first 1 PB a month)."""
    return figures().endpoint_per_gb


def nat_gateway_cost_per_hour(gateways: int) -> float:
    """USD per hour of `gateways` NAT gateways, however much they carry."""
    return _count(gateways, "gateways") * figures().nat_per_hour


def nat_gateway_cost_per_gb() -> float:
    """USD per GB a NAT gateway processes (both directions), on top of data transfer."""
    return figures().nat_per_gb


def kms_keys_cost_per_hour(keys: int) -> float:
    """USD per hour of `keys` customer managed KMS keys (requests not counted)."""
    fig = figures()
    return _count(keys, "keys") * fig.kms_key_per_month / fig.hours_per_month


def public_extra_latency_s() -> float:
    """Seconds a call to the public runtime endpoint adds against PrivateLink (an estimate)."""
    return figures().public_extra_latency_s
