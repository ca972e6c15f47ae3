"""The sidebar every simulating page shows: a preset or an uploaded scenario, then its settings.

A user starts from a shipped preset, an uploaded or pasted scenario, or a real tool's
config (Argo Rollout, Flagger Canary, SageMaker JSON), and edits what matters most:
traffic, fleet, release and its defect, strategy, failures and SLO. The form returns
the edited scenario as plain data, or None with the reason shown, so the pages never
run a scenario that does not load.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import yaml

import simulator as ds
from app.state import SCENARIOS, trace_dirs
from simulator import catalog, userfiles
from simulator.errors import UserError
from simulator.importers import import_config


def presets() -> dict[str, Path]:
    """The shipped scenarios by name."""
    return {p.stem: p for p in sorted(SCENARIOS.glob("*.yaml"))}


def scenario_form(key: str) -> dict | None:
    """Sidebar: a preset or an uploaded YAML, then the parameters that matter most.

    Returns the edited scenario as plain data, or None (with the reason shown) when it
    is not valid.
    """
    side = st.sidebar
    side.header("Scenario")
    upload = side.file_uploader(
        "Upload a scenario (YAML), or an Argo Rollout, Flagger Canary or SageMaker JSON",
        type=["yaml", "yml", "json"],
        key=f"{key}-up",
    )
    pasted = side.text_area("...or paste one", key=f"{key}-paste", height=80)
    names = list(presets())
    default = names.index("canary-fraud-argo") if "canary-fraud-argo" in names else 0
    own = upload is not None or bool(pasted.strip())
    name = side.selectbox("Preset", names, index=default, key=f"{key}-preset", disabled=own)
    try:
        if upload is not None:
            sc = _load(userfiles.decode(upload.getvalue(), upload.name))
        elif pasted.strip():
            sc = _load(pasted)
        else:
            sc = ds.load_scenario(presets()[name], trace_dirs=trace_dirs())
    except UserError as exc:
        st.error(f"This scenario cannot be run:\n\n```\n{exc}\n```")
        return None
    data = sc.to_dict()
    source = name if not own else f"own-{hash((upload.name if upload else '', pasted))}"
    return _edit(data, f"{key}-{source}")  # widgets start afresh for another scenario


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


def _edit(data: dict, key: str) -> dict | None:
    side = st.sidebar
    side.subheader("Traffic and fleet")
    traffic = data["traffic"]
    rate = float(traffic.get("rate", 10.0))  # a trace has none; 10/s if the user switches
    shape = {k: v for k, v in traffic.items() if k != "rate"}
    text = side.text_area(
        "traffic shape (YAML: pattern poisson, diurnal, bursty or trace, and its fields)",
        yaml.safe_dump(shape, sort_keys=False),
        height=100,
        key=f"{key}-shape",
    )
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
        traffic["rate"] = side.number_input(
            "Traffic (mean requests/s)",
            min_value=min(0.1, rate),
            value=rate,
            key=f"{key}-rate",
        )
    fleet = data["fleet"]
    targets = catalog.targets()
    fleet["target"] = side.selectbox(
        "Current target", targets, index=targets.index(fleet["target"]), key=f"{key}-target"
    )
    fleet["instances"] = int(
        side.number_input(
            "Instances", min_value=1, max_value=max(200, int(fleet["instances"])),
            value=int(fleet["instances"]), key=f"{key}-n",
        )  # fmt: skip
    )
    if data.get("release") is not None:
        side.subheader("Release")
        release = data["release"]
        current = release.get("target", fleet["target"])
        release["target"] = side.selectbox(
            "Release target", targets, index=targets.index(current), key=f"{key}-rtarget"
        )
        defect = release.setdefault("defect", {})
        error_rate = float(defect.get("error_rate", 0.0))
        defect["error_rate"] = side.slider(
            "Injected error rate", 0.0, max(0.2, error_rate), error_rate, 0.005, key=f"{key}-err"
        )
        factor = float(defect.get("latency_factor", 1.0))
        defect["latency_factor"] = side.slider(
            "Injected latency factor", min(0.5, factor), max(3.0, factor), factor, 0.1,
            key=f"{key}-lat",
        )  # fmt: skip
        side.subheader("Strategy settings")
        text = side.text_area(
            "strategy (YAML; `type` picks it, the rest are its parameters)",
            yaml.safe_dump(data["strategy"], sort_keys=False),
            height=140,
            key=f"{key}-strategy",
        )
        try:
            data["strategy"] = userfiles.load_yaml(text, "strategy settings") or {"type": "none"}
        except UserError as exc:
            st.error(str(exc))
            return None
    side.subheader("Failures")
    crashes = data.setdefault("failures", {}).get("instance")
    if side.toggle("Instance crashes", value=crashes is not None, key=f"{key}-crash"):
        crashes = crashes or {"mtbf": 72 * 3600.0, "mttr": 600.0}
        hours = float(crashes["mtbf"]) / 3600
        mtbf = side.number_input(
            "Mean time between failures (h)",
            min_value=min(0.01, hours),
            value=hours,
            key=f"{key}-mtbf",
        )
        mttr = side.number_input(
            "Time to repair (min)",
            min_value=0.0,
            value=float(crashes.get("mttr") or 600) / 60,
            key=f"{key}-mttr",
        )
        data["failures"]["instance"] = {"mtbf": mtbf * 3600, "mttr": mttr * 60}
    else:
        data["failures"].pop("instance", None)
    side.subheader("SLO")
    slo = data.setdefault("slo", {})
    ms = 1e3 * float(slo.get("latency_p99") or 0.5)
    p99 = side.number_input("p99 latency SLO (ms)", min_value=min(1.0, ms), value=ms,
                            key=f"{key}-slo")  # fmt: skip
    slo["latency_p99"] = p99 / 1e3
    availability = float(slo.get("availability") or 0.999)
    slo["availability"] = side.number_input(
        "Availability SLO",
        min_value=min(0.5, availability),
        max_value=1.0,
        step=0.0005,
        format="%.4f",
        value=availability,
        key=f"{key}-avail",
    )
    try:
        ds.load_scenario(data, trace_dirs=trace_dirs())
    except UserError as exc:
        st.error(f"These settings cannot be run:\n\n```\n{exc}\n```")
        return None
    return data
