"""Tests of simulator/scenario: the schema, its messages, the input gate, fuzzing."""
