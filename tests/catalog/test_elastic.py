"""Elastic Inference against GPUs (simulator/catalog/elastic.py), recomputed from the catalog.

Every expected figure is recomputed here from `catalog.resolve` and `catalog.target_info`,
not read back from the comparison, so a wrong filter or a wrong sum in the module shows.
"""

import pytest

from simulator import catalog
from simulator.catalog import CatalogError, elastic

MODELS = ["resnet50", "bert-base"]


def cost_per_million(target: str, model: str, accelerator: str | None = None) -> float:
    r = catalog.resolve(target, model, accelerator=accelerator)
    capacity = r.workers_per_instance / (r.p50_s + r.extra_latency_s)
    return r.price_per_hour / 3600 / capacity * 1e6


def ei_hosts() -> list[str]:
    """x86 cpu hosts that take an accelerator, from the raw catalog rows."""
    return [
        t
        for t in catalog.targets()
        if catalog.target_info(t)["family"] == "cpu"
        and catalog.target_info(t).get("elastic_inference", True)
    ]


@pytest.fixture(scope="module", params=MODELS)
def model_and_table(request):
    return request.param, elastic.elastic_inference_comparison(request.param)


@pytest.mark.parametrize("model", MODELS)
def test_ei_is_dearer_per_million_than_g4dn_today(model):
    g4dn = cost_per_million("ml.g4dn.xlarge", model)
    every_ei = [cost_per_million(h, model, a) for h in ei_hosts() for a in catalog.accelerators()]
    assert min(every_ei) > g4dn
    table = elastic.elastic_inference_comparison(model)
    ei = table[table.accelerator != ""]
    assert (ei.cost_per_million_usd > g4dn).all()
    assert "dearer than g4dn" in " ".join(ei.verdict)


@pytest.mark.parametrize("model", MODELS)
def test_ei_was_cheaper_per_hour_than_p3_the_claim_of_its_time(model):
    p3 = catalog.resolve("ml.p3.2xlarge", model).price_per_hour
    table = elastic.elastic_inference_comparison(model)
    ei = table[table.accelerator != ""]
    assert (ei.price_per_hour_usd < p3).all()
    dearest = max(
        catalog.resolve(h, model, accelerator=a).price_per_hour
        for h in ei_hosts()
        for a in catalog.accelerators()
    )
    assert dearest < p3


@pytest.mark.parametrize("model", MODELS)
def test_the_cheapest_ei_option_beat_p2_and_p3_per_million(model):
    best = min(cost_per_million(h, model, a) for h in ei_hosts() for a in catalog.accelerators())
    assert best < cost_per_million("ml.p2.xlarge", model)
    assert best < cost_per_million("ml.p3.2xlarge", model)
    assert best > cost_per_million("ml.inf1.xlarge", model)


def test_every_row_is_recomputed_from_resolve(model_and_table):
    model, table = model_and_table
    for row in table.itertuples():
        r = catalog.resolve(row.target, model, accelerator=row.accelerator or None)
        capacity = r.workers_per_instance / (r.p50_s + r.extra_latency_s)
        assert row.price_per_hour_usd == pytest.approx(r.price_per_hour, rel=1e-12)
        assert row.capacity_rps == pytest.approx(capacity, rel=1e-12)
        assert row.cost_per_million_usd == pytest.approx(
            r.price_per_hour / 3600 / capacity * 1e6, rel=1e-12
        )
        assert row.p50_ms == pytest.approx((r.p50_s + r.extra_latency_s) * 1000, rel=1e-12)


def test_rows_are_each_accelerator_on_its_cheapest_host_and_c5_m5_then_the_gpus(model_and_table):
    _, table = model_and_table
    cheapest = min(ei_hosts(), key=lambda t: catalog.target_info(t)["price_per_hour"])
    expected = {(h, a) for a in catalog.accelerators() for h in (cheapest, *elastic.EXTRA_HOSTS)}
    ei = table[table.accelerator != ""]
    assert set(zip(ei.target, ei.accelerator, strict=True)) == expected
    assert len(ei) == len(expected)
    gpus = table[table.accelerator == ""]
    assert gpus.target.tolist() == [
        "ml.p2.xlarge", "ml.p3.2xlarge", "ml.g4dn.xlarge", "ml.inf1.xlarge", "ml.inf2.xlarge",
    ]  # fmt: skip
    assert list(table.columns) == elastic.COLUMNS
    assert table.verdict.str.len().min() > 0


def test_eras_split_the_gpus_of_ei_time_from_those_of_today(model_and_table):
    _, table = model_and_table
    era = dict(zip(table.option, table.era, strict=True))
    assert era["ml.p2.xlarge"] == era["ml.p3.2xlarge"] == "EI's time (2018-2019)"
    assert era["ml.g4dn.xlarge"] == era["ml.inf1.xlarge"] == "today"
    assert set(table[table.accelerator != ""].era) == {"EI's time (2018-2019)"}


def test_verdicts_of_instances_compare_with_the_cheapest_ei_option(model_and_table):
    _, table = model_and_table
    best = table[table.accelerator != ""].cost_per_million_usd.min()
    for row in table[table.accelerator == ""].itertuples():
        ratio = row.cost_per_million_usd / best
        if ratio >= 1:
            assert row.verdict.startswith(f"{ratio:.1f} times the cost")
        else:
            assert row.verdict.endswith(f"by {1 / ratio:.1f} times")


def test_headline_names_the_cheapest_ei_option_and_both_eras(model_and_table):
    _, table = model_and_table
    ei = table[table.accelerator != ""]
    best = ei.loc[ei.cost_per_million_usd.idxmin()]
    text = elastic.headline(table)
    assert best.option in text and f"${best.cost_per_million_usd:.2f}" in text
    assert "cheaper than the cheapest GPU or Inferentia instance of EI's time" in text
    assert "dearer than the cheapest GPU or Inferentia instance of today" in text


def test_the_closure_date_is_in_the_explanation():
    assert elastic.EI_CLOSED == "2023-04-15"
    assert "2023-04-15" in elastic.EXPLANATION
    for word in ("p2", "p3", "g4dn", "inf1", "per million", "per hour"):
        assert word in elastic.EXPLANATION


def test_a_model_without_elastic_inference_or_unknown_errors():
    with pytest.raises(CatalogError, match="xgboost.*Elastic Inference"):
        elastic.elastic_inference_comparison("xgboost")
    with pytest.raises(CatalogError, match="did you mean 'resnet50'"):
        elastic.elastic_inference_comparison("resnet5")
