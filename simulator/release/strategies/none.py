"""No release: the controller only records that nothing is rolled out."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from simulator.scenario.strategies.none import SteadyState

if TYPE_CHECKING:
    from simulator.engine.control import Control


def run(spec: SteadyState, ctx: Control) -> Generator[Any, Any, None]:
    """Record that nothing is rolled out."""
    ctx.finish("steady")
    yield from ()
