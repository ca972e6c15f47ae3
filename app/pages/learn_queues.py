"""Learn: a queue against queueing theory (M/M/c and Erlang C), one point and a curve.

The sliders set an M/M/c queue: one run against Erlang C's mean wait, then the mean
wait across utilisation, replicated with 95% intervals (`simulator.analysis.replication`)
against Erlang C's curve. Shown as a tab of the Learn page (`learn.py`).
"""

import numpy as np
import pandas as pd
import streamlit as st

from app import state
from app.charts import learn as charts
from simulator import display
from simulator.analysis.replication import replicate
from simulator.analysis.statistics import interval
from simulator.validation import theory

UTILISATIONS = (0.2, 0.4, 0.6, 0.8, 0.9)
REPLICATIONS = 8
REQUESTS = 40_000
"""Requests per replication: runs measured in service times, so every queue costs the same."""
SEED = 1


def queue(lam: float, mu: float, c: int, requests: float = 20_000) -> dict:
    """An M/M/c queue as a scenario: `requests` arrivals, the first tenth as warm-up."""
    duration = requests / lam
    return {
        "name": "learn-mmc",
        "duration": duration,
        "warmup": duration / 10,
        "traffic": {"pattern": "poisson", "rate": lam},
        "fleet": {
            "instances": 1,
            "workers_per_instance": c,
            "service_time": {"distribution": "exponential", "mean": 1 / mu},
            "timeout": 1e9,
        },
        "monitoring": {"period": max(10 / mu, duration / 1000)},
    }


@st.cache_data(show_spinner=False, max_entries=16)
def mmc_curve(mu: float, c: int, replications: int = REPLICATIONS, seed: int = SEED
              ) -> pd.DataFrame:  # fmt: skip
    """Simulated mean wait (ms) with its 95% interval at each utilisation, and Erlang C's."""
    rows = []
    for rho in UTILISATIONS:
        lam = rho * c * mu
        frame = replicate(queue(lam, mu, c, REQUESTS), replications, seed, workers=1)
        mean, low, high = interval(frame["wait_ms.mean"].astype(float))
        rows.append({"x": rho, "theory": 1e3 * theory.mmc_mean_wait(lam, mu, c),
                     "simulated": mean, "ci_low": low, "ci_high": high})  # fmt: skip
    return pd.DataFrame(rows)


def theory_curve(mu: float, c: int) -> pd.DataFrame:
    """Erlang C's mean wait (ms) on a fine grid of utilisations, for the smooth line."""
    grid = np.linspace(0.05, 0.92, 60)
    return pd.DataFrame({"x": grid, "theory": [1e3 * theory.mmc_mean_wait(r * c * mu, mu, c)
                                               for r in grid]})  # fmt: skip


def show() -> None:
    """One queue against Erlang C, then the curve across utilisation."""
    st.markdown(
        "Requests arrive at random (Poisson, rate λ) and each of *c* workers serves one "
        "at a time, taking an exponential time of mean 1/μ: an **M/M/c** queue. The "
        "**Erlang C** formula gives the probability a request has to wait, and from it "
        "the mean wait W = C(c, λ/μ) / (cμ − λ). It is exact for this queue, so it is the "
        "yardstick the simulator is checked against."
    )
    cols = st.columns(3)
    lam = cols[0].slider("Arrival rate λ (per s)", 1.0, 50.0, 8.0, 0.5, key="lam")
    mu = cols[1].slider("Service rate μ per worker (per s)", 1.0, 50.0, 10.0, 0.5, key="mu")
    c = cols[2].slider("Workers c", 1, 16, 1, key="c")
    rho = lam / (c * mu)
    if rho >= 1:
        st.warning(f"Utilisation ρ = λ/(cμ) = {display.decimal(rho, 3)} ≥ 1: the queue "
                   "grows without bound.")  # fmt: skip
    else:
        res = state.simulate(state.yaml_text(queue(lam, mu, c)), 1)
        wait, sim_wait = theory.mmc_mean_wait(lam, mu, c), res.summary["wait_ms"]["mean"] / 1e3
        left, right = st.columns(2)
        ms = {"theory": 1e3 * wait, "run": 1e3 * sim_wait, "gap": 1e3 * (sim_wait - wait)}
        ms = {k: display.decimal(v, 3, least=2) for k, v in ms.items()}
        left.metric("Mean wait, theory (Erlang C)", f"{ms['theory']} ms")
        right.metric("Mean wait, one simulated run", f"{ms['run']} ms",
                     delta=f"{'' if ms['gap'].startswith('-') else '+'}{ms['gap']} ms",
                     delta_color="off")  # fmt: skip
        st.caption(f"ρ = {display.decimal(rho, 2)}. One run is noisy, most of all near "
                   "ρ = 1: the curve below replicates each point.")  # fmt: skip
    st.subheader(f"Mean wait across utilisation ({c} workers, μ = {display.decimal(mu, 3)}/s)")
    with st.spinner("replicating the queue at five utilisations..."):
        points = mmc_curve(float(mu), int(c))
    figure = charts.theory_check(points, x_title="utilisation ρ = λ/(cμ) (fraction)",
                                 y_title="mean wait in the queue (ms)",
                                 theory_curve=theory_curve(float(mu), int(c)))  # fmt: skip
    figure.update_layout(title="Simulated mean wait (95% intervals) against Erlang C")
    st.plotly_chart(figure, key="mmc-curve")
    st.caption(
        f"Each point: {REPLICATIONS} replications of {display.decimal(REQUESTS, 2)} requests "
        "(the first tenth dropped as warm-up), seed 1. The wait stays small until about "
        "ρ = 0.7, then climbs steeply: the last tenth of utilisation costs more waiting than "
        "everything before it, which is why fleets are sized with headroom."
    )
