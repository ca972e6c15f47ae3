"""How the model is hosted: a real-time endpoint, a Batch Transform job or an asynchronous endpoint.

One spec module per hosting kind, each a pydantic model tagged by `kind`. The `fleet`
section still says what runs (target, model, instances); the hosting spec says how
SageMaker serves it. How each kind is played is in `simulator.hosting`.

May import: `simulator.scenario.base`, `scenario.fleet` and `simulator.limits`; never a
player.
"""

from __future__ import annotations

import typing
from typing import Annotated, Union

from pydantic import Field

from simulator.scenario.hosting.asynchronous import Asynchronous
from simulator.scenario.hosting.batch_transform import BatchTransform
from simulator.scenario.hosting.realtime import Realtime

SPECS = (Realtime, BatchTransform, Asynchronous)
"""Every hosting kind, in the order the schema reference and the front end list them."""

HOSTING: dict[str, type] = {
    typing.get_args(spec.model_fields["kind"].annotation)[0]: spec for spec in SPECS
}
HOSTING_KINDS = tuple(HOSTING)
HostingSpec = Annotated[Union[SPECS], Field(discriminator="kind")]  # noqa: UP007

__all__ = ["HOSTING", "HOSTING_KINDS", "SPECS", "Asynchronous", "BatchTransform", "HostingSpec",
           "Realtime"]  # fmt: skip
