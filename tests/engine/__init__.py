"""Tests of simulator/engine: runs, the per-request oracle, the budget, and the kernel,
data plane and recorder on their own."""
