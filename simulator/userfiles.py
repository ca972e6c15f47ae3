"""Reading what users hand us: files and text that may be anything, refused fast and safely.

A scenario, an Argo manifest or a SageMaker request is untrusted input. Before any of it
is built into Python objects this module refuses, in bounded time and memory, what is
not what it seems: a binary or non-UTF-8 file, a file far larger than any configuration,
YAML nested deeper than any real configuration or whose aliases expand to millions of
values (a "billion laughs" bomb), and duplicate keys (YAML's "last one wins" silently
drops what the user wrote first). YAML is parsed by libyaml's C parser where installed.
Messages say where and what, never the content: an error must not disclose a file.
"""

from __future__ import annotations

import json
import math
import reprlib
from pathlib import Path
from typing import Any

import yaml

from simulator.errors import UserError

MAX_BYTES = 8 * 2**20
"""Largest file read: configurations are kilobytes; 8 MiB leaves room for long sample lists."""

MAX_DEPTH = 64
"""Deepest nesting accepted: a scenario nests 6 levels, a Kubernetes manifest about 12."""

MAX_VALUES = 1_000_000
"""Values in a document once aliases are expanded: 100k measured latencies fit ten times over."""

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


class InputError(UserError):
    """A file or text that cannot be read safely; the message names where and why."""


class _Shortener(reprlib.Repr):
    """reprlib's cut-while-built repr, extended to what reprlib still builds whole."""

    def repr_int(self, x: int, level: int) -> str:
        # Python refuses to print an int of more than 4,300 digits; say how big it is instead.
        bits = x.bit_length()
        return super().repr_int(x, level) if bits <= 4 * self.maxother else f"<{bits}-bit int>"

    def repr_bytes(self, x: bytes, level: int) -> str:
        text = repr(x[: self.maxstring])
        return text if len(x) <= self.maxstring else text[:-1] + "...'"


def brief(value: Any, limit: int = 60) -> str:
    """A short repr for messages, cut while it is built (never the whole of a huge input)."""
    shortener = _Shortener()
    shortener.maxstring = shortener.maxother = limit
    shortener.maxlist = shortener.maxdict = shortener.maxtuple = shortener.maxset = 4
    shortener.maxlevel = 2
    text = shortener.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_text(path: str | Path, what: str = "file", limit: int = MAX_BYTES) -> str:
    """A user's file as text: refused if missing, larger than `limit` bytes, binary or not UTF-8.

    Only a regular file is read: a folder, a device or a FIFO (which could block, or
    never end) is refused before it is opened.
    """
    path = Path(path).expanduser()
    try:
        if not path.is_file():
            if path.exists():
                raise InputError(f"{path}: not a regular file, so not a {what}")
            raise InputError(f"{path}: cannot read the {what} (No such file or directory)")
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{path}: {size:,} bytes is too large for a {what} "
                             f"(at most {_size(limit)})")  # fmt: skip
        with path.open("rb") as file:
            data = file.read(limit + 1)  # the file may have grown since stat
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    return decode(data, str(path), limit)


def decode(data: bytes, where: str, limit: int = MAX_BYTES) -> str:
    """UTF-8 text from bytes (a byte-order mark is dropped); binary data is refused."""
    if len(data) > limit:
        raise InputError(f"{where}: too large (at most {_size(limit)})")
    if b"\0" in data:
        raise InputError(f"{where}: a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{where}: not UTF-8 text (line {line}, byte {exc.start}); "
                         "save it as UTF-8") from None  # fmt: skip


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit % 2**20 == 0 else f"{limit:,} bytes"


def load_yaml(text: str, where: str) -> Any:
    """The one YAML document in `text` (None if empty), checked before it is built."""
    documents = load_yaml_documents(text, where)
    if len(documents) > 1:
        raise InputError(f"{where}: expected one YAML document, found {len(documents)}")
    return documents[0] if documents else None


def load_yaml_documents(text: str, where: str) -> list[Any]:
    """Every document in `text` (Kubernetes files hold several, separated by ---)."""
    if len(text) > MAX_BYTES:
        raise InputError(f"{where}: too large (at most {MAX_BYTES // 2**20} MiB)")
    try:
        _check_shape(text)
        loader = _StrictLoader(text)
        try:
            documents = []
            while loader.check_data():
                documents.append(loader.get_data())
            return documents
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise InputError(f"{where}: not valid YAML{_at(exc)}: {_problem(exc)}") from None


def load_json(text: str, where: str) -> Any:
    """A JSON value, with duplicate keys and deep nesting refused as for YAML."""
    if len(text) > MAX_BYTES:
        raise InputError(f"{where}: too large (at most {MAX_BYTES // 2**20} MiB)")
    try:
        value = json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_no_constant,
                           parse_float=_finite_float)  # fmt: skip
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON at line {exc.lineno}, column {exc.colno}: "
                         f"{exc.msg}") from None  # fmt: skip
    except _NotJson as exc:
        raise InputError(f"{where}: not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{where}: nested more than {MAX_DEPTH} levels deep") from None
    except ValueError:  # Python's own limit on integers: 4,300 digits
        raise InputError(f"{where}: not valid JSON: an integer too long to read") from None
    if _depth(value) > MAX_DEPTH:
        raise InputError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    return value


# ---------------------------------------------------------------- YAML


class _StrictLoader(_Loader):
    """The safe loader, refusing a key written twice in one mapping."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Build one value; what PyYAML lets escape as a Python error is a YAML error here.

        A well-formed scalar can still be unreadable: an integer of more than 4,300 digits
        (Python's limit), an impossible date (2024-13-01), a tag that does not fit its
        value (`!!int 1.5`, `!!timestamp soon`).
        """
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError):
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read this value as {node.tag.rpartition(':')[2]}",
                node.start_mark,
            ) from None  # fmt: skip

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """Check explicit keys for duplicates (merged `<<` keys may be overridden, as YAML says)."""
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:
                continue  # unhashable: the base class reports it with its position
            if first is not key_node:
                raise yaml.constructor.ConstructorError(
                    None, None,
                    f"duplicate key {brief(key)} (first at line {first.start_mark.line + 1})",
                    key_node.start_mark,
                )  # fmt: skip
        return super().construct_mapping(node, deep=deep)


def _check_shape(text: str) -> None:
    """Refuse deep nesting and alias expansion from the event stream, before building anything.

    libyaml parses without recursion, so this pass is safe on any input; the count of
    values is what the document would expand to, aliases included, so a bomb of nested
    aliases is stopped after a few events instead of after gigabytes.
    """
    values, opened, sizes = 0, [], {}
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            if event.anchor not in sizes:
                why = "inside its own anchor" if event.anchor in dict(opened) else "undefined"
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{event.anchor} is {why}", event.start_mark
                )
            values += sizes[event.anchor]
        elif isinstance(event, _OPEN):
            opened.append((event.anchor, values))
            values += 1
            if len(opened) > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
                )
        elif isinstance(event, _CLOSE):
            anchor, before = opened.pop()
            if anchor is not None:
                sizes[anchor] = values - before
        elif isinstance(event, yaml.ScalarEvent):
            values += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        if values > MAX_VALUES:
            raise yaml.composer.ComposerError(
                None, None,
                f"expands to more than {MAX_VALUES:,} values (aliases repeating aliases?)",
                event.start_mark,
            )  # fmt: skip


def _at(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


def _problem(exc: yaml.YAMLError) -> str:
    """The parser's words, without the snippet of the offending line that PyYAML appends."""
    if isinstance(exc, yaml.reader.ReaderError):
        return f"character #x{exc.character:04x} at position {exc.position}: {exc.reason}"
    context, mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and mark:
        context = f"{context} at line {mark.line + 1}"
    words = [context, getattr(exc, "problem", None)]
    return "; ".join(str(w) for w in words if w) or type(exc).__name__


# ---------------------------------------------------------------- JSON


class _NotJson(Exception):
    """What Python's json module accepts but JSON (RFC 8259) or a faithful reading does not."""


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _NotJson(f"duplicate key {brief(key)}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    """A JSON number as a float; 1e400 would silently become infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {brief(text)} is too large for a float")
    return value


def _depth(value: Any) -> int:
    """Nesting depth of plain data, without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_DEPTH:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest
