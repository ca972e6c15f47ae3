"""Every test keeps its run store in its own temporary directory, never in the home one."""

import pytest


@pytest.fixture(autouse=True)
def _private_run_store(tmp_path, monkeypatch):
    monkeypatch.setenv("DEPLOYSIM_STORE", str(tmp_path / "runs.sqlite"))
