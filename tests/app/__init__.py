"""Tests of app/: pages through AppTest, charts as pure functions, a real browser.

`page` opens one page of the app in Streamlit's AppTest, for every page's tests.
"""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


def page(name: str | None = None, timeout: float = 180) -> AppTest:
    """The app run once, then switched to `pages/<name>.py`; no exception on the way."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    if name is not None:
        at.switch_page(f"pages/{name}.py").run()
    assert not at.exception, at.exception
    return at
