"""Tests of simulator/catalog: the hardware catalog and its sources."""
