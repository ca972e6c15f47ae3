"""Tests of simulator/importers: configs teams really run, and malformed ones."""
