"""The run store: simulate results and experiment tables kept in SQLite to list, reload, compare.

One embedded database (default `$DEPLOYSIM_STORE`, else ~/.deploysim/runs.sqlite) holds
two kinds of record sharing one id sequence, so an id names one record:

- a run: one `simulate` result with its scenario YAML, seed and simulator version;
- an experiment: a table from a comparison or sweep, with what produced it.

Summaries and parameters are JSON (NaN and infinities become null: JSON has neither).
Tables (metrics, events, experiment tables) are Parquet bytes in BLOBs: unlike JSON
records, Parquet keeps dtypes (int vs float, pandas strings, NaN vs None, nullable ints,
datetimes), column order, MultiIndex columns and the index with its names, so a reloaded
frame compares equal; zstd keeps it compact. Parquet is read with `ParquetFile` and no
threads: pyarrow's threaded dataset reader sometimes aborts the process at exit
("terminate called without an active exception", apache/arrow#34314).

A record is written in one transaction, once its result is complete, so an interrupted
run leaves nothing half-saved. Files given to the user (exports, and the command line's
--out and --csv) are written by `write_atomically`: never over an existing file unless
forced, and through a temporary file, so an interrupted write never leaves half a file.
"""

from __future__ import annotations

import json
import os
import reprlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from simulator.limits import MAX_INTEGER
from simulator.store.files import RunStoreError, quote_path, write_atomically
from simulator.store.tables import _from_parquet, _plain, _plain_index, _to_json, _to_parquet

if TYPE_CHECKING:
    import pandas as pd

    from simulator.engine.result import Result
    from simulator.scenario import Scenario

SCHEMA_VERSION = 1




RecordType = Literal["run", "experiment"]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL CHECK (type IN ('run', 'experiment')),
    kind TEXT NOT NULL,
    created TEXT NOT NULL,
    scenario TEXT NOT NULL,
    strategy TEXT,
    seed INTEGER NOT NULL,
    replications INTEGER NOT NULL,
    label TEXT,
    version TEXT NOT NULL,
    outcome TEXT,
    availability REAL,
    cost_usd REAL,
    blast_radius INTEGER,
    scenario_yaml TEXT NOT NULL,
    params TEXT,
    summary TEXT,
    metrics BLOB,
    events BLOB,
    tbl BLOB
);
"""


# Migrations from version N to N + 1, applied in order when an older store is opened.
_MIGRATIONS: dict[int, list[str]] = {}


LIST_COLUMNS = (
    "id type kind created scenario strategy seed replications label version "
    "outcome availability cost_usd blast_radius"
).split()


_SUFFIXES = (".csv", ".parquet")


_ARTICLE = {"run": "a run", "experiment": "an experiment"}



class RunStore:
    """Keeps runs and experiment tables so they can be listed, reloaded and compared later."""

    def __init__(self, path: str | Path | None = None):
        if path is None:
            path = os.environ.get("DEPLOYSIM_STORE") or Path.home() / ".deploysim" / "runs.sqlite"
        self.path = Path(path).expanduser()

    def save_run(self, result: Result, scenario: Any, seed: int, label: str | None = None) -> int:
        """Keep one simulate result (not its per-request log: re-simulate with the seed)."""
        sc = _scenario(scenario)
        for key, given in (("seed", seed), ("scenario", sc.name)):
            if key in result.summary and result.summary[key] != given:
                raise RunStoreError(
                    f"the result's {key} is {result.summary[key]!r} but "
                    f"{given!r} was given: is this the right result?"
                )
        s = _plain(result.summary)
        return self._insert(
            type="run",
            kind="run",
            scenario=sc,
            seed=seed,
            replications=1,
            label=label,
            outcome=s.get("outcome"),
            availability=s.get("availability"),
            cost_usd=s.get("cost_usd"),
            blast_radius=s.get("blast_radius"),
            summary=_to_json(s),
            metrics=_to_parquet(result.metrics, "metrics"),
            events=_to_parquet(result.events, "events"),
        )

    def save_experiment(
        self,
        table: pd.DataFrame,
        *,
        kind: str,
        scenario: Any,
        seed: int,
        replications: int,
        params: dict | None = None,
        label: str | None = None,
    ) -> int:
        """Keep a comparison or sweep table (index included) with what produced it."""
        import pandas as pd  # the store loads its heavy parts when used, not when imported

        if not isinstance(table, pd.DataFrame):
            raise RunStoreError(
                f"an experiment table must be a DataFrame, not {type(table).__name__}"
            )
        if kind in ("run", "experiment"):
            raise RunStoreError(f"kind {kind!r} is reserved: name the experiment, e.g. 'sweep'")
        return self._insert(
            type="experiment",
            kind=kind,
            scenario=_scenario(scenario),
            seed=seed,
            replications=replications,
            label=label,
            params=_to_json(params or {}),
            tbl=_to_parquet(table, "table"),
        )

    def list(self, kind: str | None = None, limit: int | None = None) -> pd.DataFrame:
        """Records newest first, to choose what to reload; kind: 'run', 'experiment', 'sweep'...

        An experiment's `strategy` names every strategy it ran ("big_bang, canary").
        """
        if limit is not None and limit < 1:
            raise RunStoreError(f"limit must be at least 1 (got {limit})")
        rows: list[tuple] = []
        if self.path.exists():
            where = "" if kind is None else "WHERE type = :kind OR kind = :kind"
            sql = (f"SELECT {', '.join(LIST_COLUMNS)}, params FROM records {where} "
                   "ORDER BY id DESC LIMIT :n")  # fmt: skip
            with self._connect() as conn:
                rows = conn.execute(sql, {"kind": kind, "n": limit or -1}).fetchall()
        at = LIST_COLUMNS.index("strategy")
        rows = [(*row[:at], _strategies(row[at], row[-1]), *row[at + 1 : -1]) for row in rows]
        import pandas as pd

        table = pd.DataFrame.from_records(rows, columns=LIST_COLUMNS)
        return table.astype(
            {
                "id": "int64",
                "seed": "int64",
                "replications": "int64",
                "availability": "float64",
                "cost_usd": "float64",
                "blast_radius": "Int64",
            }
        )

    def type_of(self, record_id: int) -> RecordType:
        """Whether record `record_id` is a run or an experiment (RunStoreError if none)."""
        return self._fetch(record_id, None, "id")["type"]

    def load_run(self, run_id: int) -> tuple[Result, Scenario, int]:
        """A stored run as (Result, Scenario, seed); the Result has no per-request log."""
        from simulator.engine.result import Result
        from simulator.scenario import ScenarioError, load_scenario

        row = self._fetch(run_id, "run", "scenario_yaml, seed, summary, metrics, events")
        try:
            sc = load_scenario(row["scenario_yaml"])
        except ScenarioError as exc:
            raise RunStoreError(f"run {run_id}: its scenario no longer loads: {exc}") from None
        summary = json.loads(row["summary"])
        result = Result(summary, _from_parquet(row["metrics"]), _from_parquet(row["events"]))
        return result, sc, row["seed"]

    def load_experiment(self, exp_id: int) -> tuple[pd.DataFrame, dict]:
        """A stored experiment as (table with its index, metadata incl. scenario_yaml)."""
        keys = [
            "id",
            "kind",
            "created",
            "scenario",
            "strategy",
            "seed",
            "replications",
            "label",
            "version",
            "scenario_yaml",
        ]
        row = self._fetch(exp_id, "experiment", ", ".join([*keys, "params", "tbl"]))
        meta = {k: row[k] for k in keys}
        meta["params"] = json.loads(row["params"])
        return _from_parquet(row["tbl"]), meta

    def export(
        self,
        record_id: int,
        path: str | Path,
        *,
        kind: RecordType = "experiment",
        force: bool = False,
    ) -> Path:
        """Write an experiment's table, or a run's metrics table, to .csv or .parquet.

        An existing file is replaced only with `force`.
        """
        path = Path(path)
        if path.suffix.lower() not in _SUFFIXES:
            raise RunStoreError(
                f"cannot export to {quote_path(path)}: the file must end in .csv or .parquet"
            )
        if kind == "run":
            table = self.load_run(record_id)[0].metrics
        else:
            table = self.load_experiment(record_id)[0]
        if path.suffix.lower() == ".csv":
            index = not _plain_index(table)
            return write_atomically(path, lambda part: table.to_csv(part, index=index), force=force)
        data = _to_parquet(table, "table")
        return write_atomically(path, lambda part: part.write_bytes(data), force=force)

    def delete(self, record_id: int, kind: RecordType) -> None:
        """Remove a run or experiment; the kind guards against deleting the wrong record."""
        self._fetch(record_id, kind, "id")
        with self._connect() as conn:
            conn.execute("DELETE FROM records WHERE id = ?", (record_id,))

    def _insert(self, **fields: Any) -> int:
        from simulator import (
            __version__,  # here, so the package may import this module at load time
        )

        if not 0 <= fields["seed"] <= MAX_INTEGER:
            raise RunStoreError(f"seed {fields['seed']} cannot be stored: seeds from 0 to "
                                f"{MAX_INTEGER} can")  # fmt: skip

        sc: Scenario = fields.pop("scenario")
        fields |= {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "scenario": sc.name,
            "strategy": sc.strategy.type,
            "scenario_yaml": sc.to_yaml(),
            "version": __version__,
        }
        names = ", ".join(fields)
        marks = ", ".join(f":{k}" for k in fields)
        with self._connect() as conn:
            cur = conn.execute(f"INSERT INTO records ({names}) VALUES ({marks})", fields)
            return int(cur.lastrowid)

    def _fetch(self, record_id: int, kind: RecordType | None, columns: str) -> sqlite3.Row:
        if kind is not None and kind not in _ARTICLE:
            raise RunStoreError(f"kind must be 'run' or 'experiment', not {reprlib.repr(kind)}")
        row = None
        if 0 < record_id <= MAX_INTEGER and self.path.exists():  # no other id can be stored
            with self._connect() as conn:
                sql = f"SELECT type, {columns} FROM records WHERE id = ?"
                row = conn.execute(sql, (int(record_id),)).fetchone()
        if row is None:
            raise RunStoreError(f"no {kind or 'record'} with id {record_id} in {self.path}")
        if kind is not None and row["type"] != kind:
            found, wanted = _ARTICLE[row["type"]], _ARTICLE[kind]
            raise RunStoreError(f"record {record_id} is {found}, not {wanted}")
        return row

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One connection, committed on success and always closed; the schema made current."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path)) as conn:
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode=WAL")
                with conn:
                    _migrate(conn, self.path)
                    yield conn
        except sqlite3.DatabaseError as exc:
            raise RunStoreError(f"{self.path}: not a readable run store ({exc})") from None
        except OSError as exc:
            raise RunStoreError(f"{self.path}: cannot open the run store ({exc})") from None


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Create the schema, or bring an older one up to SCHEMA_VERSION."""
    conn.executescript(_SCHEMA)
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    if row is None:
        conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
        return
    version = row[0]
    if version > SCHEMA_VERSION:
        raise RunStoreError(
            f"{path} has store schema {version}; this deploysim reads up to "
            f"{SCHEMA_VERSION}: upgrade deploysim"
        )
    for step in range(version, SCHEMA_VERSION):
        for statement in _MIGRATIONS[step]:
            conn.execute(statement)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))


def _strategies(strategy: str | None, params: str | None) -> str | None:
    """The strategies a record ran: a comparison's (or a sweep's over strategy.type), else one."""
    given = json.loads(params) if params else {}
    names = given.get("strategies") or given.get("grid", {}).get("strategy.type")
    return ", ".join(map(str, names)) if isinstance(names, list) and names else strategy


def _scenario(scenario: Any) -> Scenario:
    from simulator.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(scenario)
    except ScenarioError as exc:
        raise RunStoreError(f"cannot store the scenario: {exc}") from None
