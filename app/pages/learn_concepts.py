"""Learn: the words around a release: CI, continuous delivery and deployment, and hosting.

Short explanations that lead to the pages where the simulator shows them: the release
process (`pages/process.py`) and the hosting options (`pages/hosting.py`). Shown as a
tab of the Learn page (`learn.py`).
"""

import pandas as pd
import streamlit as st

PROCESS = pd.DataFrame(
    {
        "practice": ["Continuous integration", "Continuous delivery", "Continuous deployment"],
        "what happens on every change": [
            "It is merged to the main line and built and tested automatically, "
            "so the main line always works.",
            "It is also packaged and checked until it could be released at any time; "
            "a person decides when.",
            "It is released to production automatically once every check and gate passes; "
            "no person in the loop.",
        ],
        "what it buys": [
            "Integration problems found within minutes, not at the end of a cycle.",
            "Small, low-risk releases whenever the business wants them.",
            "The shortest lead time; the release strategy and its gates are the safety net.",
        ],
    }
)

HOSTING = pd.DataFrame(
    {
        "SageMaker object": ["Model", "Endpoint configuration", "Endpoint"],
        "what it is": [
            "The trained artefact (in S3) and the container image that serves it.",
            "One or more production variants: which model, on which instance type, how "
            "many instances, with what share of the traffic (its weight).",
            "The HTTPS endpoint clients call; it runs one endpoint configuration at a time.",
        ],
        "in a release": [
            "A new version is a new Model.",
            "A new configuration names the new Model (and the old, for a canary).",
            "UpdateEndpoint moves it to the new configuration, all at once, in steps or "
            "linearly, with automatic rollback on CloudWatch alarms.",
        ],
    }
)


SECTIONS = (
    (
        "Continuous integration, delivery and deployment",
        "The three build on one another: integration keeps the code working, delivery keeps "
        "it releasable, deployment releases it. How often a team releases, how long a change "
        "takes to reach users, how often a release fails and how quickly service is restored "
        "are DORA's four keys.",
        PROCESS,
        ("pages/process.py", "Simulate release processes: Release process",
         ":material/conveyor_belt:"),
    ),
    (
        "SageMaker hosting: model, endpoint configuration, endpoint",
        "A real-time endpoint is built from three objects, each made from the one before "
        "(CreateModel, CreateEndpointConfig, CreateEndpoint). Batch Transform and "
        "asynchronous inference serve the same Model without a standing endpoint.",
        HOSTING,
        ("pages/hosting.py", "Compare ways to serve a model: Hosting options", ":material/dns:"),
    ),
)  # fmt: skip
"""(title, explanation, table, (page, link label, icon)) for each subject."""


def show() -> None:
    """The release process, then SageMaker hosting, each with a link to its page."""
    for i, (title, text, table, (target, label, icon)) in enumerate(SECTIONS):
        st.subheader(title)
        st.markdown(text)
        st.dataframe(table, hide_index=True, key=f"concepts-{i}")
        st.page_link(target, label=label, icon=icon)
