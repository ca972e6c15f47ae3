"""Learn: a queue against queueing theory, and how likely a canary is to catch a defect."""

import streamlit as st

from app import state
from app.charts import learn as charts
from simulator.validation import theory

st.title("Learn")
st.header("A queue against theory (M/M/c)")
cols = st.columns(3)
lam = cols[0].slider("Arrival rate λ (per s)", 1.0, 50.0, 8.0, 0.5, key="lam")
mu = cols[1].slider("Service rate μ per worker (per s)", 1.0, 50.0, 10.0, 0.5, key="mu")
c = cols[2].slider("Workers c", 1, 16, 1, key="c")
rho = lam / (c * mu)
if rho >= 1:
    st.warning(f"Utilisation ρ = λ/(cμ) = {rho:.2f} ≥ 1: the queue grows without bound.")
else:
    data = {
        "name": "learn-mmc",
        "duration": 2000,
        "warmup": 200,
        "traffic": {"pattern": "poisson", "rate": lam},
        "fleet": {
            "instances": 1,
            "workers_per_instance": c,
            "service_time": {"distribution": "exponential", "mean": 1 / mu},
        },
    }
    res = state.simulate(state.yaml_text(data), 1)
    wait = theory.mmc_mean_wait(lam, mu, c)
    sim_wait = res.summary["wait_ms"]["mean"] / 1e3
    left, right = st.columns(2)
    left.metric("Mean wait, theory (Erlang C)", f"{1e3 * wait:,.2f} ms")
    right.metric(
        "Mean wait, one simulated run",
        f"{1e3 * sim_wait:,.2f} ms",
        delta=f"{1e3 * (sim_wait - wait):+,.2f} ms",
        delta_color="off",
    )
    st.caption(
        f"ρ = {rho:.2f}. One run of 2,000 s is noisy near ρ = 1; `deploysim validate` "
        "checks many cases with replications and intervals."
    )

st.header("Will a canary catch it?")
st.caption(
    "The probability that the gate rolls a defective release back before it reaches "
    "all traffic, by canary weight and bake time (Wilson 95% intervals)."
)
cols = st.columns(3)
err = cols[0].slider("Defect: extra error rate", 0.005, 0.1, 0.02, 0.005, key="defect")
reps = cols[1].number_input("Replications per cell", 2, 50, 6, key="reps")
run = cols[2].button("Measure detection power", key="power")
if run:
    from simulator.analysis.questions import detection_power

    scenario = {
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
        "release": {"version": "v2", "defect": {"error_rate": err}},
        "strategy": {
            "type": "canary",
            "gate": {
                "type": "argo",
                "failure_limit": 1,
                "checks": [{"metric": "error_rate", "max": 0.015}],
            },
        },
    }
    with st.spinner("simulating canaries..."):
        table = detection_power(
            scenario, weights=[5, 10, 25], bakes=[60, 180], replications=int(reps), seed=1
        )
    st.plotly_chart(charts.detection_power(table), key="power_chart")
    st.dataframe(table, key="power_table")
