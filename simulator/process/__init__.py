"""The release process over weeks: changes merged, tested by CI, delivered and released.

Issue 12, in progress: the working calendar, the change stream and the CI pipeline (a
shared pool of runners) are here; delivery modes, releases through the engine and
DORA's four keys come next. Nothing here is wired into scenarios or the CLI yet.
"""
