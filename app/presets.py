"""The shipped scenarios, grouped by what they show, each saying whether it has a release.

A preset shows a release strategy, a platform, a way of hosting, a security posture, a
release process over weeks, or a workload's traffic and capacity. Only a preset with a
release (`release:`) can be compared across strategies or rolled out on "One run"; the
picker says which have none, so nobody looks for a rollout in a preset that plays none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import yaml

from app.state import SCENARIOS

GROUPS = {
    "strategies": "Release strategies",
    "platforms": "Platforms (SageMaker, EC2, ECS Fargate, on premises)",
    "hosting": "Hosting (real-time, asynchronous, batch)",
    "security": "Security posture",
    "process": "Release process over weeks",
    "workloads": "Workloads: traffic and capacity",
}
"""Each group's key and its name in the picker, in the picker's order."""

PREFIXES = {"platform-": "platforms", "hosting-": "hosting", "security-": "security",
            "process-": "process"}  # fmt: skip
NO_RELEASE = "no release"


@dataclass(frozen=True)
class Preset:
    """A shipped scenario: its file, its group, and whether it plays a release."""

    name: str
    path: Path
    group: str
    release: bool

    @property
    def shown(self) -> str:
        """Its name in the picker: 'security-open-endpoint (no release)'."""
        return self.name if self.release else f"{self.name} ({NO_RELEASE})"


@st.cache_data(show_spinner=False, ttl=60)
def presets() -> dict[str, Preset]:
    """Every shipped scenario by name, in the groups' order, then by name."""
    found = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text()) or {}
        release = data.get("release") is not None
        group = next((g for p, g in PREFIXES.items() if path.stem.startswith(p)),
                     "strategies" if release else "workloads")  # fmt: skip
        found.append(Preset(path.stem, path, group, release))
    order = list(GROUPS)
    found.sort(key=lambda p: (order.index(p.group), p.name))
    return {p.name: p for p in found}


def grouped() -> dict[str, list[str]]:
    """The presets' names by group key, groups with none left out."""
    groups: dict[str, list[str]] = {}
    for preset in presets().values():
        groups.setdefault(preset.group, []).append(preset.name)
    return groups


def group_label(group: str) -> str:
    """A group's name in the picker, with how many of its presets have no release."""
    names = grouped().get(group, [])
    without = sum(not presets()[n].release for n in names)
    if without == len(names):
        return f"{GROUPS[group]} ({NO_RELEASE})"
    return GROUPS[group] + (f" ({without} of {len(names)} with {NO_RELEASE})" if without else "")
