"""Deployment platforms as catalog data: SageMaker, EC2, ECS, EMR and an on-premises fleet.

Why: the hardware catalog prices one platform, SageMaker; issue 13 asks what the same targets
cost elsewhere, how fast new capacity starts there, and how each strategy runs natively on each
platform or why it cannot. Those figures drift and each needs its source, so they live in
``data/platforms.yaml`` (backed by ``docs/reference/platforms.md``), not in code. This module
loads it once, checks names with did-you-mean suggestions, prices a catalog target per platform
and applies the documented rounding of rolling updates. Target ``ml.<name>`` is the EC2
instance ``<name>`` off SageMaker; prices are USD per hour (us-east-1, on-demand), times seconds.

May import: yaml, `simulator.errors` and `simulator.catalog`.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from simulator import catalog
from simulator.catalog import CatalogError, _check


@dataclass(frozen=True)
class Mechanism:
    """How a platform runs one deploysim strategy natively (``kind`` managed or scripted)."""

    platform: str
    strategy: str
    native: str
    kind: str
    parameters: dict[str, Any] = field(default_factory=dict, hash=False)
    notes: str = ""
    source: tuple[str, ...] = ()
    alternatives: tuple[Mechanism, ...] = ()


@dataclass(frozen=True)
class Platform:
    """Where a model can run: its flags, and its prices and start-up per catalog target."""

    name: str
    label: str
    online: bool
    offline: bool
    elastic: bool
    autoscaling_refusal: str | None
    sources: tuple[str, ...]

    def targets(self) -> list[str]:
        """The catalog targets this platform offers (``ml.*`` names)."""
        return [t for t in catalog.targets() if _refusal(self.name, t) is None]

    def price_per_hour(self, target: str) -> float:
        """USD per hour of ``target`` here; CatalogError when the platform does not offer it."""
        ml, ec2 = _offered(self.name, target)
        p, row = _platform_row(self.name), _data()["instances"].get(ec2, {})
        if p["pricing"] == "catalog":
            return float(catalog.target_info(ml)["price_per_hour"])
        if p["pricing"] == "ec2":
            return float(row["ec2_price"])
        if p["pricing"] == "emr":
            return float(row["ec2_price"]) + float(p["emr_fee"][ec2]["fee"])
        if p["pricing"] == "fargate":
            rate = p["fargate"][row["arch"]]
            vcpus = catalog.target_info(ml)["vcpus"]
            return vcpus * rate["vcpu_hour"] + row["memory_gib"] * rate["gb_hour"]
        return _on_prem_price(p["on_prem_cost"], p["cards"], ml, row)

    def start_up_s(self, target: str) -> float:
        """Seconds from asking for one more instance (or task) to it serving."""
        ml, _ = _offered(self.name, target)
        start = _platform_row(self.name)["start_up"]
        if start == "catalog":
            return float(catalog.target_info(ml)["provisioning"]["scale_out_s"])
        return float(start[catalog.target_info(ml)["family"]])

    def procurement_lead_time_s(self, target: str) -> float | None:
        """Seconds to buy more capacity for ``target``, for a fixed fleet; None when elastic."""
        ml, _ = _offered(self.name, target)
        lead = _platform_row(self.name).get("procurement_lead_time")
        return None if lead is None else float(lead[catalog.target_info(ml)["family"]])


@functools.cache
def _data() -> dict[str, Any]:
    path = resources.files("simulator.catalog").joinpath("data", "platforms.yaml")
    return yaml.safe_load(path.read_text("utf-8"))


def _as_tuple(source: str | list[str] | None) -> tuple[str, ...]:
    return () if source is None else (source,) if isinstance(source, str) else tuple(source)


def strategies() -> list[str]:
    """The deploysim strategy names every platform answers for."""
    return list(_data()["strategies"])


def platforms() -> list[str]:
    """Platform keys, e.g. ``ecs_fargate``."""
    return list(_data()["platforms"])


def _platform_row(name: str) -> dict[str, Any]:
    return _data()["platforms"][_check("platform", name, platforms())]


def platform(name: str) -> Platform:
    """The platform ``name``; CatalogError with a did-you-mean for an unknown one."""
    row = _platform_row(name)
    flags = (bool(row[key]) for key in ("online", "offline", "elastic"))
    return Platform(name, row["label"], *flags, row.get("autoscaling_refusal"),
                    _as_tuple(row.get("source")))  # fmt: skip


def _names(target: str) -> tuple[str, str]:
    """(catalog name, EC2 name) of a target given as ``ml.c5.xlarge`` or ``c5.xlarge``."""
    ml = target if str(target).startswith("ml.") else f"ml.{target}"
    ml = _check("target", ml, catalog.targets())
    return ml, ml.removeprefix("ml.")


def _refusal(name: str, ml: str) -> str | None:
    """Why platform ``name`` does not offer catalog target ``ml``, or None when it does."""
    p, ec2 = _platform_row(name), ml.removeprefix("ml.")
    if p["pricing"] == "catalog":
        return None
    row = _data()["instances"].get(ec2)
    if row is None:
        return f"no {name} figures for {ec2} in data/platforms.yaml yet (add them with a source)"
    if "offers" in p and ec2 not in p["offers"]:
        return p["not_offered"]
    facts = {**row, "family": catalog.target_info(ml)["family"]}
    for rule in p.get("refuses", []):
        if all(facts.get(k) == v for k, v in rule["when"].items()):
            return rule["reason"]
    return None


def _offered(name: str, target: str) -> tuple[str, str]:
    ml, ec2 = _names(target)
    if (reason := _refusal(name, ml)) is not None:
        raise CatalogError(f"{name} does not offer {ec2}: {reason}")
    return ml, ec2


def _on_prem_price(cost: dict[str, Any], cards: dict[str, Any], ml: str, row: dict) -> float:
    """Hardware over its life plus power x PUE x electricity price, per hour (derived)."""
    server, vcpus = cost["server"], catalog.target_info(ml)["vcpus"]
    card = cards[row["card"]] if "card" in row else {"price": 0.0, "watts": 0.0}
    capex = vcpus * server["price"] / server["vcpus"] + card["price"]
    watts = vcpus * server["watts"] / server["vcpus"] + card["watts"]
    hours = cost["life_years"] * 8760  # hours in a year
    return capex / hours + watts * cost["pue"] * cost["usd_per_kwh"] / 1000.0


def _mechanism(name: str, strategy: str, row: dict[str, Any]) -> Mechanism:
    alts = tuple(_mechanism(name, strategy, alt) for alt in row.get("alternatives", []))
    params = copy.deepcopy(row.get("parameters") or {})
    return Mechanism(name, strategy, row["native"], row["kind"], params, row.get("notes", ""),
                     _as_tuple(row.get("source")), alts)  # fmt: skip


def refusal(platform_name: str, strategy: str) -> str | None:
    """Why ``platform_name`` cannot run ``strategy``, or None when it can."""
    rows = _platform_row(platform_name)["mechanisms"]
    return rows[_check("strategy", strategy, strategies())].get("refused")


def mechanism(platform_name: str, strategy: str) -> Mechanism:
    """How ``platform_name`` runs ``strategy``; CatalogError naming the reason when it cannot."""
    if (reason := refusal(platform_name, strategy)) is not None:
        raise CatalogError(f"{platform_name} cannot run {strategy!r}: {reason}")
    return _mechanism(platform_name, strategy, _platform_row(platform_name)["mechanisms"][strategy])


def _int_in(name: str, value: Any, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= (high or value):
        raise CatalogError(
            f"{name} must be a whole number from {low} to {high or 'any'}: {value!r}"
        )
    return value


def _ceil_pct(desired: int, pct: int) -> int:
    return -(-desired * pct // 100)


def ecs_rolling_bounds(desired: int, minimum_healthy_percent: int = 100,
                       maximum_percent: int = 200) -> tuple[int, int]:  # fmt: skip
    """(least running, most running or pending) in an ECS rolling update (min up, max down)."""
    desired = _int_in("desired", desired, 0, None)
    low = _ceil_pct(desired, _int_in("minimumHealthyPercent", minimum_healthy_percent, 0, 100))
    high = desired * _int_in("maximumPercent", maximum_percent, 100, None) // 100
    if desired and low >= desired and high <= desired:
        raise CatalogError(f"ECS can neither stop nor start a task ({desired} desired, "
                           f"{minimum_healthy_percent} % / {maximum_percent} %)")  # fmt: skip
    return low, high


def asg_refresh_bounds(desired: int, min_healthy_percentage: int = 90,
                       max_healthy_percentage: int | None = None) -> tuple[int, int]:  # fmt: skip
    """(least in service, most in total) in an ASG refresh: platforms.md#asg-rounding."""
    desired = _int_in("desired", desired, 0, None)
    low = _ceil_pct(desired, _int_in("MinHealthyPercentage", min_healthy_percentage, 0, 100))
    if max_healthy_percentage is None:
        return (min(low, max(desired - 1, 0)), desired)
    high_pct = _int_in("MaxHealthyPercentage", max_healthy_percentage, 100, 200)
    if high_pct - min_healthy_percentage > 100:
        raise CatalogError("MaxHealthyPercentage may be at most 100 above MinHealthyPercentage")
    high = desired * high_pct // 100
    if desired and low >= desired and high <= desired:
        high = desired + 1
    return low, high


def codedeploy_in_place_bounds(desired: int, config: str = "CodeDeployDefault.OneAtATime", *,
                               fleet_percent: int | None = None,
                               host_count: int | None = None) -> tuple[int, int]:  # fmt: skip
    """(least healthy hosts, desired) in a CodeDeploy in-place deployment; no surge."""
    desired = _int_in("desired", desired, 0, None)
    if fleet_percent is not None:
        low = _ceil_pct(desired, _int_in("FLEET_PERCENT", fleet_percent, 0, 100))
    elif host_count is not None:
        low = _int_in("HOST_COUNT", host_count, 0, None)
    else:
        lows = {"AllAtOnce": 0, "HalfAtATime": desired - desired // 2, "OneAtATime": desired - 1}
        low = max(lows[_check("configuration", config.removeprefix("CodeDeployDefault."),
                              list(lows))], 0)  # fmt: skip
    if desired and low >= desired:
        raise CatalogError(f"CodeDeploy deploys to no host at a time: {low} of {desired} stay")
    return low, desired


_BOUNDS = {"ecs_fargate": ecs_rolling_bounds, "ecs_ec2": ecs_rolling_bounds,
           "ec2": asg_refresh_bounds, "on_prem": codedeploy_in_place_bounds}  # fmt: skip


def rolling_bounds(platform_name: str, desired: int, **params: Any) -> tuple[int, int]:
    """(least in service, most in total) of ``platform_name``'s native rolling update."""
    mechanism(platform_name, "rolling")
    if platform_name not in _BOUNDS:
        raise CatalogError(f"no rolling bounds helper for {platform_name}: its rolling update is "
                           "deploysim's rolling strategy")  # fmt: skip
    return _BOUNDS[platform_name](desired, **params)
