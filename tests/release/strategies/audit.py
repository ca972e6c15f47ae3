"""Reading a Result's audit trail and metrics in strategy tests."""

import json


def kind(res, name):
    """The audit-trail events of one kind."""
    ev = res.events
    return ev[ev["kind"] == name]


def timed(res, name):
    """[time, detail] for every event of one kind."""
    return kind(res, name)[["time", "detail"]].values.tolist()


def at(res, name):
    """The times of every event of one kind."""
    return list(kind(res, name)["time"])


def shifts(res):
    """(time, {variant: weight}) for every UpdateEndpointWeightsAndCapacities."""
    rows = kind(res, "UpdateEndpointWeightsAndCapacities")
    return [(t, json.loads(w)) for t, w in zip(rows["time"], rows["weights"], strict=True)]


def launches(res, count=int):
    """(time, count, variant) for every LaunchInstances; `count` converts the count."""
    return _counted(res, "LaunchInstances", count)


def terminations(res, count=int):
    """(time, count, variant) for every TerminateInstances; `count` converts the count."""
    return _counted(res, "TerminateInstances", count)


def _counted(res, name, count):
    rows = kind(res, name)
    return [(t, count(int(n)), v) for t, n, v in rows[["time", "count", "variant"]].to_numpy()]


def periods(res, version, t0, t1, period=60.0):
    """Metrics rows of one version for the periods lying wholly inside [t0, t1).

    `period` is the scenario's monitoring period (60 s in every file that uses this).
    """
    m = res.metrics
    return m[(m["version"] == version) & (m["time_s"] >= t0 - 1e-9)
             & (m["time_s"] + period <= t1 + 1e-9)]  # fmt: skip


def conserved(s):
    """Every request of a summary has exactly one outcome (or is still in flight)."""
    return s["requests"] == (
        s["completed"] + s["errors"] + s["rejected"] + s["timed_out"] + s["in_flight"]
    )


def steady(summary):
    """A summary without its wall-clock fields, for comparing runs."""
    return {k: v for k, v in summary.items() if k not in ("wall_s", "requests_per_s")}
