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


PLOTTED = """() => {
  // an array, or plotly.py's typed-array encoding {dtype, bdata}: its length in values
  const n = v => v == null ? 0 : typeof v.length === 'number' ? v.length
      : v.bdata ? atob(v.bdata).length : 0;
  return [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
    axes: Object.keys(el.layout).filter(k => /^[xy]axis/.test(k))
        .map(k => [k, el.layout[k].type || 'linear', el.layout[k].visible !== false]),
    traces: el.data.map(t => ({name: t.name || '', visible: t.visible !== false,
        points: Math.max(n(t.x), n(t.y), n(t.values), n(t.z))})),
  }));
}"""
"""Every chart on a page as plotted: its axes' types and its traces' sizes."""

PAGES = [("Compare strategies", "Compare release strategies"),
         ("One run over time", "One run over time"),
         ("Release process", "Release process over weeks"),
         ("Hosting options", "Hosting options"),
         ("Hardware catalog", "Hardware catalog"),
         ("Learn", "Learn"),
         ("Past runs", "Past runs")]  # fmt: skip
"""(link in the navigation, the page's heading) for every page."""


def no_empty_traces(charts: list[dict]) -> None:
    for chart in charts:
        for trace in chart["traces"]:
            assert not trace["visible"] or trace["points"] > 0, chart


def open_page(page, link: str, heading: str) -> None:
    page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=120_000)


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
    charts = page.evaluate(PLOTTED)
    no_empty_traces(charts)
    risk_axes = dict((k, kind) for k, kind, _ in charts[0]["axes"])
    assert risk_axes["yaxis"] == "log"  # blast radius spans orders of magnitude
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


def test_a_what_if_set_on_one_page_stays_on_every_other(server, browser):
    """The reliability engineer's tour: raise the fleet on "One run", look at "Compare",
    come back: the setting is the same everywhere until it is changed."""
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(server)
    open_page(page, "One run over time", "One run over time")
    instances = page.get_by_label("Instances")
    instances.fill("7")
    instances.press("Enter")
    expect(page.get_by_label("Instances")).to_have_value("7", timeout=60_000)
    for link, heading in (("Compare strategies", "Compare release strategies"),
                          ("One run over time", "One run over time")):  # fmt: skip
        open_page(page, link, heading)
        expect(page.get_by_label("Instances")).to_have_value("7", timeout=60_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


@pytest.mark.parametrize("link, heading", PAGES, ids=[link for link, _ in PAGES])
def test_every_page_draws_without_error_and_its_charts_hold_data(server, browser, link, heading):
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.goto(server)
    open_page(page, link, heading)
    page.wait_for_timeout(3_000)  # let a page that computes on load finish drawing
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=180_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    no_empty_traces(page.evaluate(PLOTTED))
    ARTIFACTS.mkdir(exist_ok=True)
    name = link.lower().replace(" ", "-")
    page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"), full_page=True)
    page.close()
