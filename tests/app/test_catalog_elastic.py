"""The catalog page explains Elastic Inference where it shows EI rows (Streamlit's AppTest).

What the page shows is checked against `simulator.catalog.elastic` on the same model, and
the cost bars against the comparison frame they are drawn from.
"""


import pytest
from streamlit.testing.v1 import AppTest

from app.charts import catalog as charts
from simulator.catalog import elastic
from tests.app import page as open_page


def catalog_page() -> AppTest:
    return open_page("catalog")


@pytest.fixture(scope="module")
def page():
    return catalog_page()


def test_the_page_explains_elastic_inference_and_compares_it_for_a_model(page):
    assert [i.value for i in page.info] == [elastic.EXPLANATION]
    assert elastic.EI_CLOSED in page.info[0].value
    page.selectbox(key="ei-model").set_value("resnet50").run()
    assert not page.exception, page.exception
    shown = page.dataframe[1].value  # [0] is the whole catalog table
    expected = elastic.elastic_inference_comparison("resnet50")
    assert list(shown.columns) == [
        "target (+ accelerator)", "kind", "era", "price (USD per hour)",
        "capacity (requests/s)", "cost per 1M requests (USD)", "p50 latency (ms)", "verdict",
    ]  # fmt: skip
    assert shown["target (+ accelerator)"].tolist() == expected["option"].tolist()
    assert shown["cost per 1M requests (USD)"].tolist() == pytest.approx(
        expected["cost_per_million_usd"].tolist(), rel=1e-12
    )
    assert shown["price (USD per hour)"].tolist() == pytest.approx(
        expected["price_per_hour_usd"].tolist(), rel=1e-12
    )
    assert shown["verdict"].tolist() == expected["verdict"].tolist()
    assert any(elastic.headline(expected).replace("$", "\\$") == m.value for m in page.markdown)
    assert len(page.get("plotly_chart")) == 2  # the catalog scatter and the EI cost bars


def test_without_elastic_inference_rows_there_is_no_explanation():
    at = catalog_page()
    at.multiselect(key="models").set_value(["xgboost"]).run()
    assert not at.exception, at.exception
    assert not at.info
    assert len(at.dataframe) == 1 and len(at.get("plotly_chart")) == 1


@pytest.mark.parametrize("model", ["resnet50", "bert-base"])
def test_the_cost_bars_are_the_comparison_grouped_by_era(model):
    comparison = elastic.elastic_inference_comparison(model)
    fig = charts.elastic_costs(comparison, model)
    names = [t.name for t in fig.data]
    assert names == [
        "Elastic Inference",
        "EI's time (2018-2019): p2, p3",
        "today: g4dn, inf1, inf2",
    ]
    ys = [y for t in fig.data for y in t.y]
    assert ys == pytest.approx(comparison["cost_per_million_usd"].tolist(), rel=1e-12)
    labels = [text for t in fig.data for text in t.text]
    assert labels == [f"${c:.2f}" for c in comparison["cost_per_million_usd"]]
    assert fig.layout.yaxis.type == "log"
    assert "USD" in fig.layout.yaxis.title.text and model in fig.layout.title.text
