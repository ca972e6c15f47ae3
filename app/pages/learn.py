"""Learn: release strategies, queues against theory, canaries' power, and the vocabulary.

Four tabs, each drawn by its own module beside this page: `learn_strategies` (a
diagram per strategy from one simulated run), `learn_queues` (M/M/c against Erlang C,
one point and a curve with intervals), `learn_power` (detection power against defect
size, chart and table) and `learn_concepts` (continuous integration, delivery and
deployment; SageMaker's model, endpoint configuration and endpoint).
"""

import streamlit as st

from app.pages import learn_concepts, learn_power, learn_queues, learn_strategies

st.title("Learn")
st.caption(
    "Every figure here comes from the simulator: diagrams from simulated runs, curves "
    "from replications with their intervals."
)
strategies, queues, power, concepts = st.tabs(
    ["Release strategies", "Queues and Erlang C", "Will a canary catch it?",
     "CI/CD and hosting"]
)  # fmt: skip
with strategies:
    learn_strategies.show()
with queues:
    learn_queues.show()
with power:
    learn_power.show()
with concepts:
    learn_concepts.show()
