"""Tests of simulator/store: the run store."""
