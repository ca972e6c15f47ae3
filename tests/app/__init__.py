"""Tests of app/: pages through AppTest, charts as pure functions, a real browser."""
