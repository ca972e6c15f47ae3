"""Tests for the hardware target catalog (simulator/catalog/ and its data/catalog.yaml)."""

from importlib import resources

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from simulator import catalog
from simulator.catalog import CatalogError, resolve

REQUIRED_TARGETS = {
    "ml.c5.large", "ml.c5.xlarge", "ml.c5.2xlarge", "ml.m5.large", "ml.m5.xlarge",
    "ml.c7g.large", "ml.c7g.xlarge", "ml.g4dn.xlarge", "ml.g5.xlarge", "ml.p2.xlarge",
    "ml.p3.2xlarge", "ml.inf1.xlarge", "ml.inf2.xlarge", "ml.t2.medium",
}  # fmt: skip
REQUIRED_MODELS = {"resnet50", "bert-base", "xgboost"}
CPU = sorted(t for t in REQUIRED_TARGETS if catalog.target_info(t)["family"] == "cpu")
GPU = ["ml.g4dn.xlarge", "ml.g5.xlarge", "ml.p3.2xlarge"]

# docs/reference/hardware.md#instances: SageMaker prices, us-east-1 on-demand USD/h.
HARDWARE_MD_PRICES = {
    "ml.t2.medium": 0.056, "ml.m5.large": 0.115, "ml.m5.xlarge": 0.23,
    "ml.c5.large": 0.102, "ml.c5.xlarge": 0.204, "ml.c5.2xlarge": 0.408,
    "ml.c7g.large": 0.09, "ml.c7g.xlarge": 0.17, "ml.inf1.xlarge": 0.297,
    "ml.inf2.xlarge": 0.99, "ml.g4dn.xlarge": 0.736, "ml.g5.xlarge": 1.408,
    "ml.p2.xlarge": 1.125, "ml.p3.2xlarge": 3.825,
}  # fmt: skip
EIA_PRICES = {"ml.eia2.medium": 0.12, "ml.eia2.large": 0.24, "ml.eia2.xlarge": 0.34}

ALL_PAIRS = [(t, m) for t in sorted(REQUIRED_TARGETS) for m in sorted(REQUIRED_MODELS)]


def raw():
    text = resources.files("simulator.catalog").joinpath("data", "catalog.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def test_catalog_lists_the_required_keys():
    assert set(catalog.targets()) == REQUIRED_TARGETS
    assert REQUIRED_MODELS <= set(catalog.models())
    assert set(catalog.accelerators()) == set(EIA_PRICES)


@pytest.mark.parametrize(("target", "model"), ALL_PAIRS)
def test_every_target_and_model_resolves_sanely(target, model):
    r = resolve(target, model)
    assert (r.target, r.model) == (target, model)
    assert r.p99_s >= r.p50_s > 0
    assert r.price_per_hour > 0
    assert r.provisioning_s > 0
    assert r.workers_per_instance >= 1
    assert r.extra_latency_s == 0.0
    assert r.family in {"cpu", "gpu", "inferentia"}
    assert r.sources and all(s.strip() for s in r.sources)


def test_every_raw_row_has_a_source():
    data = raw()
    for name, row in data["targets"].items():
        assert row["source"], name
        assert row["provisioning"]["source"].strip(), name
    for name, row in data["accelerators"].items():
        assert row["source"], name
    for family in data["neo"]["speedup"]:
        assert data["neo"]["source"][family].strip(), family
    for model, rows in data["profiles"].items():
        for key, row in rows.items():
            assert row["source"].strip(), (model, key)
            assert row["p99"] >= row["p50"] > 0, (model, key)


@pytest.mark.parametrize(("target", "price"), sorted(HARDWARE_MD_PRICES.items()))
def test_prices_are_hardware_md_figures(target, price):
    assert resolve(target, "resnet50").price_per_hour == price


@pytest.mark.parametrize(
    ("target", "model", "p50_ms", "p99_ms"),
    [
        ("ml.g4dn.xlarge", "resnet50", 1.00, 1.16),  # MLPerf v0.7 SingleStream
        ("ml.inf1.xlarge", "resnet50", 22.0, 23.0),  # Neuron docs, batch 5
        ("ml.inf2.xlarge", "resnet50", 0.96, 0.98),  # Neuron docs
        ("ml.inf2.xlarge", "bert-base", 1.00, 1.04),  # Neuron docs
    ],
)
def test_latencies_stated_by_hardware_md_come_out_exactly(target, model, p50_ms, p99_ms):
    r = resolve(target, model)
    assert r.p50_s == pytest.approx(p50_ms / 1000, rel=1e-12)
    assert r.p99_s == pytest.approx(p99_ms / 1000, rel=1e-12)


@pytest.mark.parametrize(
    ("target", "model", "throughput"),
    [
        ("ml.inf1.xlarge", "resnet50", 921),
        ("ml.inf2.xlarge", "resnet50", 1041),
        ("ml.inf2.xlarge", "bert-base", 1998),
        ("ml.g4dn.xlarge", "resnet50", 1000),
    ],
)
def test_workers_reproduce_published_throughput_by_littles_law(target, model, throughput):
    r = resolve(target, model)
    assert abs(r.workers_per_instance - throughput * r.p50_s) <= 0.5


def test_p2_profiles_scale_dawnbench_resnet152_by_multiply_adds():
    # docs/reference/hardware.md#p2-from-dawnbench: ResNet-152 one image at a time on one K80
    # (p2.xlarge, MXNet) 29.24 ms; multiply-adds ResNet-50 3.8 G, ResNet-152 11.3 G (He et al.
    # Table 1); BERT-base at sequence 128 from its shape (12 layers, hidden 768, FFN 3072).
    bert_macs = 12 * (4 * 768**2 + 2 * 768 * 3072) * 128 + 12 * 2 * 128**2 * 768
    for model, macs in (("resnet50", 3.8e9), ("bert-base", bert_macs)):
        r = resolve("ml.p2.xlarge", model)
        assert r.p50_s * 1000 == pytest.approx(29.24 * macs / 11.3e9, abs=5e-4)
        assert r.workers_per_instance == 1
    # SageMaker 1.125 $/h against EC2 0.90 $/h (DAWNBench: $7.31e-6 per image at 29.24 ms):
    # +25 %, inside the 20-40 % SageMaker premium.
    assert 7.31e-6 / (29.24 / 3.6e6) == pytest.approx(0.90, rel=1e-3)
    assert 1.2 <= resolve("ml.p2.xlarge", "resnet50").price_per_hour / 0.90 <= 1.4


def test_cpu_profiles_keep_the_sourced_cpu_throughput():
    # ResNet-50 ~17 ms single stream on a whole c5.2xlarge -> 1/17 ms per instance.
    r = resolve("ml.c5.2xlarge", "resnet50")
    assert r.workers_per_instance / r.p50_s == pytest.approx(1 / 0.017, rel=1e-9)
    # BERT-base: $3.31 per 1M on c5.xlarge at the blog's EC2 price 0.17 -> same at SageMaker 0.204.
    table = catalog.catalog_table()
    row = table[
        (table.target == "ml.c5.xlarge")
        & (table.model == "bert-base")
        & (table.accelerator == "")
        & ~table.neo
    ]
    assert row.cost_per_million_usd.item() == pytest.approx(3.31 * 0.204 / 0.17, rel=2e-3)


def test_provisioning_follows_hardware_md():
    for target in REQUIRED_TARGETS:
        info = catalog.target_info(target)
        assert resolve(target, "resnet50").provisioning_s == info["provisioning"]["scale_out_s"]
        assert 600 <= info["provisioning"]["create_endpoint_s"] <= 900  # "~10-15 min"
    for target in ("ml.g4dn.xlarge", "ml.g5.xlarge"):
        assert 135 <= resolve(target, "resnet50").provisioning_s <= 380  # p50 ~135-380 s


def test_neo_factors_are_documented_and_within_up_to_2x():
    speedup = raw()["neo"]["speedup"]
    assert speedup == {"cpu": 1.5, "gpu": 1.2, "inferentia": 1.0}
    assert all(1.0 <= f <= 2.0 for f in speedup.values())


NEO_PAIRS = [
    (t, m)
    for t, m in ALL_PAIRS
    if catalog.target_info(t).get("neo_target_device")
    or catalog.target_info(t).get("neo_target_platform")
]


@pytest.mark.parametrize(("target", "model"), NEO_PAIRS)
def test_neo_divides_latency_by_the_family_factor(target, model):
    data = raw()
    base, neo = resolve(target, model), resolve(target, model, neo=True)
    on_host = data["profiles"][model][target].get("runs_on") == "host_cpu"
    factor = data["neo"]["speedup"]["cpu" if on_host else base.family]
    assert neo.p50_s == pytest.approx(base.p50_s / factor, rel=1e-12)
    assert neo.p99_s == pytest.approx(base.p99_s / factor, rel=1e-12)
    assert (neo.price_per_hour, neo.workers_per_instance) == (
        base.price_per_hour,
        base.workers_per_instance,
    )


def test_neo_on_cpu_is_exactly_one_and_a_half():
    assert resolve("ml.c5.xlarge", "bert-base", neo=True).p50_s == pytest.approx(0.140 / 1.5)


@pytest.mark.parametrize("target", ["ml.t2.medium", "ml.g5.xlarge"])
def test_neo_without_a_compilation_target_errors(target):
    with pytest.raises(CatalogError, match="Neo"):
        resolve(target, "resnet50", neo=True)


@pytest.mark.parametrize("acc", sorted(EIA_PRICES))
@pytest.mark.parametrize("model", ["resnet50", "bert-base"])
def test_accelerator_adds_its_price_and_network_hop(acc, model):
    host = resolve("ml.c5.xlarge", model)
    r = resolve("ml.c5.xlarge", model, accelerator=acc)
    assert r.price_per_hour == pytest.approx(host.price_per_hour + EIA_PRICES[acc])
    assert r.extra_latency_s == raw()["accelerators"][acc]["network_hop_ms"] / 1000 > 0
    assert r.p50_s < host.p50_s
    assert r.utilisation_metric == "CPUUtilization"
    assert any("2023-04-15" in s for s in r.sources)


def test_bigger_accelerator_is_faster():
    p50 = [resolve("ml.m5.large", "bert-base", accelerator=a).p50_s for a in EIA_PRICES]
    assert p50 == sorted(p50, reverse=True)


@pytest.mark.parametrize("model", ["resnet50", "bert-base"])
def test_eia_speedup_is_the_order_of_the_faster_rcnn_sample(model):
    # docs/reference/hardware.md#faster-r-cnn-on-elastic-inference: m5.large 2.8 s -> 0.22 s
    # with eia.large (12.7x).
    cpu = resolve("ml.m5.large", model).p50_s
    eia = resolve("ml.m5.large", model, accelerator="ml.eia2.large").p50_s
    assert 0.5 <= (cpu / eia) / (2.8 / 0.22) <= 2.0


@pytest.mark.parametrize("target", ["ml.g4dn.xlarge", "ml.inf2.xlarge", "ml.c7g.large"])
def test_accelerator_needs_an_x86_cpu_host(target):
    with pytest.raises(CatalogError, match="host"):
        resolve(target, "resnet50", accelerator="ml.eia2.medium")


def test_xgboost_on_elastic_inference_errors():
    with pytest.raises(CatalogError, match="xgboost.*Elastic Inference"):
        resolve("ml.c5.large", "xgboost", accelerator="ml.eia2.large")


def test_neo_with_accelerator_errors():
    with pytest.raises(CatalogError, match="Neo"):
        resolve("ml.c5.large", "resnet50", neo=True, accelerator="ml.eia2.large")


@pytest.mark.parametrize(
    ("kwargs", "suggestion"),
    [
        ({"target": "ml.g4dn.xlarg", "model": "resnet50"}, "'ml.g4dn.xlarge'"),
        ({"target": "c5.xlarge", "model": "resnet50"}, "'ml.c5.xlarge'"),
        ({"target": "ml.c5.large", "model": "resnet-50"}, "'resnet50'"),
        ({"target": "ml.c5.large", "model": "bert_base"}, "'bert-base'"),
        ({"target": "ml.c5.large", "model": "resnet50", "accelerator": "ml.eia2.larg"},
         "'ml.eia2.large'"),
    ],
)  # fmt: skip
def test_unknown_keys_error_with_a_suggestion(kwargs, suggestion):
    with pytest.raises(CatalogError, match="did you mean") as err:
        resolve(**kwargs)
    assert suggestion in str(err.value)
    assert isinstance(err.value, ValueError)


def test_unknown_key_without_close_match_lists_known_keys():
    with pytest.raises(CatalogError, match="known: .*resnet50"):
        resolve("ml.c5.large", "zzzzzz")
    with pytest.raises(CatalogError, match="did you mean 'ml.p3.2xlarge'"):
        catalog.target_info("ml.p3.2xl")


@given(st.sampled_from(sorted(REQUIRED_TARGETS)), st.data())
def test_one_character_typo_suggests_the_right_target(target, data):
    i = data.draw(st.integers(0, len(target) - 1))
    typo = target[:i] + target[i + 1 :]
    if typo in REQUIRED_TARGETS:
        return
    with pytest.raises(CatalogError) as err:
        resolve(typo, "resnet50")
    assert repr(target) in str(err.value)


@pytest.mark.parametrize("model", ["resnet50", "bert-base"])
@pytest.mark.parametrize("gpu", GPU)
@pytest.mark.parametrize("cpu", CPU)
def test_gpu_beats_cpu_by_at_least_the_blogs_factor(cpu, gpu, model):
    # AWS BERT blog: g4dn.xlarge is 2.6-5x faster than a 96-vCPU c5.24xlarge; the catalog's
    # smaller CPU instances must be at least 2.6x slower than any GPU.
    assert resolve(cpu, model).p50_s / resolve(gpu, model).p50_s >= 2.6


def test_utilisation_metric_follows_where_the_model_runs():
    assert resolve("ml.c5.large", "resnet50").utilisation_metric == "CPUUtilization"
    assert resolve("ml.g4dn.xlarge", "resnet50").utilisation_metric == "GPUUtilization"
    assert resolve("ml.inf2.xlarge", "bert-base").utilisation_metric == "GPUUtilization"
    assert resolve("ml.g4dn.xlarge", "xgboost").utilisation_metric == "CPUUtilization"


def test_target_info_is_a_copy():
    info = catalog.target_info("ml.c5.large")
    info["price_per_hour"] = 99.0
    assert resolve("ml.c5.large", "resnet50").price_per_hour == 0.102


def test_catalog_table_has_one_row_per_combination():
    table = catalog.catalog_table()
    keys = ["target", "model", "accelerator", "neo"]
    assert not table.duplicated(keys).any()
    plain = table[(table.accelerator == "") & ~table.neo]
    assert len(plain) == len(REQUIRED_TARGETS) * len(catalog.models())
    assert set(table[table.neo].target) == {t for t, _ in NEO_PAIRS}
    assert set(table[table.accelerator != ""].model) == {"resnet50", "bert-base"}
    assert (table.cost_per_million_usd > 0).all()
    assert (table.p99_ms >= table.p50_ms).all()
    assert table.sources.str.len().min() > 0
    g4dn = table[(table.target == "ml.g4dn.xlarge") & (table.model == "resnet50") & ~table.neo]
    # 1 worker at 1.00 ms = 1000 req/s; $0.736/h -> $0.2044 per million.
    assert g4dn.cost_per_million_usd.item() == pytest.approx(0.736 / 3600 / 1000 * 1e6)
