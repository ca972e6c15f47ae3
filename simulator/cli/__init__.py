"""The `deploysim` command line: one module per command group over a shared `common`.

`run` (run, import, app), `validation` (validate, bench), `experiments` (compare, sweep),
`process` (weeks of releases), `hosting` (one workload served four ways), `questions`
(capacity, power, pareto), `runs` (the run store) and `security` (posture) each
register their commands on `common.app`; importing them here, in that order, is the
order of `--help`. Commands import what they run lazily, so `deploysim --help` stays
quick. May import anything below it.
"""

# --help lists the commands in the order these modules register them
from simulator.cli import run, validation  # noqa: F401  # isort: skip
from simulator.cli import experiments, process, hosting, questions, runs  # noqa: F401  # isort: skip
from simulator.cli import security  # noqa: F401  # isort: skip
from simulator.cli.common import app


def main() -> None:
    """Entry point for `python -m simulator`."""
    app()


__all__ = ["app", "main"]
