"""The kinds of event the audit trail records, as named constants, and the fields each fills.

Names follow the real APIs and logs a reader knows (SageMaker's CloudTrail actions,
CloudWatch alarm state changes, Argo's AnalysisRun phases), so a simulated trail reads
like a real one. Events are stored by value: a kind compares equal to its string.

Events are data. Besides its human-readable `detail`, every event fills typed fields:
the columns of `Result.events` after `time`, `kind` and `detail`, in the order of
`FIELDS`. A kind fills exactly the fields it lists (`EventKind.X.fields`, each member's
docstring says what they mean); the others are empty (None, <NA>, NaN). A field in a
kind's `optional` may be empty too, as its docstring says. The detail says the same in
words, for people: nothing needs to parse it to learn what happened.

- `variant` (str): the variant the event is about, by name (``v2``, ``v2-shadow``), or
  the series a gate or alarm reads, by label; the same name the detail shows.
- `instance` (Int64): an instance's number within the run (the ``0`` of ``v1#0``).
- `alarm` (str): an alarm's name.
- `count` (Int64): how many: instances, requests, measurements, periods. Read it as
  ``events["count"]``: ``events.count`` is the DataFrame's method.
- `state` (str): what something became: an alarm's state, the update's outcome.
- `cause` (str): why: what took an instance down, what caught the release.
- `value` (float): a measured or set number; its unit is in the kind's docstring.
- `weights` (str): variant weights as JSON text, in the order they were set
  (``{"v2": 0.1, "v1": 0.9}``): one value per event, which Parquet stores as it is.
"""

from __future__ import annotations

import json
from enum import StrEnum

FIELDS: dict[str, str] = {
    "variant": "str",
    "instance": "Int64",
    "alarm": "str",
    "count": "Int64",
    "state": "str",
    "cause": "str",
    "value": "float64",
    "weights": "str",
}
"""The event fields, in column order, with their pandas dtypes ("str" is pandas' default
string dtype: text, or missing)."""


class EventKind(StrEnum):
    """Everything that can happen in a run worth a line in the audit trail.

    Each member is defined as ``value, fields[, optional]``: `fields` are the fields
    every event of the kind fills, `optional` those of them that may still be empty.
    """

    fields: tuple[str, ...]
    optional: tuple[str, ...]

    def __new__(cls, value: str, fields: tuple[str, ...] = (), optional: tuple[str, ...] = ()):
        """A kind: its value, the fields it fills, and which of them may be empty."""
        member = str.__new__(cls, value)
        member._value_ = value
        member.fields, member.optional = fields, optional
        return member

    # the release, as SageMaker's UpdateEndpoint reports it
    UPDATE_ENDPOINT = "UpdateEndpoint", ("variant",)
    """The rollout begins: `variant` is the release's version."""
    UPDATE_ENDPOINT_WEIGHTS_AND_CAPACITIES = "UpdateEndpointWeightsAndCapacities", ("weights",)
    """New traffic weights: `weights` maps each variant set to its weight."""
    UPDATE_COMPLETE = "UpdateComplete", ("state",)
    """The rollout ends: `state` is its outcome, ``promoted`` or ``rolled_back``."""
    GUARDRAILS_UNSUPPORTED = "GuardrailsUnsupported"
    """An ml.inf1 endpoint: the update goes all at once, unguarded. No fields."""
    ROLLBACK_TRIGGERED = "RollbackTriggered", ("variant", "cause")
    """The release is caught. `variant` is the series that was judged; `cause` is what
    caught it: the gate's type (``alarms``, ``argo``, ``flagger``, ``kayenta``),
    ``timeout`` (a deadline passed: MaximumExecutionTimeoutInSeconds), or the strategy
    (``shadow``, ``parallel``) whose comparison rejected the release before users met it."""
    ROLLBACK_COMPLETE = "RollbackComplete", ("variant",)
    """All traffic is back on `variant`, serving."""
    # instances and fleets
    LAUNCH_INSTANCES = "LaunchInstances", ("variant", "count")
    """`count` instances of `variant` start provisioning (of its fleet's instance type)."""
    TERMINATE_INSTANCES = "TerminateInstances", ("variant", "count")
    """`count` instances of `variant` are terminated."""
    INSTANCE_FAILURE = "InstanceFailure", ("variant", "instance", "cause", "count")
    """Instance `instance` of `variant` stops serving; `cause` is ``crash`` or ``zone``
    (an outage) and `count` the requests in flight on it that failed."""
    INSTANCE_IN_SERVICE = "InstanceInService", ("variant", "instance", "cause")
    """Instance `instance` of `variant` serves again after `cause` (``crash``, ``zone``)."""
    ZONE_OUTAGE = "ZoneOutage", ("count", "value")
    """`count` instances go down for `value` seconds."""
    ZONE_RECOVERED = "ZoneRecovered", ("count",)
    """The outage ends: its `count` instances are back."""
    SCALE_OUT = "ScaleOut", ("variant", "count", "value")
    """Target tracking grows `variant` to `count` instances; `value` is the period's
    metric that breached the target: invocations per instance per minute, or on an
    asynchronous endpoint its backlog per instance (the whole backlog with no instance)."""
    SCALE_IN = "ScaleIn", ("variant", "count", "value")
    """Target tracking shrinks `variant` to `count` instances; `value` as for ScaleOut."""
    # hosting: endpoints and jobs created during the run
    CREATE_ENDPOINT = "CreateEndpoint", ("variant", "value")
    """CreateModel, CreateEndpointConfig and CreateEndpoint for `variant`; it serves
    `value` seconds later, when the endpoint is InService."""
    CREATE_TRANSFORM_JOB = "CreateTransformJob", ("count", "value")
    """A Batch Transform job starts `count` instances; the first mini-batch goes out
    `value` seconds later."""
    TRANSFORM_JOB_COMPLETE = "TransformJobComplete", ("state", "count")
    """The job ends: `state` is ``Completed`` or ``Failed`` (some mini-batch failed every
    attempt); `count` is the records that failed."""
    ACTIVE_INSTANCES = "ActiveInstances", ("variant", "count")
    """`count` of `variant`'s in-service instances take traffic; the rest stay provisioned
    and billed, out of rotation (SageMaker's linear shift deactivates a portion of each
    fleet)."""
    SHADOW_TRAFFIC = "ShadowTraffic", ("variant", "value")
    """Mirroring changes: `value` is the share of requests (0-1) now copied to
    `variant`; when mirroring stops, 0, and `variant` is the one it was copying to."""
    ADOPT_SHADOW = "AdoptShadow", ("variant", "count")
    """The `count` warm instances of the shadow fleet `variant` start serving users."""
    # monitoring and analysis
    ALARM_STATE_CHANGE = "AlarmStateChange", ("alarm", "state", "value"), ("value",)
    """Alarm `alarm` enters `state` (``ALARM``, ``OK``); `value` is the period's datapoint
    of its metric, NaN when the period had none."""
    ANALYSIS_FAILED = "AnalysisFailed", ("variant", "count")
    """A measurement of `variant` fails; `count` failed measurements so far."""
    ANALYSIS_ERROR = "AnalysisError", ("variant", "count")
    """A measurement of `variant` errs (Argo: its query found no data); `count`
    consecutive errors so far."""
    ANALYSIS_PAUSED = "AnalysisPaused", ("variant", "count")
    """Too little traffic to judge `variant`: only `count` requests; the rollout holds."""
    ANALYSIS_RUN_SUCCESSFUL = "AnalysisRunSuccessful", ("variant", "count")
    """Argo's AnalysisRun on `variant` is Successful after `count` measurements."""
    CANARY_JUDGEMENT = "CanaryJudgement", ("variant", "value", "count")
    """Kayenta judges canary `variant` against its baseline: score `value` (0-100) over
    the `count` periods since the gate started."""
    EXPERIMENT_DECISION = "ExperimentDecision", ("variant", "value"), ("variant",)
    """The A/B test stops: `variant` is the winning version, empty when neither arm won;
    `value` is the decision's p-value."""


def weights_text(weights: dict[str, float]) -> str:
    """The `weights` field: variant name to weight as JSON text, in the order given."""
    return json.dumps({name: float(w) for name, w in weights.items()})
