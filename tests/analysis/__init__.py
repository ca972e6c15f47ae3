"""Tests of simulator/analysis: replications, comparisons, sweeps, questions, processes."""
