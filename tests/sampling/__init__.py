"""Tests of simulator/sampling: arrival processes, traces, service-time distributions."""
