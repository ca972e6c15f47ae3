"""Compiled code, cached on disk outside the source tree.

numba's default cache folder is `__pycache__` beside the source, so a clean clone would
not stay clean: the compiled loops are kept under `$NUMBA_CACHE_DIR` if the user set it,
else under `$XDG_CACHE_HOME/deploysim/numba` (`~/.cache` by default), in a folder named
after the engine's source. numba checks only the file that holds a compiled function
before reusing it, not the files of the functions it inlines (the kernel inlines the
recorder's `tally.record`), so any change to the engine's code starts a new folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from numba import njit
from numba.core import config


def _cache_folder() -> str | None:
    """Where the compiled loops are kept, or None to compile them in each process.

    None when the folder cannot be made or written: numba would then fall back to the
    source tree.
    """
    config.reload_config()  # NUMBA_CACHE_DIR may have been set after numba was imported
    folder = config.CACHE_DIR
    if not folder:
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):  # unset, or relative, which the XDG spec says to ignore
            base = os.path.expanduser("~/.cache")
        if not os.path.isabs(base):  # no home directory either
            return None
        folder = os.path.join(base, "deploysim", "numba")
    stamped = os.path.join(folder, _source_stamp())
    try:
        os.makedirs(stamped, exist_ok=True)
        tempfile.TemporaryFile(dir=stamped).close()  # numba's own test that it can write there
        os.utime(stamped)  # in use: see _prune
    except OSError:
        return None
    _prune(folder)
    return stamped


STALE_DAYS = 30
"""A folder of compiled code no process has used for this long belonged to an engine
since changed (an upgrade, an edit): it is removed (a few hundred KB each)."""


def _prune(folder: str) -> None:
    now = time.time()
    for old in Path(folder).glob("engine-*"):
        try:
            if now - old.stat().st_mtime > STALE_DAYS * 86400:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass  # another process removed it first


def _source_stamp() -> str:
    """A digest of every module of the engine: compiled code, and the code it inlines."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return f"engine-{digest.hexdigest()[:16]}"


CACHE = _cache_folder()


def compiled(func=None, *, inline: bool = False):
    """`njit`, cached in CACHE; numba reads config.CACHE_DIR once, as it decorates a function.

    The setting is put back at once, so other numba code in the process is left as it was.
    The compiled loops never allocate, so they run without numba's reference counting:
    with it, every call passing the kernel's dozens of arrays costs two atomic updates per
    array, 5-10 times the work of serving a request. With `inline`, callers get the
    function's body in place of a call.
    """
    if func is None:
        return lambda f: compiled(f, inline=inline)
    saved, config.CACHE_DIR = config.CACHE_DIR, CACHE or ""
    try:
        options = {"inline": "always"} if inline else {}
        return njit(cache=CACHE is not None, nogil=True, _nrt=False, **options)(func)
    finally:
        config.CACHE_DIR = saved
