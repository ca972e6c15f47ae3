"""The front end in a real browser: `deploysim app` on a loopback port, headless Chromium.

Debian's `chromium` (installed by `make test`) is driven by Playwright's Python client;
the test runs a comparison as a person would, checks the results table and the charts
were drawn with the right data, and saves a screenshot to test-artifacts/. The server
gets its settings from the repository's .streamlit/config.toml, as for a person; it is
told not to open a browser tab, and has no display to open one on.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["DEPLOYSIM_STORE"] = str(tmp_path_factory.mktemp("store") / "runs.sqlite")
    process = subprocess.Popen(  # `deploysim app`, as a person starts it
        [sys.executable, "-m", "simulator", "app", "--port", str(port), "--no-browser"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.read().decode().strip() == "ok":
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):  # already gone
                os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"streamlit did not start:\n{process.communicate()[0]}")
        time.sleep(0.5)
    yield url
    os.killpg(process.pid, signal.SIGTERM)  # the server and anything it started
    process.communicate(timeout=20)


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: `make test` installs it"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox"])  # fmt: skip
        yield chromium
        chromium.close()


def test_a_person_compares_strategies_in_a_real_browser(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(server)
    expect(page.get_by_role("heading", name="Compare release strategies")).to_be_visible(
        timeout=60_000
    )
    replications = page.get_by_label("Replications")
    replications.fill("2")
    replications.press("Enter")
    page.get_by_role("button", name="Run the comparison").click()
    expect(page.get_by_role("heading", name="Risk")).to_be_visible(timeout=180_000)
    tables = page.locator('[data-testid="stDataFrame"]')
    expect(tables).to_have_count(2, timeout=30_000)
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible(timeout=30_000)
    # the risk-vs-cost chart holds one marker per strategy, labelled by strategy
    names = page.evaluate(
        "() => document.querySelector('.js-plotly-plot').data.flatMap(t => t.text || [])"
    )
    assert sorted(names) == ["big_bang", "blue_green", "canary", "rolling"]
    assert page.locator('[data-testid="stException"]').count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    page.close()


def test_the_run_page_draws_its_charts(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.goto(server)
    page.get_by_role("link", name="One run over time").click()
    expect(page.get_by_role("heading", name="One run over time")).to_be_visible(timeout=60_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(5, timeout=120_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(ARTIFACTS / "run.png"), full_page=True)
    page.close()
