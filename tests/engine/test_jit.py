"""Where compiled code is cached (simulator/engine/jit.py): a folder per engine source.

numba reuses a cached function after checking only the file that defines it, while the
kernel inlines the recorder's code from other files; so the cache folder is named after
every engine module, and an edit anywhere in the engine must start a new one.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from pathlib import Path

from simulator.engine import jit

ENGINE = Path(jit.__file__).parent


def stamp_of(copy: Path, monkeypatch) -> str:
    """The stamp jit.py computes when it lives in `copy` (a copy of the engine)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(copy.parent / "cache"))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    spec = importlib.util.spec_from_file_location("jit_copy", copy / "jit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._source_stamp()


def test_an_edit_to_any_engine_module_starts_a_new_cache_folder(tmp_path, monkeypatch):
    copy = tmp_path / "engine"
    shutil.copytree(ENGINE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    first = stamp_of(copy, monkeypatch)
    assert first == jit._source_stamp()  # the same source, the same folder
    tally = copy / "recording" / "tally.py"  # inlined into the kernel, defined elsewhere
    tally.write_text(tally.read_text() + "\n# an edit\n")
    second = stamp_of(copy, monkeypatch)
    assert second != first and second.startswith("engine-")
    assert jit.CACHE is None or Path(jit.CACHE).name == first


def test_folders_unused_for_thirty_days_are_removed(tmp_path):
    old, recent, other = (tmp_path / n for n in ("engine-old", "engine-recent", "notes"))
    for folder in (old, recent, other):
        folder.mkdir()
    month_ago = time.time() - (jit.STALE_DAYS + 1) * 86400
    for folder in (old, other):
        os.utime(folder, (month_ago, month_ago))
    jit._prune(str(tmp_path))
    assert not old.exists() and recent.exists()
    assert other.exists()  # only the engine's own folders
