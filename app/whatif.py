"""The what-if: the sidebar's settings, one state whatever page draws them.

Streamlit ties a widget to the page that draws it (its page is part of the widget's id)
and forgets its value at the end of a run that does not draw it, so the same setting on
"One run" and on "Compare" would be two settings, each lost on a page switch. Here a
setting lives under a key of its own in session state (`whatif.<name>`) that no widget
owns: each page draws its widget under a key of its own (`run-err`, `compare-err`),
loads it from the kept value before drawing it, and copies it back when the user changes
it (Streamlit's "save widget values into a separate key" pattern, docs: "Working with
widgets in multipage apps", option 2). A setting therefore stays until the user changes
it, on any page.

Settings read from a scenario (its rate, fleet, defect, strategy settings...) start from
that scenario, and start afresh when the user picks another scenario (`follow`); the rest
(the seed, the compared strategies, the preset picked) stay whatever the scenario.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

KEPT = "whatif."
FROM_SCENARIO = "whatif.scenario."
SOURCE = "whatif.source"


def kept(name: str, default: Any = None, *, scenario: bool = False) -> Any:
    """A setting's kept value (set to `default` the first time it is asked for)."""
    key = (FROM_SCENARIO if scenario else KEPT) + name
    if key not in st.session_state:
        st.session_state[key] = default
    return st.session_state[key]


def keep(name: str, value: Any, *, scenario: bool = False) -> None:
    """Set a setting's kept value (for a choice made by code, not by its widget)."""
    st.session_state[(FROM_SCENARIO if scenario else KEPT) + name] = value


def widget(
    draw: Callable[..., Any],
    label: str,
    name: str,
    page: str,
    default: Any,
    *,
    scenario: bool = True,
    **kw: Any,
) -> Any:
    """Draw `draw(label, **kw)` on `page` holding the setting `name`; its value.

    The widget's key is `<page>-<name>`; the setting is kept under `whatif.<name>`
    (`whatif.scenario.<name>` for a setting read from the scenario).
    """
    key = (FROM_SCENARIO if scenario else KEPT) + name
    own = f"{page}-{name}"
    st.session_state[own] = kept(name, default, scenario=scenario)
    return draw(label, key=own, on_change=_copy, args=(own, key), **kw)


def _copy(own: str, key: str) -> None:
    """The user changed a widget: its value is the setting's from now on."""
    st.session_state[key] = st.session_state[own]


def follow(source: str) -> None:
    """The settings read from a scenario start afresh when the scenario is another."""
    state = st.session_state
    if state.get(SOURCE) == source:
        return
    for key in [k for k in state if str(k).startswith(FROM_SCENARIO)]:
        del state[key]
    state[SOURCE] = source
