"""What a run records while it runs.

The recorder's per-period aggregates, the CloudWatch-named metrics computed from them,
and alarms evaluated on those metrics.

May import: numpy, `simulator.scenario` (alarm specs).
"""
