"""What every strategy shares: when it starts, and the shape of its controller.

A strategy is a scenario spec (a pydantic model tagged by `type`) whose
`controller` is a SimPy process. It acts only through the `Control` handed to it
(launch and terminate variants, set weights, read alarms, write the audit trail),
never on the data plane's arrays.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ..specbase import Duration, Spec

if TYPE_CHECKING:
    from ..engine import Control


class StrategyBase(Spec):
    """Fields common to all strategies."""

    type: str
    start: Duration | None = Field(
        None, description="when the release begins, s; default the end of the warm-up"
    )

    def controller(self, ctx: Control) -> Generator[Any, Any, None]:
        """The SimPy process that carries the release out."""
        raise NotImplementedError
