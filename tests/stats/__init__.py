"""Tests of simulator/stats: the A/B tests' stopping rules."""
