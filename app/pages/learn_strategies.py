"""Learn: every release strategy drawn from one simulated run of the same small service.

One scenario (4 instances serving 20 requests/s, a healthy v2 released after 5 minutes)
run once per strategy; each diagram shows the release's share of the requests and the
instances of each fleet over time (`app.charts.strategy`), with what the strategy is and
a sentence on what this run shows. Shown as a tab of the Learn page (`learn.py`).
"""

import pandas as pd
import streamlit as st

from app import state
from app.charts import strategy as charts
from simulator import display

RELEASE = "v2"
SCENARIO = {
    "name": "learn-strategies",
    "duration": 3600,
    "warmup": 300,
    "traffic": {"pattern": "poisson", "rate": 20},
    "fleet": {
        "version": "v1",
        "instances": 4,
        "workers_per_instance": 2,
        "provisioning": 120,
        "service_time": {"distribution": "exponential", "mean": 0.05},
    },
    "release": {"version": RELEASE},
    "slo": {"latency_p99": "1s", "availability": 0.999},
    "monitoring": {"period": 60},
}
"""The service every strategy releases v2 to: healthy, so each runs its whole course."""

STRATEGIES = {
    "big_bang": ("Big bang", "Everything moves to the release at once: the old fleet is "
                 "replaced in one step, so every user meets the release together."),
    "phased": ("Phased", "User segments move to the release one phase at a time, and the old "
               "fleet shrinks as each phase lands."),
    "rolling": ("Rolling", "Instances are replaced in batches; old and new serve side by side "
                "and each version's share is its share of the serving instances."),
    "canary": ("Canary", "A small slice of traffic goes to the release first; a gate watches "
               "each step's bake before the weight grows."),
    "ab_test": ("A/B test", "Half the traffic goes to each version until a statistical test "
                "decides which converts better; the winner takes all."),
    "blue_green": ("Blue/green", "A full green fleet is provisioned beside blue, traffic "
                   "switches over, and blue is kept for a while to roll back to."),
    "linear": ("Linear blue/green", "Blue/green that shifts traffic to green in equal steps, "
               "with blue kept (and billed) to the end."),
    "shadow": ("Shadow", "The release gets a copy of every request; its answers are compared "
               "but never reach a user, then it is promoted or discarded."),
    "parallel": ("Parallel", "Both systems run on all traffic and their outputs are compared "
                 "before the cut-over."),
    "argo_blue_green": ("Argo blue/green", "A preview fleet is analysed on a slice of mirrored "
                        "traffic before the switch, as Argo Rollouts does."),
}  # fmt: skip
"""Strategy type -> (title, what it is), in the order the diagrams are shown."""


def what_it_shows(events: pd.DataFrame, metrics: pd.DataFrame, summary: dict) -> str:
    """A sentence on what the run shows: when the release took all traffic, and the fleets."""
    weights = charts.weight_shares(events, RELEASE)
    full = weights[weights["share"] >= 1.0]
    fleets = charts.fleet_sizes(events, metrics, RELEASE)
    total = fleets.pivot_table(index="time", columns="version", values="instances",
                               aggfunc="last").ffill().fillna(0).sum(axis=1)  # fmt: skip
    before, peak = int(total.iloc[0]), int(total.max())
    if full.empty:
        took = f"{RELEASE} never took all traffic in this run ({summary['outcome']})"
    else:
        took = (f"{RELEASE} took all traffic at {display.seconds(full['time'].iloc[0])} into the "
                f"run, a rollout of {display.written('rollout_duration_s', summary)}")  # fmt: skip
    fleet = (f"the fleets peaked at {peak} instances against {before} before" if peak > before
             else f"the fleets never ran more than the {before} instances of before")  # fmt: skip
    return f"{took}; {fleet}."


def show() -> None:
    """Every strategy's diagram, two to a row."""
    st.markdown(
        "Each diagram is one simulated release of a healthy v2 to the same service "
        "(4 instances, 20 requests/s). **Above**: the share of the users' requests v2 "
        "served each minute, and the weights the audit trail set. **Below**: the instances "
        "of each fleet, counted from the audit trail's launches and terminations."
    )
    text = state.yaml_text(SCENARIO)
    columns = st.columns(2)
    for i, (kind, (title, what)) in enumerate(STRATEGIES.items()):
        result = state.simulate(text, 1, kind)
        with columns[i % 2]:
            st.subheader(title)
            st.markdown(what)
            figure = charts.rollout_diagram(result.events, result.metrics, RELEASE)
            st.plotly_chart(figure, key=f"strategy-{kind}")
            st.caption(what_it_shows(result.events, result.metrics, result.summary))
