"""Scenario dicts for tests: one set of defaults, three shapes, one merge rule.

Each shape returns a fresh dict (nothing nested is shared with another call or with a
constant here), so a test may change it in place before simulating it:

- `scenario(**overrides)`: the smallest valid scenario, for tests of the schema itself.
- `plain_queue(rate, workers, instances, ...)`: M/M/c queues and nothing else, the shape
  queueing theory answers exactly.
- `release(strategy, defect, ...)`: the usual release, a plain queue with a v2 to roll out.

Each builds on the one before, and every override goes through `merge`. Tests assert
event times from WARMUP, PROVISIONING and PERIOD, so they import them from here rather
than typing the numbers again.
"""

from __future__ import annotations

import copy
from typing import Any

WARMUP = 300.0
"""Seconds of warm-up in a release scenario; its strategy starts when it ends."""
PROVISIONING = 120.0
"""Seconds an instance of the release scenario takes to start: two monitoring periods."""
PERIOD = 60.0
"""Monitoring period of the release scenario (CloudWatch's one minute), in seconds."""
SLO = {"latency_p99": "1s", "availability": 0.999}
"""The release scenario's SLO; gates without checks of their own derive them from it."""


class _Drop:
    """The type of DROP: one object, which copying keeps (so `is DROP` works on copies)."""

    def __repr__(self) -> str:
        return "DROP"

    def __copy__(self) -> _Drop:
        return self

    def __deepcopy__(self, memo: dict) -> _Drop:
        return self


DROP = _Drop()
"""An override that removes a field: `release(..., monitoring=DROP)` has no monitoring
section, `scenario(traffic={"pattern": DROP})` a traffic with no pattern."""

_TAGS = {"traffic": "pattern", "service_time": "distribution", "strategy": "type", "gate": "type",
         "hosting": "kind"}
"""The scenario's tagged unions, by the field that holds one, and the field naming its kind."""


def merge(base: dict[str, Any], *overrides: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `base` with each of `overrides` merged in, in order.

    A dict merges into a dict field by field, so `fleet={"instances": 2}` changes the
    instance count and keeps the rest of the fleet. A tagged union given with its tag
    (a traffic with a `pattern`, a service time with a `distribution`, a strategy or a
    gate with a `type`) replaces the default whole instead: fields of one kind mean
    nothing in another (a deterministic service time with an exponential's mean is
    invalid). DROP removes a field. Anything else (numbers, strings, lists, None)
    replaces. To replace a whole top-level section, use `|` on the result.
    """
    out = copy.deepcopy(base)
    for layer in overrides:
        _merge_into(out, layer)
    return out


def _merge_into(target: dict[str, Any], layer: dict[str, Any]) -> None:
    for key, value in layer.items():
        if value is DROP:
            target.pop(key, None)
        elif (
            isinstance(value, dict)
            and isinstance(target.get(key), dict)
            and not _tagged(key, value)
        ):
            _merge_into(target[key], value)
        else:
            target[key] = _without_drops(copy.deepcopy(value))


def _tagged(key: str, value: dict[str, Any]) -> bool:
    tag = _TAGS.get(key)
    return tag is not None and tag in value and value[tag] is not DROP


def _without_drops(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_drops(v) for k, v in value.items() if v is not DROP}
    return value


def exponential(mean: float) -> dict[str, Any]:
    """An exponential service time of `mean` seconds (a queueing model's M)."""
    return {"distribution": "exponential", "mean": mean}


def scenario(**overrides: Any) -> dict[str, Any]:
    """The smallest valid scenario with `overrides` merged in (see `merge`).

    One hour of Poisson traffic at 10 req/s and only the two fields the schema requires;
    everything else is the schema's default (one ml.c5.xlarge instance serving the
    catalog's default model), so a schema test adds exactly the field it is about.
    """
    return merge({"duration": "1h", "traffic": {"pattern": "poisson", "rate": 10}}, overrides)


def plain_queue(
    rate: float,
    workers: int = 1,
    instances: int = 1,
    *,
    service: float = 0.1,
    duration: float = 600,
    **overrides: Any,
) -> dict[str, Any]:
    """M/M/c queues: Poisson arrivals at `rate` req/s spread over `instances`, each with
    `workers` servers and exponential service of mean `service` seconds.

    No release, no warm-up, no SLO: nothing but the queues, so Erlang C, Little's law
    and the oracle give the exact answer. Named "plain" unless overridden.
    """
    base = scenario(
        name="plain",
        duration=duration,
        traffic={"rate": rate},
        fleet={"instances": instances, "workers_per_instance": workers,
               "service_time": exponential(service)},
    )  # fmt: skip
    return merge(base, overrides)


def release(
    strategy: str | dict[str, Any] | None = None,
    defect: dict[str, Any] | None = None,
    *,
    rate: float = 50,
    duration: float = 3600,
    instances: int = 4,
    **overrides: Any,
) -> dict[str, Any]:
    """The usual release: v1 on `instances` ml.c5.xlarge x 2 workers, v2 rolled out by
    `strategy` (a type name or a strategy dict; None: type "none") with `defect`.

    50 req/s of Poisson traffic on 50 ms exponential service keeps the four instances
    at 31% load, so a healthy release passes any gate and a defect is what a gate sees.
    The strategy starts after WARMUP; instances take PROVISIONING to start; metrics are
    kept per PERIOD; the SLO is SLO. Named "t" unless overridden (a name only labels
    outputs).
    """
    if isinstance(strategy, str):
        strategy = {"type": strategy}
    base = plain_queue(rate, 2, instances, service=0.05, duration=duration)
    return merge(
        base,
        {
            "name": "t",
            "warmup": WARMUP,
            "fleet": {"version": "v1", "provisioning": PROVISIONING},
            "release": {"version": "v2", "defect": defect or {}},
            "slo": SLO,
            "monitoring": {"period": PERIOD},
            "strategy": strategy or {"type": "none"},
        },
        overrides,
    )
