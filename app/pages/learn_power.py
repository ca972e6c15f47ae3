"""Learn: will a canary catch the defect? Detection power against the size of the defect.

`simulator.analysis.questions.detection_power` replicates a one-step canary on releases
with defects of several sizes; the chart and the table show how often the gate rolled
each back before it reached all traffic, with Wilson 95% intervals. Shown as a tab of
the Learn page (`learn.py`).
"""

import pandas as pd
import streamlit as st

from app.charts import learn as charts
from simulator import display
from simulator.analysis.questions import detection_power

DEFECTS = (0.005, 0.01, 0.02, 0.04, 0.08)
"""The release's extra error rates tried (0.5% to 8% of requests fail)."""
THRESHOLD = 0.015
"""The gate's error-rate check: the canary fails a measurement above 1.5% errors."""


def scenario(defect: float) -> dict:
    """A 30 requests/s service whose v2 fails `defect` of its requests, behind an Argo gate."""
    return {
        "name": "learn-power",
        "duration": 1800,
        "warmup": 300,
        "traffic": {"pattern": "poisson", "rate": 30},
        "fleet": {
            "instances": 4,
            "workers_per_instance": 2,
            "provisioning": 90,
            "service_time": {"distribution": "exponential", "mean": 0.05},
        },
        "release": {"version": "v2", "defect": {"error_rate": defect}},
        "strategy": {
            "type": "canary",
            "gate": {
                "type": "argo",
                "failure_limit": 1,
                "checks": [{"metric": "error_rate", "max": THRESHOLD}],
            },
        },
    }


@st.cache_data(show_spinner=False, max_entries=8)
def power_curve(weights: tuple[float, ...], bake: float, replications: int, seed: int = 1
                ) -> pd.DataFrame:  # fmt: skip
    """`detection_power` at every defect size, a `defect` column added, common seeds."""
    tables = [
        detection_power(scenario(d), weights=list(weights), bakes=[bake],
                        replications=replications, seed=seed).assign(defect=d)
        for d in DEFECTS
    ]  # fmt: skip
    return pd.concat(tables, ignore_index=True)


def show() -> None:
    """The controls, then on request the chart and the table."""
    st.markdown(
        "A canary sends a slice of traffic to the release and a gate measures it during "
        "the bake. A small defect on a small slice may pass unseen: **detection power** is "
        "the probability the gate rolls the release back before it reaches all traffic. "
        f"Here the gate fails the canary when more than {display.percent(THRESHOLD)} of its "
        "requests fail in a one-minute measurement."
    )
    cols = st.columns(3)
    weight = cols[0].select_slider("Canary weight (% of traffic)", [5, 10, 25, 50], 10,
                                   key="power-weight")  # fmt: skip
    bake = cols[1].select_slider("Bake (s)", [60, 180, 300, 600], 180, key="power-bake")
    reps = cols[2].number_input("Replications per point", 2, 50, 6, key="reps")
    if not st.button("Measure detection power", key="power"):
        st.caption(f"{len(DEFECTS)} defect sizes x {int(reps)} replications of a 30-minute run.")
        return
    with st.spinner("simulating canaries..."):
        table = power_curve((float(weight),), float(bake), int(reps))
    st.plotly_chart(charts.power_by_defect(table), key="power_chart")
    st.dataframe(charts.power_table(table), hide_index=True, key="power_table")
    st.caption(
        "Intervals are Wilson 95% intervals over the replications; time to detect counts "
        "only the runs where the defect was caught (n/a when none was)."
    )
