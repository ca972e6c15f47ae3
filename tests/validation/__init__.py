"""Tests of simulator/validation: theory, the oracle, the validate cases."""
