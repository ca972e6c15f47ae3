"""The preset picker groups presets by what they show and marks those with no release (item 8)."""

from pathlib import Path

import simulator as ds
from app import presets
from tests.app import APP, page

SCENARIOS = Path(APP).parents[1] / "scenarios"


def test_every_preset_is_in_one_group_and_those_without_a_release_are_marked():
    at = page("run")
    group = at.selectbox(key="run-group")
    assert group.value == "strategies"
    assert "Release strategies" in group.options
    assert "Security posture (no release)" in group.options
    seen = {}
    for key in presets.GROUPS:
        if key not in presets.grouped():
            continue
        at.selectbox(key="run-group").set_value(key).run()
        assert not at.exception
        picker = at.selectbox(key="run-preset")
        assert picker.value in presets.grouped()[key]  # the group's first when it changed
        for name in presets.grouped()[key]:
            seen[name] = picker.options[presets.grouped()[key].index(name)]
    files = {p.stem: ds.load_scenario(p) for p in SCENARIOS.glob("*.yaml")}
    assert set(seen) == set(files)
    without = {n for n, sc in files.items() if sc.release is None}
    assert without and {n for n, shown in seen.items() if shown.endswith("(no release)")} == without
    assert all(seen[n] == n for n in set(files) - without)


def test_presets_are_grouped_by_what_they_show():
    groups = presets.grouped()
    assert all(n.startswith("security-") for n in groups["security"])
    assert all(n.startswith("platform-") for n in groups["platforms"])
    assert all(n.startswith("process-") for n in groups["process"])
    assert "canary-fraud-argo" in groups["strategies"]
    assert all(presets.presets()[n].release for n in groups["strategies"])
    assert not any(presets.presets()[n].release for n in groups["workloads"])


def test_a_preset_with_no_release_says_so_and_compare_asks_for_one():
    at = page()
    at.selectbox(key="compare-group").set_value("security").run()
    assert not at.exception
    assert at.selectbox(key="compare-preset").value.startswith("security-")
    assert any("plays no release" in c.value for c in at.sidebar.caption)
    assert "no release to roll out" in at.warning[0].value
