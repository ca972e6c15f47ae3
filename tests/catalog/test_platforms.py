"""Tests for the deployment platforms (simulator/catalog/platforms.py, data/platforms.yaml)."""

import re
from importlib import resources
from pathlib import Path

import pytest
import yaml

from simulator import catalog
from simulator.catalog import CatalogError
from simulator.catalog import platforms as pl
from tests.test_citations import anchors

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference" / "platforms.md"
CITE = re.compile(r"docs/reference/platforms\.md#([\w-]+)")
LABEL = re.compile(r"\[OFF|\[3P\]|\bderived:|\bestimate:")

# The targets issue 13 names; the catalog may hold more than these.
BRIEF_TARGETS = [
    "ml.t2.medium", "ml.c5.large", "ml.c5.xlarge", "ml.c5.2xlarge", "ml.m5.large",
    "ml.m5.xlarge", "ml.c7g.large", "ml.c7g.xlarge", "ml.g4dn.xlarge", "ml.g5.xlarge",
    "ml.p3.2xlarge", "ml.inf1.xlarge", "ml.inf2.xlarge",
]  # fmt: skip
PLATFORMS = ["sagemaker", "ec2", "ecs_fargate", "ecs_ec2", "emr", "on_prem"]
STRATEGIES = ["none", "big_bang", "phased", "parallel", "rolling", "canary", "ab_test",
              "blue_green", "linear", "shadow", "argo_blue_green"]  # fmt: skip
EMR_OFFERS = {"ml.m5.xlarge", "ml.c5.xlarge", "ml.c5.2xlarge", "ml.c7g.xlarge", "ml.g4dn.xlarge",
              "ml.g5.xlarge", "ml.p3.2xlarge"}  # fmt: skip


def raw():
    text = resources.files("simulator.catalog").joinpath("data", "platforms.yaml").read_text()
    return yaml.safe_load(text)


def _numbers(node, chain=()):
    """Every number in the data with the chain of mappings that enclose it, nearest first."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _numbers(value, (node, *chain))
    elif isinstance(node, list):
        for value in node:
            yield from _numbers(value, chain)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield node, chain


def _sources(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "source":
                yield from [value] if isinstance(value, str) else value
            else:
                yield from _sources(value)
    elif isinstance(node, list):
        for value in node:
            yield from _sources(value)


# ------------------------------------------------------------------ every figure has a source


def test_every_figure_has_a_labelled_source_within_two_levels():
    for number, chain in _numbers(raw()):
        owner = next((m for m in chain[:3] if "source" in m), None)
        assert owner is not None, (number, chain[0])
        source = owner["source"]
        texts = [source] if isinstance(source, str) else source
        assert any(LABEL.search(s) for s in texts), (number, texts)


def test_every_source_resolves_to_a_heading_of_platforms_md():
    headings = anchors(PAGE.read_text(encoding="utf-8"))
    sources = list(_sources(raw()))
    assert len(sources) > 80
    for text in sources:
        cited = CITE.findall(text)
        assert cited, text
        assert set(cited) <= headings, (text, set(cited) - headings)


def test_the_page_lists_the_same_ec2_prices_as_the_data():
    rows = dict(re.findall(r"^\| ([a-z0-9]+\.[a-z0-9]+) \| ([0-9.]+) \|", PAGE.read_text(), re.M))
    data = {name: row["ec2_price"] for name, row in raw()["instances"].items()}
    assert {name: float(price) for name, price in rows.items()} == data


# ------------------------------------------------------------------ platforms and prices


def test_the_platforms_and_their_flags():
    assert pl.platforms() == PLATFORMS
    assert pl.strategies() == STRATEGIES
    emr, on_prem = pl.platform("emr"), pl.platform("on_prem")
    assert (emr.online, emr.offline) == (False, True)
    assert all(pl.platform(p).online for p in PLATFORMS if p != "emr")
    assert all(pl.platform(p).autoscaling_refusal is None for p in PLATFORMS[:4])
    assert "endpoint" in emr.autoscaling_refusal
    assert all(pl.platform(p).sources for p in PLATFORMS)
    assert on_prem.elastic is False


def test_on_premises_refuses_autoscaling_with_the_procurement_lead_time():
    on_prem = pl.platform("on_prem")
    assert "fixed fleet" in on_prem.autoscaling_refusal
    assert "weeks" in on_prem.autoscaling_refusal
    assert on_prem.procurement_lead_time_s("ml.c5.xlarge") == 12 * 7 * 86400
    assert on_prem.procurement_lead_time_s("g4dn.xlarge") == 20 * 7 * 86400
    assert pl.platform("ec2").procurement_lead_time_s("ml.c5.xlarge") is None


@pytest.mark.parametrize("target", BRIEF_TARGETS)
def test_ec2_is_cheaper_than_sagemaker_by_the_sagemaker_premium(target):
    ec2, sagemaker = pl.platform("ec2"), pl.platform("sagemaker")
    assert target in ec2.targets()
    premium = sagemaker.price_per_hour(target) / ec2.price_per_hour(target)
    assert 1.15 <= premium <= 1.45, premium  # docs/reference/hardware.md#sagemaker-premium
    assert pl.platform("ecs_ec2").price_per_hour(target) == ec2.price_per_hour(target)


def test_sagemaker_prices_and_start_up_are_the_catalogs():
    sagemaker = pl.platform("sagemaker")
    assert sagemaker.targets() == catalog.targets()
    for target in catalog.targets():
        row = catalog.target_info(target)
        assert sagemaker.price_per_hour(target) == row["price_per_hour"]
        assert sagemaker.start_up_s(target) == row["provisioning"]["scale_out_s"]


def test_a_target_is_named_with_or_without_ml():
    ec2 = pl.platform("ec2")
    assert ec2.price_per_hour("c5.xlarge") == ec2.price_per_hour("ml.c5.xlarge") == 0.17


def test_fargate_prices_cpu_tasks_and_refuses_accelerators():
    fargate = pl.platform("ecs_fargate")
    assert fargate.price_per_hour("ml.c5.xlarge") == pytest.approx(4 * 0.04048 + 8 * 0.004445)
    assert fargate.price_per_hour("ml.c7g.large") == pytest.approx(2 * 0.03238 + 4 * 0.00356)
    assert {catalog.target_info(t)["family"] for t in fargate.targets()} == {"cpu"}
    with pytest.raises(CatalogError, match="ecs_fargate does not offer g4dn.xlarge: .*GPU"):
        fargate.price_per_hour("ml.g4dn.xlarge")
    with pytest.raises(CatalogError, match="Inferentia"):
        fargate.start_up_s("ml.inf2.xlarge")


def test_emr_is_ec2_plus_its_fee_on_the_instances_it_supports():
    emr = pl.platform("emr")
    assert set(emr.targets()) == EMR_OFFERS
    assert emr.price_per_hour("ml.c5.xlarge") == pytest.approx(0.17 + 0.043)
    for target in EMR_OFFERS:
        assert emr.price_per_hour(target) > pl.platform("ec2").price_per_hour(target)
    with pytest.raises(CatalogError, match="emr does not offer t2.medium: EMR release"):
        emr.price_per_hour("ml.t2.medium")


def test_on_premises_cost_is_hardware_over_its_life_plus_power():
    on_prem, hours, kwh = pl.platform("on_prem"), 5 * 8760, 1.58 * 0.0806 / 1000
    per_vcpu = 20000 / 128 / hours + 600 / 128 * kwh
    assert on_prem.price_per_hour("ml.c5.xlarge") == pytest.approx(4 * per_vcpu)
    t4 = 2500 / hours + 70 * kwh
    assert on_prem.price_per_hour("ml.g4dn.xlarge") == pytest.approx(4 * per_vcpu + t4)
    assert on_prem.price_per_hour("ml.p3.2xlarge") == pytest.approx(0.3163, abs=1e-4)
    for target in on_prem.targets():  # a floor: hardware and power only
        assert on_prem.price_per_hour(target) < pl.platform("ec2").price_per_hour(target)
    with pytest.raises(CatalogError, match="Graviton3"):
        on_prem.price_per_hour("ml.c7g.xlarge")
    with pytest.raises(CatalogError, match="Inferentia"):
        on_prem.price_per_hour("ml.inf1.xlarge")


def test_start_up_per_platform_and_family():
    assert pl.platform("ec2").start_up_s("ml.c5.large") == 60
    assert pl.platform("ec2").start_up_s("ml.g5.xlarge") == 135
    assert pl.platform("ecs_fargate").start_up_s("ml.m5.large") == 60
    assert pl.platform("emr").start_up_s("ml.p3.2xlarge") == 600
    assert pl.platform("on_prem").start_up_s("ml.c5.2xlarge") == 30
    assert pl.platform("on_prem").start_up_s("ml.g4dn.xlarge") == 105


def test_a_catalog_target_without_platform_figures_is_refused_with_a_reason():
    missing = [t for t in catalog.targets() if t.removeprefix("ml.") not in raw()["instances"]]
    for target in missing:
        for name in PLATFORMS[1:]:
            with pytest.raises(CatalogError, match="add them with a source"):
                pl.platform(name).price_per_hour(target)


def test_unknown_names_get_a_did_you_mean():
    with pytest.raises(CatalogError, match="did you mean 'ecs_fargate'"):
        pl.platform("ecs_fargat")
    with pytest.raises(CatalogError, match="did you mean 'blue_green'"):
        pl.mechanism("ec2", "blue_gren")
    with pytest.raises(CatalogError, match="did you mean 'ml.c5.xlarge'"):
        pl.platform("ec2").price_per_hour("c5.xlage")
    with pytest.raises(CatalogError, match="did you mean 'HalfAtATime'"):
        pl.codedeploy_in_place_bounds(4, "CodeDeployDefault.HalfAtTime")


# ------------------------------------------------------------------ mechanisms


def test_every_platform_answers_for_exactly_the_strategies():
    for name, row in raw()["platforms"].items():
        assert list(row["mechanisms"]) == STRATEGIES, name


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("name", PLATFORMS)
def test_each_strategy_is_a_mechanism_or_a_refusal(name, strategy):
    reason = pl.refusal(name, strategy)
    if reason is None:
        m = pl.mechanism(name, strategy)
        assert (m.platform, m.strategy) == (name, strategy)
        assert m.native and m.kind in {"managed", "scripted"} and m.source
        assert all(alt.native and alt.source for alt in m.alternatives)
    else:
        with pytest.raises(CatalogError) as err:
            pl.mechanism(name, strategy)
        assert str(err.value).startswith(f"{name} cannot run {strategy!r}: ")
        assert reason in str(err.value)


def test_the_refusals_the_platforms_imply():
    refused = {p: {s for s in STRATEGIES if pl.refusal(p, s)} for p in PLATFORMS}
    assert refused["sagemaker"] == set()
    assert refused["ec2"] == refused["ecs_fargate"] == refused["ecs_ec2"] == {"parallel", "shadow"}
    assert refused["emr"] == set(STRATEGIES) - {"none", "big_bang"}
    assert refused["on_prem"] == {"parallel", "blue_green", "linear", "shadow", "argo_blue_green"}
    assert "mirroring" in pl.refusal("ecs_fargate", "shadow")
    assert "EC2 instances only" in pl.refusal("on_prem", "blue_green")


def test_ecs_uses_codedeploys_predefined_configurations():
    canary = pl.mechanism("ecs_fargate", "canary").parameters
    prefix = "CodeDeployDefault.ECSCanary10Percent"
    assert canary == {
        f"{prefix}5Minutes": {"first_percent": 10, "interval_minutes": 5},
        f"{prefix}15Minutes": {"first_percent": 10, "interval_minutes": 15},
    }
    linear = pl.mechanism("ecs_ec2", "linear").parameters
    assert linear["CodeDeployDefault.ECSLinear10PercentEvery1Minutes"]["interval_minutes"] == 1
    assert linear["CodeDeployDefault.ECSLinear10PercentEvery3Minutes"]["interval_minutes"] == 3
    assert "CodeDeployDefault.ECSAllAtOnce" in pl.mechanism("ecs_ec2", "blue_green").parameters
    native = pl.mechanism("ecs_ec2", "linear").alternatives[0]
    assert native.parameters["stepPercent"] == {"default": 10.0, "min": 3.0, "max": 100.0}


def test_the_data_defaults_are_the_helpers_defaults():
    ecs = pl.mechanism("ecs_ec2", "rolling").parameters
    assert (ecs["minimumHealthyPercent"]["default"], ecs["maximumPercent"]["default"]) == (100, 200)
    assert pl.ecs_rolling_bounds(4) == pl.ecs_rolling_bounds(4, 100, 200) == (4, 8)
    asg = pl.mechanism("ec2", "rolling").parameters
    assert asg["MinHealthyPercentage"]["default"] == 90
    assert pl.asg_refresh_bounds(10) == pl.asg_refresh_bounds(10, 90) == (9, 10)
    big_bang = pl.mechanism("ecs_fargate", "big_bang").parameters
    low, high = big_bang["minimumHealthyPercent"]["value"], big_bang["maximumPercent"]["value"]
    assert pl.ecs_rolling_bounds(5, low, high) == (0, 5)  # everything stops first


def test_mechanism_parameters_are_copies():
    pl.mechanism("ec2", "rolling").parameters["MinHealthyPercentage"]["default"] = 0
    assert pl.mechanism("ec2", "rolling").parameters["MinHealthyPercentage"]["default"] == 90


# ------------------------------------------------------------------ rolling bounds


@pytest.mark.parametrize(
    ("desired", "minimum", "maximum", "bounds"),
    [
        (4, 50, 200, (2, 8)),  # the guide: stop two before starting two; start four more
        (3, 50, 200, (2, 6)),  # 1.5 rounds up to 2
        (4, 75, 150, (3, 6)),  # 3 and 6 exactly
        (5, 100, 150, (5, 7)),  # 7.5 rounds down to 7
        (6, 0, 100, (0, 6)),
        (0, 100, 200, (0, 0)),
    ],
)
def test_ecs_rounds_the_minimum_up_and_the_maximum_down(desired, minimum, maximum, bounds):
    assert pl.ecs_rolling_bounds(desired, minimum, maximum) == bounds


@pytest.mark.parametrize(("desired", "minimum", "maximum"), [(2, 75, 100), (3, 100, 125)])
def test_ecs_refuses_a_deployment_that_can_neither_stop_nor_start(desired, minimum, maximum):
    with pytest.raises(CatalogError, match="neither stop nor start"):
        pl.ecs_rolling_bounds(desired, minimum, maximum)


def test_ecs_bounds_check_their_inputs():
    for bad in [dict(minimum_healthy_percent=101), dict(maximum_percent=99),
                dict(minimum_healthy_percent=50.5)]:  # fmt: skip
        with pytest.raises(CatalogError):
            pl.ecs_rolling_bounds(4, **bad)


@pytest.mark.parametrize(
    ("desired", "minimum", "maximum", "bounds"),
    [
        (10, 90, None, (9, 10)),
        (3, 50, None, (2, 3)),  # 1.5 rounds up
        (4, 90, None, (3, 4)),  # 3.6 rounds up to 4 = desired: one at a time
        (4, 100, None, (3, 4)),  # 100 % replaces one at a time
        (4, 90, 100, (4, 5)),  # set explicitly: launch before terminating
        (4, 50, 150, (2, 6)),
        (5, 60, 130, (3, 6)),  # 6.5 rounds down (estimate)
    ],
)
def test_asg_instance_refresh_bounds(desired, minimum, maximum, bounds):
    assert pl.asg_refresh_bounds(desired, minimum, maximum) == bounds


def test_asg_bounds_check_the_documented_ranges():
    for minimum, maximum in [(101, None), (50, 99), (50, 201), (0, 150)]:
        with pytest.raises(CatalogError):
            pl.asg_refresh_bounds(4, minimum, maximum)


@pytest.mark.parametrize(
    ("kwargs", "bounds"),
    [
        (dict(config="CodeDeployDefault.OneAtATime"), (8, 9)),
        (dict(config="CodeDeployDefault.HalfAtATime"), (5, 9)),  # up to four at a time
        (dict(config="CodeDeployDefault.AllAtOnce"), (0, 9)),
        (dict(fleet_percent=40), (4, 9)),  # the API's example: up to five at a time
        (dict(host_count=6), (6, 9)),  # the API's example: up to three at a time
    ],
)
def test_codedeploy_in_place_bounds_on_nine_hosts(kwargs, bounds):
    assert pl.codedeploy_in_place_bounds(9, **kwargs) == bounds


def test_codedeploy_refuses_to_deploy_to_no_host():
    with pytest.raises(CatalogError, match="no host at a time"):
        pl.codedeploy_in_place_bounds(1, "CodeDeployDefault.HalfAtATime")


def test_rolling_bounds_picks_each_platforms_rule():
    assert pl.rolling_bounds("ecs_fargate", 4, minimum_healthy_percent=50) == (2, 8)
    assert pl.rolling_bounds("ecs_ec2", 3, minimum_healthy_percent=50) == (2, 6)
    assert pl.rolling_bounds("ec2", 10) == (9, 10)
    assert pl.rolling_bounds("on_prem", 9, config="CodeDeployDefault.HalfAtATime") == (5, 9)
    with pytest.raises(CatalogError, match="emr cannot run 'rolling'"):
        pl.rolling_bounds("emr", 4)
    with pytest.raises(CatalogError, match="no rolling bounds helper for sagemaker"):
        pl.rolling_bounds("sagemaker", 4)
