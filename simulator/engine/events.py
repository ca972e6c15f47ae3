"""The kinds of event the audit trail records, as named constants.

Names follow the real APIs and logs a reader knows (SageMaker's CloudTrail actions,
CloudWatch alarm state changes, Argo's AnalysisRun phases), so a simulated trail reads
like a real one. Events are stored by value: a kind compares equal to its string.
"""

from enum import StrEnum


class EventKind(StrEnum):
    """Everything that can happen in a run worth a line in the audit trail."""

    # the release, as SageMaker's UpdateEndpoint reports it
    UPDATE_ENDPOINT = "UpdateEndpoint"
    UPDATE_ENDPOINT_WEIGHTS_AND_CAPACITIES = "UpdateEndpointWeightsAndCapacities"
    UPDATE_COMPLETE = "UpdateComplete"
    GUARDRAILS_UNSUPPORTED = "GuardrailsUnsupported"
    ROLLBACK_TRIGGERED = "RollbackTriggered"
    ROLLBACK_COMPLETE = "RollbackComplete"
    # instances and fleets
    LAUNCH_INSTANCES = "LaunchInstances"
    TERMINATE_INSTANCES = "TerminateInstances"
    INSTANCE_FAILURE = "InstanceFailure"
    INSTANCE_IN_SERVICE = "InstanceInService"
    ZONE_OUTAGE = "ZoneOutage"
    ZONE_RECOVERED = "ZoneRecovered"
    SCALE_OUT = "ScaleOut"
    SCALE_IN = "ScaleIn"
    SHADOW_TRAFFIC = "ShadowTraffic"
    ADOPT_SHADOW = "AdoptShadow"
    # monitoring and analysis
    ALARM_STATE_CHANGE = "AlarmStateChange"
    ANALYSIS_FAILED = "AnalysisFailed"
    ANALYSIS_PAUSED = "AnalysisPaused"
    ANALYSIS_RUN_SUCCESSFUL = "AnalysisRunSuccessful"
    CANARY_JUDGEMENT = "CanaryJudgement"
    EXPERIMENT_DECISION = "ExperimentDecision"
