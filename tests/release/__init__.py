"""Tests of simulator/release: every strategy (strategies/), the gates, the Kayenta judge."""
