"""A fresh machine: `make run` starts unattended, and a clean clone stays clean.

`make run` is run as a person's first run looks to Streamlit: a home without
~/.streamlit (no credentials, the case that prompted for an e-mail address), no terminal,
stdin closed, no display. The effective Streamlit settings are read with Streamlit's own
`config show` where the launcher runs it; numba's compiled kernel is looked for where it
must go, and not in simulator/.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from simulator.cli import launcher
from simulator.cli.launcher import LaunchError

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)  # the environment running the tests, already installed
STARTUP_S = 90
BROWSER_GRACE_S = 3  # a browser started as the server comes up has run by then


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_run_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a first run: an empty home, no display, no Streamlit settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DISPLAY", "WAYLAND_DISPLAY", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
        and not name.startswith("STREAMLIT_")
    }
    return env | {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")} | extra


def fake_browser(folder: Path) -> tuple[Path, Path]:
    """A `BROWSER` that records the URL it was asked to open and what the server said then."""
    record = folder / "opened.json"
    script = folder / "fake-browser"
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(f"""\
        import json, sys, urllib.request
        url = sys.argv[1]
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=5) as reply:
                health = reply.read().decode()
        except OSError as exc:
            health = str(exc)
        with open({str(record)!r}, "a") as f:
            f.write(json.dumps({{"url": url, "health": health}}) + "\\n")
    """))  # fmt: skip
    script.chmod(0o755)
    return script, record


def start(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    """Start without a terminal and with stdin closed, in its own process group."""
    return subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # fmt: skip


def stop(process: subprocess.Popen) -> str:
    """End the whole process group (make, the server, anything they started); its output."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        return process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.communicate()[0]


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as reply:
        return reply.read().decode()


def wait_until_served(url: str, process: subprocess.Popen) -> str | None:
    """The front page once the health endpoint says "ok"; None if the server ended or hung."""
    deadline = time.monotonic() + STARTUP_S
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if get(f"{url}/_stcore/health").strip() == "ok":
                return get(url)
        except OSError:
            pass
        time.sleep(0.5)
    return None


def test_make_run_starts_unattended_on_a_first_run(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    browser, opened = fake_browser(tmp_path)
    port = free_port()
    stamp = VENV / ".installed-stamp"  # installing is `make install`'s part, not this test's
    process = start(["make", "--no-print-directory", "-o", str(stamp), "run", f"PORT={port}",
                     f"VENV={VENV}"], first_run_env(home, BROWSER=str(browser)), ROOT)  # fmt: skip
    try:
        page = wait_until_served(f"http://127.0.0.1:{port}", process)
        time.sleep(BROWSER_GRACE_S)
        still_running = process.poll() is None
    finally:
        output = stop(process)
    assert page is not None, f"`make run` did not serve the app:\n{output}"
    assert 'id="root"' in page
    assert still_running
    assert "Email" not in output
    assert f"http://127.0.0.1:{port}" in output  # the one URL Streamlit prints
    assert not opened.exists(), "no display, yet a browser was started"


def test_a_browser_tab_opens_once_the_server_answers(tmp_path):
    """Started from another folder, with a display: the settings still apply (no prompt)."""
    home = tmp_path / "home"
    home.mkdir()
    browser, opened = fake_browser(tmp_path)
    port = free_port()
    env = first_run_env(home, DISPLAY=":99", BROWSER=str(browser))
    process = start([sys.executable, "-c", "from simulator.cli.launcher import serve; "
                     f"serve({port}, open_browser=True)"], env, tmp_path)  # fmt: skip
    try:
        page = wait_until_served(f"http://127.0.0.1:{port}", process)
        deadline = time.monotonic() + 30
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        tabs = [json.loads(line) for line in opened.read_text().splitlines()] if page else []
    finally:
        output = stop(process)
    assert page is not None, f"the server did not start:\n{output}"
    assert "Email" not in output
    assert tabs == [{"url": f"http://127.0.0.1:{port}", "health": "ok"}]


def config_show(python: str, cwd: Path, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Streamlit's effective settings: name -> (value, where it was set), only those set."""
    shown = subprocess.run([python, "-m", "streamlit", "config", "show"], cwd=cwd, env=env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           check=True, timeout=120).stdout  # fmt: skip
    settings, section, source = {}, "", ""
    for line in shown.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif line.startswith("# The value below was set in "):
            source = line.removeprefix("# The value below was set in ")
        elif " = " in line and not line.startswith("#"):
            name, value = line.split(" = ", 1)
            settings[f"{section}.{name}"] = (value, source)
    return settings


class Exec(Exception):
    """Stands in for the exec, which would replace the test process."""


def test_the_server_runs_with_the_repository_settings(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    started = {}
    monkeypatch.setattr(os, "chdir", lambda path: started.update(cwd=path))

    def execv(path, argv):
        started.update(argv=argv)
        raise Exec

    monkeypatch.setattr(os, "execv", execv)
    with pytest.raises(Exec):
        launcher.serve(free_port(), open_browser=False)
    python, *arguments = started["argv"]
    assert arguments[:3] == ["-m", "streamlit", "run"]
    # with a display, Streamlit's own default would be to open a browser (and prompt)
    settings = config_show(python, started["cwd"], first_run_env(home, DISPLAY=":99"))
    where = str(started["cwd"] / ".streamlit" / "config.toml")
    assert settings["server.headless"] == ("true", where)
    assert settings["server.showEmailPrompt"] == ("false", where)
    assert settings["browser.gatherUsageStats"] == ("false", where)
    assert settings["server.address"] == ('"127.0.0.1"', where)
    assert settings["server.fileWatcherType"] == ('"none"', where)


def test_a_taken_port_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(os, "execv", lambda *_: pytest.fail("started despite the taken port"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LaunchError, match=f"port {port} .* in use.*--port"):
            launcher.serve(port, open_browser=False)


def test_a_missing_front_end_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "execv", lambda *_: pytest.fail("started without a front end"))
    monkeypatch.setattr(launcher, "SCRIPT", tmp_path / "app" / "streamlit_app.py")
    with pytest.raises(LaunchError, match="streamlit_app.py is missing"):
        launcher.serve(free_port(), open_browser=False)


@pytest.mark.parametrize("port", [0, 65536])
def test_a_port_out_of_range_is_a_clear_error(port, monkeypatch):
    monkeypatch.setattr(os, "execv", lambda *_: pytest.fail("started on an impossible port"))
    with pytest.raises(LaunchError, match="--port must be between 1 and 65535"):
        launcher.serve(port, open_browser=False)


SIMULATE = """
import json
import numba
from simulator.engine import kernel
from simulator.run import simulate
result = simulate({"name": "tiny", "duration": 200.0,
                   "traffic": {"pattern": "poisson", "rate": 1.0},
                   "fleet": {"instances": 1, "workers_per_instance": 2,
                             "service_time": {"distribution": "exponential", "mean": 1.5}}},
                  seed=7)
stats = kernel.serve.stats
print(json.dumps({"served": result.summary["completed"], "cache": stats.cache_path,
                  "hits": sum(stats.cache_hits.values()),
                  "misses": sum(stats.cache_misses.values()),
                  "numba_cache_dir": numba.config.CACHE_DIR}))
"""


def kernel_files() -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (ROOT / "simulator").rglob("*.nb[ic]")}


def simulate(env: dict[str, str], cwd: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", SIMULATE], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def plain_env(tmp_path):
    """No NUMBA_ setting of the user's, and a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    return env | {"HOME": str(tmp_path / "home")}


def test_the_compiled_kernel_is_cached_in_the_user_cache_folder(tmp_path, plain_env):
    before = kernel_files()
    env = plain_env | {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    first = simulate(env, tmp_path)
    folder = tmp_path / "xdg" / "deploysim" / "numba"
    assert first["served"] > 100  # about 200 arrivals, nearly all served by the end
    assert Path(first["cache"]).parent.parent == folder  # in a folder named after the source
    assert Path(first["cache"]).parent.name.startswith("engine-")
    assert first["misses"] == 1 and first["hits"] == 0
    assert sorted(p.suffix for p in folder.rglob("kernel.serve-*")) == [".nbc", ".nbi"]
    assert first["numba_cache_dir"] == ""  # numba's setting is left as the user had it
    again = simulate(env, tmp_path)
    assert again["hits"] == 1 and again["misses"] == 0  # read back, not compiled again
    assert again["served"] == first["served"]
    assert kernel_files() == before


def test_numba_cache_dir_set_by_the_user_wins(tmp_path, plain_env):
    before = kernel_files()
    env = plain_env | {"XDG_CACHE_HOME": str(tmp_path / "xdg"),
                       "NUMBA_CACHE_DIR": str(tmp_path / "mine")}  # fmt: skip
    result = simulate(env, tmp_path)
    assert Path(result["cache"]).parent.parent == tmp_path / "mine"
    assert list((tmp_path / "mine").rglob("*.nbi"))
    assert not (tmp_path / "xdg").exists()
    assert kernel_files() == before


def test_without_a_writable_cache_folder_the_kernel_still_runs(tmp_path, plain_env):
    before = kernel_files()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = simulate(plain_env | {"XDG_CACHE_HOME": str(blocker)}, tmp_path)
    assert result["served"] > 100
    assert result["cache"] is None  # compiled in the process, cached nowhere
    assert not list(tmp_path.rglob("*.nb[ic]"))
    assert kernel_files() == before
