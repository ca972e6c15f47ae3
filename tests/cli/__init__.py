"""Tests of simulator/cli: commands, bad input in fresh processes, `make run`."""
