"""The sidebar every simulating page shows: a preset or an uploaded scenario, then its settings.

A user starts from a shipped preset (grouped by what it shows, those with no release
marked), an uploaded or pasted scenario, or a real tool's config (Argo Rollout, Flagger
Canary, SageMaker JSON), and edits what matters most: traffic, fleet, release and its
defect, the strategy's settings (each compared strategy's on "Compare"), failures and
SLO. Every setting is one what-if shared by the pages (`app/whatif.py`): it stays until
the user changes it, on any page. The form returns the edited scenario as plain data,
or None with the reason shown, so the pages never run a scenario that does not load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import streamlit as st
import yaml

import simulator as ds
from app import presets, whatif
from app.state import RELEASES, trace_dirs
from simulator import catalog, userfiles
from simulator.errors import UserError
from simulator.importers import import_config

DEFAULT = "canary-fraud-argo"
UPLOAD = "upload"


@dataclass
class WhatIf:
    """The scenario as edited (with the run's strategy) and each shown strategy's spec."""

    data: dict
    strategies: dict[str, dict] = field(default_factory=dict)


def scenario_form(page: str, compared: list[str] | None = None) -> WhatIf | None:
    """Sidebar: a preset or an uploaded YAML, then the parameters that matter most.

    `page` names the widgets (`run-err`); `compared`: the strategies whose settings
    to show (every one compared), else the run's one strategy, picked in the sidebar.
    Returns None (with the reason shown) when the scenario is not valid.
    """
    loaded = _source(page)
    if loaded is None:
        return None
    sc, source = loaded
    whatif.follow(source)  # another scenario: its settings start from it
    return _edit(sc.to_dict(), page, compared)


def _source(page: str) -> tuple[ds.Scenario, str] | None:
    """The scenario the user starts from, and what names it (to know when it changes)."""
    side = st.sidebar
    side.header("Scenario")
    own_key = f"{page}-up"
    side.file_uploader(
        "Upload a scenario (YAML), or an Argo Rollout, Flagger Canary or SageMaker JSON",
        type=["yaml", "yml", "json"], key=own_key, on_change=_uploaded, args=(own_key,),
    )  # fmt: skip
    upload = whatif.kept(UPLOAD)
    if upload is not None:
        side.caption(f"Using the uploaded `{upload[0]}` on every page.")
        side.button("Back to the presets", key=f"{page}-forget", on_click=whatif.keep,
                    args=(UPLOAD, None))  # fmt: skip
    pasted = whatif.widget(side.text_area, "...or paste one", "paste", page, "",
                           scenario=False, height=80)  # fmt: skip
    own = upload is not None or bool(pasted.strip())
    groups = presets.grouped()
    group = whatif.widget(side.selectbox, "Presets that show", "group", page,
                          presets.presets()[DEFAULT].group, scenario=False,
                          options=list(groups), format_func=presets.group_label,
                          disabled=own)  # fmt: skip
    if whatif.kept("preset", DEFAULT) not in groups[group]:
        whatif.keep("preset", groups[group][0])
    name = whatif.widget(side.selectbox, "Preset", "preset", page, DEFAULT, scenario=False,
                         options=groups[group], format_func=lambda n: presets.presets()[n].shown,
                         disabled=own)  # fmt: skip
    if not own and not presets.presets()[name].release:
        side.caption("This preset plays no release: no rollout to run or compare.")
    try:
        if upload is not None:
            text, source = userfiles.decode(upload[1], upload[0]), f"upload:{upload[0]}"
            sc = _load(text)
        elif pasted.strip():
            sc, source = _load(pasted), "paste"
            text = pasted
        else:
            path = presets.presets()[name].path
            return ds.load_scenario(path, trace_dirs=trace_dirs()), f"preset:{name}"
    except UserError as exc:
        st.error(f"This scenario cannot be run:\n\n```\n{exc}\n```")
        return None
    return sc, f"{source}:{hashlib.sha256(text.encode()).hexdigest()}"


def _uploaded(own_key: str) -> None:
    """The user uploaded a file (or removed it): keep it for every page."""
    file = st.session_state[own_key]
    whatif.keep(UPLOAD, None if file is None else (file.name, file.getvalue()))


def _load(text: str) -> ds.Scenario:
    """A scenario, or a real tool's config (Argo, Flagger, SageMaker) turned into one."""
    source = import_config(text) if _looks_like_config(text) else _as_text(text)
    return ds.load_scenario(source, trace_dirs=trace_dirs())


def _looks_like_config(text: str) -> bool:
    """Argo and Flagger manifests carry `kind:`; SageMaker requests are JSON objects."""
    head = text.lstrip()
    return head.startswith("{") or "\nkind:" in "\n" + text or "apiVersion:" in text


def _as_text(text: str) -> str:
    """YAML text as load_scenario reads it (a one-line text would look like a file name)."""
    return text if "\n" in text else text + "\n"


def _edit(data: dict, page: str, compared: list[str] | None) -> WhatIf | None:
    side = st.sidebar

    def setting(draw, label, name, default, **kw):
        return whatif.widget(draw, label, name, page, default, **kw)

    side.subheader("Traffic and fleet")
    traffic = data["traffic"]
    rate = float(traffic.get("rate", 10.0))  # a trace has none; 10/s if the user switches
    shape = {k: v for k, v in traffic.items() if k != "rate"}
    text = setting(
        side.text_area,
        "traffic shape (YAML: pattern poisson, diurnal, bursty or trace, and its fields)",
        "shape", yaml.safe_dump(shape, sort_keys=False), height=100,
    )  # fmt: skip
    try:
        shape = userfiles.load_yaml(text, "traffic shape") or {}
    except UserError as exc:
        st.error(str(exc))
        return None
    if not isinstance(shape, dict):
        st.error("traffic shape: expected fields such as `pattern: diurnal`")
        return None
    data["traffic"] = traffic = shape
    if traffic.get("pattern") != "trace":
        traffic["rate"] = setting(side.number_input, "Traffic (mean requests/s)", "rate", rate,
                                  min_value=min(0.1, rate))  # fmt: skip
    fleet = data["fleet"]
    targets = catalog.targets()
    fleet["target"] = setting(side.selectbox, "Current target", "target", fleet["target"],
                              options=targets)  # fmt: skip
    n = int(fleet["instances"])
    fleet["instances"] = int(setting(side.number_input, "Instances", "n", n, min_value=1,
                                     max_value=max(200, n)))  # fmt: skip
    if data.get("release") is not None:
        side.subheader("Release")
        release = data["release"]
        release["target"] = setting(
            side.selectbox,
            "Release target",
            "rtarget",
            release.get("target", fleet["target"]),
            options=targets,
        )
        defect = release.setdefault("defect", {})
        error_rate = float(defect.get("error_rate", 0.0))
        defect["error_rate"] = setting(
            side.slider,
            "Injected error rate",
            "err",
            error_rate,
            min_value=0.0,
            max_value=max(0.2, error_rate),
            step=0.005,
        )
        factor = float(defect.get("latency_factor", 1.0))
        defect["latency_factor"] = setting(
            side.slider, "Injected latency factor", "lat", factor,
            min_value=min(0.5, factor), max_value=max(3.0, factor), step=0.1,
        )  # fmt: skip
    _failures_and_slo(data, setting)
    try:
        ds.load_scenario(data, trace_dirs=trace_dirs())
    except UserError as exc:
        st.error(f"These settings cannot be run:\n\n```\n{exc}\n```")
        return None
    if data.get("release") is None:
        return WhatIf(data)
    strategies = _strategies(data, page, compared)  # last: one box per compared strategy
    if strategies is None:
        return None
    if compared is None:
        data["strategy"] = next(iter(strategies.values()))
    return WhatIf(data, strategies)


def _strategies(data: dict, page: str, compared: list[str] | None) -> dict[str, dict] | None:
    """Each shown strategy's spec: its type and its settings, edited in the sidebar.

    A strategy starts from the scenario's settings if it is the scenario's, else from
    its defaults (as `deploysim compare` runs it).
    """
    side = st.sidebar
    side.subheader("Strategy settings")
    own = data["strategy"]
    if compared is None:
        options = RELEASES if own["type"] in RELEASES else [own["type"], *RELEASES]
        chosen = [whatif.widget(side.selectbox, "Strategy", "strategy", page, own["type"],
                                options=options, format_func=_words)]  # fmt: skip
    else:
        chosen = list(compared)
        if chosen:
            side.caption("Each compared strategy with its settings.")
    specs = {}
    for kind in chosen:
        try:
            settings = {k: v for k, v in _start(data, kind).items() if k != "type"}
            text = whatif.widget(side.text_area, f"{_words(kind)} settings (YAML)",
                                 f"settings.{kind}", page,
                                 yaml.safe_dump(settings, sort_keys=False) if settings else "",
                                 height=140)  # fmt: skip
            settings = userfiles.load_yaml(text, f"{_words(kind)} settings") or {}
            if not isinstance(settings, dict):
                raise UserError(f"{_words(kind)} settings: expected fields such as `bake: 5m`")
            if settings.get("type", kind) != kind:
                raise UserError(f"{_words(kind)} settings: `type: {settings['type']}` is another "
                                "strategy: pick it in the strategies instead")  # fmt: skip
            specs[kind] = {"type": kind} | {k: v for k, v in settings.items() if k != "type"}
            ds.load_scenario(data | {"strategy": specs[kind]}, trace_dirs=trace_dirs())
        except UserError as exc:
            st.error(f"These {_words(kind)} settings cannot be run:\n\n```\n{exc}\n```")
            return None
    return specs


def _start(data: dict, kind: str) -> dict:
    """A strategy's settings before the user edits them: the scenario's, else the defaults."""
    if kind == data["strategy"]["type"]:
        return data["strategy"]
    return ds.load_scenario(data | {"strategy": {"type": kind}}).to_dict()["strategy"]


def _words(kind: str) -> str:
    """'blue_green' as 'blue green'."""
    return kind.replace("_", " ")


def _failures_and_slo(data: dict, setting) -> None:
    side = st.sidebar
    side.subheader("Failures")
    crashes = data.setdefault("failures", {}).get("instance")
    if setting(side.toggle, "Instance crashes", "crash", crashes is not None):
        crashes = crashes or {"mtbf": 72 * 3600.0, "mttr": 600.0}
        hours = float(crashes["mtbf"]) / 3600
        mtbf = setting(side.number_input, "Mean time between failures (h)", "mtbf", hours,
                       min_value=min(0.01, hours))  # fmt: skip
        mttr = setting(side.number_input, "Time to repair (min)", "mttr",
                       float(crashes.get("mttr") or 600) / 60, min_value=0.0)  # fmt: skip
        data["failures"]["instance"] = {"mtbf": mtbf * 3600, "mttr": mttr * 60}
    else:
        data["failures"].pop("instance", None)
    side.subheader("SLO")
    slo = data.setdefault("slo", {})
    ms = 1e3 * float(slo.get("latency_p99") or 0.5)
    slo["latency_p99"] = setting(side.number_input, "p99 latency SLO (ms)", "slo", ms,
                                 min_value=min(1.0, ms)) / 1e3  # fmt: skip
    availability = float(slo.get("availability") or 0.999)
    slo["availability"] = setting(side.number_input, "Availability SLO", "avail", availability,
                                  min_value=min(0.5, availability), max_value=1.0, step=0.0005,
                                  format="%.4f")  # fmt: skip
