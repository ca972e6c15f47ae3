"""Start the front end: the Streamlit server on this machine, and a browser tab once it answers.

`deploysim app` and `make run` come here, and must start unattended. Streamlit's settings
(headless, no usage statistics, the loopback address, no file watcher) live in the
repository's `.streamlit/config.toml`, which Streamlit reads from its working directory,
so the server runs from the repository root. The browser is opened here, not by
Streamlit: Streamlit opens one only when not headless, and then first asks for an e-mail
address on the terminal, which stops an unattended start.

Run as a script (`python -I launcher.py URL PID`), this module is the small detached
process that opens the browser; it imports nothing from the simulator.
"""

from __future__ import annotations

import errno
import os
import reprlib
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import webbrowser
from pathlib import Path
from typing import NoReturn

ROOT = Path(__file__).resolve().parents[2]  # the repository: simulator/cli/launcher.py
SCRIPT = ROOT / "app" / "streamlit_app.py"
CONFIG = ROOT / ".streamlit" / "config.toml"
# How long the browser opener waits for the server: a cold first start (Streamlit, pandas
# and plotly read from a slow disk) takes seconds; past this, something else is wrong.
READY_TIMEOUT_S = 120.0


class LaunchError(ValueError):
    """The front end cannot start; the message says what to change."""


def serve(port: int, open_browser: bool) -> NoReturn:
    """Become the Streamlit server on `port`; with `open_browser`, a tab opens once it answers.

    The process is replaced by the server (exec), so Ctrl-C and signals from a supervisor
    reach Streamlit directly. Raises LaunchError, before anything starts, when the front
    end or its settings are missing or the port is taken.
    """
    if not 1 <= port <= 65535:
        raise LaunchError(f"--port must be between 1 and 65535, not {port}")
    for path in (SCRIPT, CONFIG):
        if not path.is_file():
            raise LaunchError(
                f"the front end is not beside the package: {path} is missing; run deploysim "
                "from a clone of the repository, installed with `pip install -e .`"
            )
    address = _address()
    _check_port_free(address, port)
    if open_browser and _graphical_display():
        host = f"[{address}]" if ":" in address else address  # an IPv6 address in a URL
        _open_when_ready(f"http://{host}:{port}")
    os.chdir(ROOT)  # where Streamlit finds .streamlit/config.toml
    sys.stdout.flush()  # exec discards what is still buffered
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "streamlit", "run", str(SCRIPT),
                              "--server.port", str(port)])  # fmt: skip


def _address() -> str:
    """The address Streamlit listens on, from its settings (the one place it is written)."""
    try:
        with CONFIG.open("rb") as f:
            address = tomllib.load(f).get("server", {}).get("address")
    except tomllib.TOMLDecodeError as exc:
        raise LaunchError(f"{CONFIG} is not valid TOML ({exc}); fix it") from None
    if not isinstance(address, str) or not address:
        raise LaunchError(f'set server.address in {CONFIG} (e.g. "127.0.0.1")')
    return address


def _check_port_free(address: str, port: int) -> None:
    """Fail early and clearly if the server could not listen on (address, port).

    The socket is made as Streamlit makes its own (IPv6 for an address with a colon;
    SO_REUSEADDR except on Windows), so a port in use a moment ago (TIME_WAIT) is free
    here as it is to the server.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as probe:
        if os.name != "nt":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise LaunchError(
                    f"port {port} on {address} is in use (another `deploysim app`?): "
                    "choose a free one with --port (make run PORT=...)"
                ) from None
            raise LaunchError(
                f"cannot listen on {reprlib.repr(address)} port {port} ({exc.strerror}): "
                f"check --port and server.address in {CONFIG}"
            ) from None


def _graphical_display() -> bool:
    """Whether a graphical browser can show a tab: on Linux and BSD, only in X or Wayland."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_when_ready(url: str) -> None:
    """Leave behind a detached process that opens `url` once the server answers.

    It runs in its own session with no terminal and no TERM, so Python's webbrowser never
    picks a text browser (lynx, w3m) that would take over the terminal the server logs to.
    It forks and its parent exits at once (we wait for that), so no zombie stays behind.
    """
    env = {name: value for name, value in os.environ.items() if name != "TERM"}
    subprocess.run([sys.executable, "-I", __file__, url, str(os.getpid())], env=env,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)  # fmt: skip


def _answers(url: str) -> bool:
    """Whether Streamlit's health endpoint says "ok" (asked directly, never through a proxy)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/_stcore/health", timeout=2) as reply:
            return reply.read().decode().strip() == "ok"
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except (ProcessLookupError, PermissionError):  # gone, or its number reused by another user
        return False
    return True


def _open_browser_once_ready(url: str, server_pid: int) -> None:
    """Wait for the server at `url` (while it lives, up to READY_TIMEOUT_S), then open a tab."""
    if os.fork():
        return
    os.setsid()
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline and _alive(server_pid):
            if _answers(url):
                webbrowser.open(url)
                break
            time.sleep(0.25)
    finally:
        os._exit(0)


if __name__ == "__main__":
    _open_browser_once_ready(sys.argv[1], int(sys.argv[2]))
