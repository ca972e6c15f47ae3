"""Writing a user's file safely: all of it or nothing, never over a file without --force.

And naming a path in a message without ever printing more of it than a screen holds.
"""

from __future__ import annotations

import os
import reprlib
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from simulator.errors import UserError


class RunStoreError(UserError):
    """A store problem the user can fix: an unknown id, an unreadable file, a wrong suffix."""


def write_atomically(
    path: str | Path, write: Callable[[Path], Any], *, force: bool = False
) -> Path:
    """Have `write` fill a temporary file beside `path`, then put it in place in one step.

    An interrupted or failed write leaves the old file (or none), never half a file; an
    existing file is replaced only with `force` (the command line's --force).
    """
    path = Path(path)
    if path.is_dir():
        raise RunStoreError(f"cannot write {quote_path(path)}: it is a folder")
    if path.exists() and not force:
        raise RunStoreError(f"{quote_path(path)} already exists; add --force to overwrite it")
    part = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")  # hidden, same folder
    try:
        write(part)
        os.replace(part, path)
    except OSError as exc:
        raise RunStoreError(f"cannot write {quote_path(path)}: {exc.strerror or exc}") from None
    finally:
        part.unlink(missing_ok=True)
    return path


_PATHS = reprlib.Repr()
_PATHS.maxstring = 160  # room for a deep path; a pasted essay is cut


def quote_path(path: str | Path) -> str:
    """A user's path, quoted for a message and cut in the middle if very long."""
    return _PATHS.repr(str(path))
