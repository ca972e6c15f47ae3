"""Citations of repository documents resolve; nothing cites notes kept outside the repository.

Code, data and docs cite documents as `docs/PATH.md`, optionally with `#anchor`, and the
example configurations as `scenarios/imports/FILE`. Each cited file must exist, and each
anchor must be a heading of that file, slugged as GitHub slugs headings. Relative links
between Markdown files under docs/ are checked the same way.

The reference notes the project started from live outside the repository; the repository
has its own account of them under docs/. So no file may point at the outside copy, and
outside docs/ no file may cite a design or hardware document by bare name. This file
itself is not scanned: it has to spell out the patterns it bans.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED_DIRS = ("simulator", "app", "tests", "scenarios", "docs", "notebooks", "benchmarks")
SCANNED_FILES = ("README.md",)
SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt", ".ipynb", ".cfg"}
SELF = Path(__file__).resolve()

# A cited repository document: docs/....md with an optional #anchor, or an example config.
DOC_CITATION = re.compile(r"(?<![\w/.-])(docs/[\w./-]*?\.md)(?:#([\w-]+))?")
IMPORT_CITATION = re.compile(r"(?<![\w/.-])(scenarios/imports/[\w.-]+\.(?:yaml|yml|json))")
MD_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")

# Banned everywhere: the outside copy of the reference notes.
BANNED = {
    "a path to the shared notes outside the repository": re.compile(r"\.\./shared/"),
    "the shared reference directory": re.compile(r"shared/reference"),
    "the outside semantics notes": re.compile(r"deployment-semantics\.md"),
}
# Banned outside docs/: a design or hardware document named without its docs/ path.
BANNED_OUTSIDE_DOCS = {
    "a bare DESIGN.md (cite docs/design.md)": re.compile(r"DESIGN\.md"),
    "a bare hardware.md (cite docs/reference/hardware.md#...)": re.compile(
        r"(?<![\w/.-])(?:reference/)?hardware\.md"
    ),
}


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: inline markup dropped, lowercased, punctuation removed."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading anchor of a Markdown text, repeated headings suffixed -1, -2, ..."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else HEADING.match(line)
        if match:
            base = slug(match.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
    return found


def scanned_files(root: Path) -> list[Path]:
    """The repository files whose citations are checked (this test module excepted)."""
    files = [root / name for name in SCANNED_FILES if (root / name).is_file()]
    for top in SCANNED_DIRS:
        for path in sorted((root / top).rglob("*")) if (root / top).is_dir() else []:
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                files.append(path)
    return [p for p in files if p.resolve() != SELF]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _target_problem(root: Path, target: Path, anchor: str | None) -> str | None:
    """Why a cited file (and anchor) does not resolve, or None when it does."""
    try:
        target.resolve().relative_to(root.resolve())
    except ValueError:
        return "points outside the repository"
    if not target.is_file():
        return "no such file"
    if anchor and target.suffix == ".md" and anchor not in anchors(_read(target)):
        return f"no heading with anchor #{anchor}"
    return None


def broken_citations(root: Path, files: list[Path]) -> list[str]:
    """Every citation of a repository document that does not resolve, as 'file:line: why'."""
    problems = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        in_docs = rel.startswith("docs/") and path.suffix == ".md"
        own = anchors(_read(path)) if in_docs else set()
        for number, line in enumerate(_read(path).splitlines(), 1):
            cited = [(m.group(1), m.group(2)) for m in DOC_CITATION.finditer(line)]
            cited += [(m.group(1), None) for m in IMPORT_CITATION.finditer(line)]
            for target, anchor in cited:
                why = _target_problem(root, root / target, anchor)
                if why:
                    problems.append(f"{rel}:{number}: {target}{'#' + anchor if anchor else ''}"
                                    f": {why}")  # fmt: skip
            if not in_docs:
                continue
            for link in MD_LINK.findall(line):
                if re.match(r"[a-z][a-z0-9+.-]*:", link):  # http:, https:, mailto:
                    continue
                target, _, anchor = link.partition("#")
                if not target:
                    why = None if anchor in own else f"no heading with anchor #{anchor}"
                else:
                    why = _target_problem(root, path.parent / target, anchor or None)
                if why:
                    problems.append(f"{rel}:{number}: link {link}: {why}")
    return problems


def outside_citations(root: Path, files: list[Path]) -> list[str]:
    """Every citation of notes outside the repository, or of a bare document name."""
    problems = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        rules = dict(BANNED)
        if not rel.startswith("docs/"):
            rules |= BANNED_OUTSIDE_DOCS
        for number, line in enumerate(_read(path).splitlines(), 1):
            for what, pattern in rules.items():
                if pattern.search(line):
                    problems.append(f"{rel}:{number}: {what}: {line.strip()[:90]}")
    return problems


FILES = scanned_files(ROOT)


def test_the_scan_covers_code_data_and_docs():
    names = {p.relative_to(ROOT).as_posix() for p in FILES}
    assert {"README.md", "simulator/catalog/data/catalog.yaml", "docs/design.md",
            "docs/reference/hardware.md", "simulator/scenario/gates.py"} <= names  # fmt: skip


def test_every_cited_repository_document_and_anchor_exists():
    assert broken_citations(ROOT, FILES) == []


def test_nothing_cites_notes_outside_the_repository():
    assert outside_citations(ROOT, FILES) == []


# ------------------------------------------------------------ the checks themselves


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("g4dn", "g4dn"),
        ("Scale-out on GPU", "scale-out-on-gpu"),
        ("`failureLimit` is strictly greater", "failurelimit-is-strictly-greater"),
        ("m5 against c5 (x 1.1)", "m5-against-c5-x-11"),
        ("Faster R-CNN on Elastic Inference", "faster-r-cnn-on-elastic-inference"),
        ("[Link](https://example.com) text", "link-text"),
        ("snake_case stays", "snake_case-stays"),
    ],
)
def test_slug_follows_github(heading, anchor):
    assert slug(heading) == anchor


def test_repeated_headings_and_code_fences():
    text = "# A\n## Notes\n```\n# not a heading\n```\n## Notes\n"
    assert anchors(text) == {"a", "notes", "notes-1"}


def _tree(tmp_path: Path, files: dict[str, str]) -> list[Path]:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return [tmp_path / name for name in files]


def test_a_broken_citation_is_reported(tmp_path):
    files = _tree(tmp_path, {
        "docs/reference/hardware.md": "# Hardware\n## g4dn\nSee [design](../design.md#api).\n",
        "docs/design.md": "# Design\n## Public interface\n",
        "simulator/catalog/data/catalog.yaml": (
            "source: docs/reference/hardware.md#g4dn\n"      # fine
            "source: docs/reference/hardware.md#g5\n"        # no such heading
            "source: docs/reference/hardwar.md\n"            # no such file
            "see scenarios/imports/missing.json\n"           # no such example
        ),
    })  # fmt: skip
    assert broken_citations(tmp_path, files) == [
        "docs/reference/hardware.md:3: link ../design.md#api: no heading with anchor #api",
        "simulator/catalog/data/catalog.yaml:2: docs/reference/hardware.md#g5: "
        "no heading with anchor #g5",
        "simulator/catalog/data/catalog.yaml:3: docs/reference/hardwar.md: no such file",
        "simulator/catalog/data/catalog.yaml:4: scenarios/imports/missing.json: no such file",
    ]


def test_an_outside_citation_is_reported(tmp_path):
    outside = "../" + "shared/reference/deployment-semantics.md"
    files = _tree(tmp_path, {
        "simulator/gates.py": f'"""Semantics ({outside})."""\n',
        "simulator/result.py": '"""Keys are a contract (' + "DESIGN" + '.md)."""\n',
        "simulator/data.yaml": "source: " + "hardware" + ".md Prices: 0.1\n",
        "docs/reference/README.md": "[hardware](" + "hardware" + ".md) is fine here.\n",
        "simulator/ok.py": '"""Cites docs/reference/hardware.md#g4dn."""\n',
    })  # fmt: skip
    problems = outside_citations(tmp_path, files)
    assert [p.split(":")[0] for p in problems] == [
        "simulator/gates.py", "simulator/gates.py", "simulator/gates.py",
        "simulator/result.py", "simulator/data.yaml",
    ]  # fmt: skip
