"""One what-if across the pages (issue 15, items 1 and 2): settings stay, old results go.

A setting made in the sidebar of one page is the setting of every page until the user
changes it; results made from other inputs than the ones shown are never shown.
"""

from pathlib import Path

import simulator as ds
from tests.app import APP, page

SCENARIOS = Path(APP).parents[1] / "scenarios"


def ran(at) -> ds.Scenario:
    """The scenario the page ran (the run page shows it as YAML)."""
    return ds.load_scenario(at.code[0].value)


def test_a_what_if_set_on_one_run_stays_on_compare_and_back():
    at = page("run")
    preset = ds.load_scenario(SCENARIOS / "canary-fraud-argo.yaml")
    assert at.slider(key="run-err").value == preset.release.defect.error_rate == 0.03
    at.slider(key="run-err").set_value(0.08).run()
    at.number_input(key="run-rate").set_value(90.0).run()
    assert not at.exception and ran(at).release.defect.error_rate == 0.08
    at.switch_page("pages/catalog.py").run()  # a page with no sidebar form in between
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    assert at.slider(key="compare-err").value == 0.08
    assert at.number_input(key="compare-rate").value == 90.0
    at.switch_page("pages/run.py").run()
    assert at.slider(key="run-err").value == 0.08
    assert ran(at).release.defect.error_rate == 0.08 and ran(at).traffic.rate == 90.0


def test_a_setting_changed_on_compare_is_the_one_runs_too():
    at = page()
    at.slider(key="compare-lat").set_value(1.5).run()
    at.number_input(key="compare-seed").set_value(7).run()
    at.switch_page("pages/run.py").run()
    assert not at.exception
    assert ran(at).release.defect.latency_factor == 1.5
    assert at.number_input(key="run-seed").value == 7


def test_the_compared_strategies_and_their_settings_stay_too():
    at = page()
    at.multiselect(key="compare-strategies").set_value(["canary", "linear"]).run()
    at.text_area(key="compare-settings.linear").input("linear_step: 0.25\n").run()
    assert not at.exception and not at.error
    at.switch_page("pages/run.py").run()
    at.selectbox(key="run-strategy").set_value("linear").run()
    assert at.text_area(key="run-settings.linear").value == "linear_step: 0.25\n"
    assert ran(at).strategy.type == "linear" and ran(at).strategy.linear_step == 0.25
    at.switch_page("pages/compare.py").run()
    assert at.multiselect(key="compare-strategies").value == ["canary", "linear"]


def test_another_scenario_starts_from_its_own_settings_and_the_old_one_is_not_kept():
    at = page("run")
    at.slider(key="run-err").set_value(0.08).run()
    at.selectbox(key="run-preset").set_value("canary-fraud-flagger").run()
    flagger = ds.load_scenario(SCENARIOS / "canary-fraud-flagger.yaml")
    assert at.slider(key="run-err").value == flagger.release.defect.error_rate
    assert ran(at).name == "canary-fraud-flagger"
    at.switch_page("pages/compare.py").run()
    assert at.selectbox(key="compare-preset").value == "canary-fraud-flagger"


def compared(at, strategies: list[str], seed: int | None = None):
    """The Compare page `at` after comparing `strategies` twice (from `seed`, if given)."""
    at.multiselect(key="compare-strategies").set_value(strategies)
    at.number_input(key="compare-replications").set_value(2)
    if seed is not None:
        at.number_input(key="compare-seed").set_value(seed)
    at.button(key="run").click().run()
    assert not at.exception, at.exception
    return at


def test_removing_every_strategy_clears_the_old_results():
    at = compared(page(), ["big_bang", "canary"])
    assert len(at.dataframe) == 2 and len(at.get("plotly_chart")) == 1
    at.multiselect(key="compare-strategies").set_value([]).run()
    assert [i.value for i in at.info] == ["Pick at least one strategy."]
    assert not at.dataframe and not at.get("plotly_chart")
    assert "Risk" not in [h.value for h in at.subheader]


def test_results_from_other_settings_are_not_shown_until_run_again():
    at = compared(page(), ["big_bang", "canary"])
    at.slider(key="compare-err").set_value(0.1).run()
    assert not at.dataframe and not at.get("plotly_chart")
    assert "settings changed since the last comparison" in at.info[0].value
    at.button(key="run").click().run()
    assert len(at.dataframe) == 2 and not at.info
