"""The input gate: every file, text and number a user hands over is refused fast and safely.

Each case found by user testing is here as the input that broke, with what must happen
instead: a ScenarioError (or InputError, for `userfiles` on its own) that names the field
path or the line, in well under a second, without building the input's full repr, and
for traces without ever quoting the file.
"""

from __future__ import annotations

import math
import os
import time
import tracemalloc
import typing
from pathlib import Path
from typing import Any

import pytest

from simulator import userfiles
from simulator.sampling import traces
from simulator.scenario.base import parse_duration
from simulator.scenario.model import MAX_PROBLEMS, Scenario, ScenarioError, load_scenario
from simulator.userfiles import InputError, brief
from tests.schema_models import models

BASE = "duration: 10m\ntraffic: {pattern: poisson, rate: 5}\n"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
BOMB = (
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n"
              for p, c in zip("abcdefgh", "bcdefghi", strict=True))
)  # nine levels of nine: 387 million values once the aliases are expanded


def error(source: Any, **kw: Any) -> str:
    """The ScenarioError message for `source`."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(source, **kw)
    return str(info.value)


def at(message: str, path: str) -> str:
    """The line of a ScenarioError about `path` (without the path)."""
    for line in message.splitlines()[1:]:
        where, _, what = line.strip().partition(": ")
        if where == path:
            return what
    raise AssertionError(f"no error at {path!r} in:\n{message}")


def quick(action, seconds: float = 0.5, megabytes: float = 20.0) -> None:
    """Run `action`, which must raise; assert it took little time and memory."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises((ScenarioError, InputError)):
            action()
    finally:
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f} s"
    assert peak < megabytes * 2**20, f"peaked at {peak / 2**20:.1f} MiB"


# ---------------------------------------------------------------- non-finite numbers


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("fleet: {weight: .inf}", "fleet.weight"),
        ("fleet: {weight: .nan}", "fleet.weight"),
        ("fleet: {price_per_hour: .inf}", "fleet.price_per_hour"),
        ("release: {defect: {latency_factor: .nan}}", "release.defect.latency_factor"),
        ("autoscaling: {target: .inf, max: 3}", "autoscaling.target"),
        ("slo: {availability: .nan}", "slo.availability"),
        ("monitoring: {alarms: [{name: a, metric: error_rate, threshold: .inf}]}",
         "monitoring.alarms.0.threshold"),
        ("monitoring: {alarms: [{name: a, metric: latency_p99, threshold: .nan}]}",
         "monitoring.alarms.0.threshold"),
        ("release: {}\nstrategy: {type: canary, step_weights: [10, .nan]}",
         "strategy.step_weights.1"),
        ("release: {}\nstrategy: {type: phased, phases: [50, .inf]}", "strategy.phases.1"),
        ("release: {}\nstrategy: {type: canary, gate: {type: flagger, checks: "
         "[{metric: error_rate, max: .inf}]}}", "strategy.gate.checks.0.max"),
        ("release: {}\nstrategy: {type: parallel, divergence: .nan}", "strategy.divergence"),
    ],
)  # fmt: skip
def test_non_finite_numbers_name_their_field(text, path):
    message = at(error(BASE + text + "\n"), path)
    assert "finite" in message or "number" in message


@pytest.mark.parametrize(
    ("traffic", "path"),
    [
        ("{pattern: poisson, rate: .inf}", "traffic.rate"),
        ("{pattern: diurnal, rate: 5, amplitude: .nan}", "traffic.amplitude"),
        ("{pattern: bursty, rate: 5, bursts: [{at: 1m, duration: 1m, multiplier: .inf}]}",
         "traffic.bursts.0.multiplier"),
        ("{pattern: bursty, rate: 5, cv: .inf}", "traffic.cv"),
        ("{pattern: bursty, rate: 5, mmpp: {high_rate: .inf, mean_low: 1m, mean_high: 1m}}",
         "traffic.mmpp.high_rate"),
    ],
)  # fmt: skip
def test_non_finite_traffic_is_a_message_not_a_traceback(traffic, path):
    at(error(f"duration: 10m\ntraffic: {traffic}\n"), path)


def _holds_float(annotation: Any) -> str | None:
    """'number' if the annotation admits a float, 'list' if a list of them, else None."""
    if annotation is float:
        return "number"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list:
        return "list" if any(_holds_float(a) for a in args) else None
    if origin is typing.Annotated:
        return _holds_float(args[0])
    return next((kind for a in args if (kind := _holds_float(a))), None)


FLOAT_FIELDS = [
    (model, name, kind)
    for model in models(Scenario)
    for name, field in model.model_fields.items()
    if (kind := _holds_float(field.annotation))
]


def test_the_walk_reaches_the_float_fields_of_every_part():
    names = {f"{model.__name__}.{name}" for model, name, _ in FLOAT_FIELDS}
    assert {"FleetSpec.weight", "Scenario.duration", "Poisson.rate", "Burst.multiplier",
            "Empirical.samples", "LogNormal.sigma", "Canary.step_weights", "Check.max",
            "Alarm.threshold", "KayentaGate.pass_score", "Rolling.max_surge",
            "Parallel.divergence", "Autoscaling.target"} <= names  # fmt: skip
    assert len(FLOAT_FIELDS) > 60


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_every_float_field_refuses_non_finite_values(bad):
    """One mechanism (Spec's allow_inf_nan=False, and the parsers) reaches every float field:
    validating a model with only that field set reports an error at that field."""
    accepted = []
    for model, name, kind in FLOAT_FIELDS:
        value = [bad] if kind == "list" else bad
        try:
            model.model_validate({name: value})
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            if any(e["loc"][:1] == (name,) for e in exc.errors()):
                continue
        accepted.append(f"{model.__name__}.{name}")
    assert not accepted


# ---------------------------------------------------------------- finite but absurd


@pytest.mark.parametrize(
    ("text", "path", "phrase"),
    [
        # arithmetic that overflows, or goes past the clock's resolution
        ("fleet: {weight: 1.0e+300}", "fleet.weight", "less than or equal to"),
        ("fleet: {price_per_hour: 1.0e+300}", "fleet.price_per_hour", "less than or equal to"),
        ("fleet: {timeout: 1.0e+10}", "fleet.timeout", "at most 1e+09 s"),
        ("fleet: {overhead: 1.0e-9}", "fleet.overhead", "1 us"),
        ("fleet: {service_time: {distribution: exponential, mean: 1.0e+200}}",
         "fleet.service_time.mean", "at most"),
        ("fleet: {service_time: {distribution: lognormal, p50: 10ms, sigma: 1000}}",
         "fleet.service_time", "float64"),
        ("fleet: {service_time: {distribution: lognormal, p50: 1us, p99: 1.0e+9}}",
         "fleet.service_time", "mean service time"),
        ("fleet: {service_time: {distribution: lognormal, mean: 1, sigma: 30}}",
         "fleet.service_time", "float64"),
        ("fleet: {service_time: {distribution: gamma, mean: 1, cv: 1.0e+200}}",
         "fleet.service_time.cv", "less than or equal to 100"),
        ("release: {defect: {latency_factor: 1.0e+300}}", "release.defect.latency_factor",
         "less than or equal to"),
        # integer counts that would overflow int64 or allocate
        ("fleet: {queue_capacity: 1000000000000}", "fleet.queue_capacity",
         "less than or equal to"),
        ("release: {}\nstrategy: {type: rolling, max_surge: 100000000000000000000000}",
         "strategy.max_surge", "between 0 and 10,000"),
        ("release: {}\nstrategy: {type: shadow, instances: 100000000000}",
         "strategy.instances", "less than or equal to"),
        ("autoscaling: {target: 1.0e-300, max: 3}", "autoscaling.target",
         "greater than or equal to"),
        ("autoscaling: {target: 600, max: 100000000000}", "autoscaling.max",
         "less than or equal to"),
        # a loop of a billion steps, a sample size that divides by zero
        ("release: {}\nstrategy: {type: canary, step_weight: 1.0e-9}", "strategy",
         "more than 1000 steps"),
        ("release: {}\nstrategy: {type: ab_test, test: two_proportion, mde: 100}", "strategy",
         "cannot be planned"),
        ("release: {}\nstrategy: {type: ab_test, interval: 1ms}", "(top level)",
         "at least monitoring.period"),
        ("release: {}\nstrategy: {type: ab_test, conversion: {control: 1.0e-300}}",
         "strategy.conversion.control", "greater than or equal to"),
    ],
)  # fmt: skip
def test_finite_but_absurd_values_are_refused_with_a_reason(text, path, phrase):
    assert phrase in at(error(BASE + text + "\n"), path)


@pytest.mark.parametrize(
    ("traffic", "path", "phrase"),
    [
        ("{pattern: poisson, rate: 1.0e+12}", "traffic.rate", "less than or equal to"),
        ("{pattern: poisson, rate: 1.0e-300}", "traffic.rate", "greater than or equal to"),
        ("{pattern: poisson, rate: 5, users: 100000000000000000000}", "traffic.users",
         "less than or equal to"),
        ("{pattern: diurnal, rate: 900000, amplitude: 0.5}", "traffic", "the peak"),
        ("{pattern: bursty, rate: 5, cv: 1000}", "traffic.cv", "less than or equal to 100"),
        ("{pattern: bursty, rate: 1000, bursts: [{at: 0, duration: 2m, multiplier: 100},"
         " {at: 1m, duration: 2m, multiplier: 100}]}", "traffic", "overlapping bursts"),
        # the schedule repeats every hour: 30m + 1h lands on the burst at 90m
        ("{pattern: bursty, rate: 1000, every: 1h, bursts: [{at: 30m, duration: 5m, "
         "multiplier: 100}, {at: 90m, duration: 5m, multiplier: 100}]}", "traffic",
         "overlapping bursts"),
        ("{pattern: bursty, rate: 1000, bursts: [" + ", ".join(
            ["{at: 0, duration: 1m, multiplier: 1.0e+300}"] * 3) + "]}", "traffic",
         "overlapping bursts"),
    ],
)  # fmt: skip
def test_traffic_beyond_the_clock_is_refused(traffic, path, phrase):
    assert phrase in at(error(f"duration: 2h\ntraffic: {traffic}\n"), path)


def test_bursts_that_do_not_overlap_may_each_reach_the_highest_rate():
    sc = load_scenario("duration: 2h\ntraffic: {pattern: bursty, rate: 1000, every: 1h, bursts: "
                       "[{at: 0, duration: 5m, multiplier: 1000}, "
                       "{at: 30m, duration: 5m, multiplier: 1000}]}\n")  # fmt: skip
    assert [b.multiplier for b in sc.traffic.bursts] == [1000, 1000]


@pytest.mark.parametrize(
    ("value", "seconds"), [("1us", 1e-6), ("250us", 2.5e-4), (1e9, 1e9), ("0s", 0.0)]
)
def test_durations_from_the_resolution_to_the_longest_run(value, seconds):
    assert parse_duration(value) == pytest.approx(seconds, rel=1e-12)


@pytest.mark.parametrize("value", [1e-7, "0.5us", 1e9 * 1.0001, "11575d", 10**400, math.inf])
def test_durations_the_clock_cannot_resolve_are_refused(value):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


def test_a_huge_integer_is_a_message_not_an_overflow():
    message = error("duration: " + "9" * 400 + "\ntraffic: {pattern: poisson, rate: 5}\n")
    assert "bit int" in at(message, "duration")
    assert len(message) < 300


# ---------------------------------------------------------------- files and YAML


def test_latin1_scenario_file_is_refused_naming_the_line(tmp_path):
    file = tmp_path / "latin1.yaml"
    file.write_bytes((BASE + "description: café\n").encode("latin-1"))
    message = error(file)
    assert str(file) in message and "not UTF-8" in message and "line 3" in message


def test_binary_scenario_file_is_refused(tmp_path):
    file = tmp_path / "binary.yaml"
    file.write_bytes(b"duration: 10m\n\x00\x01\x02\xff\xfe")
    assert "binary" in error(file)


def test_byte_order_mark_is_dropped(tmp_path):
    file = tmp_path / "bom.yaml"
    file.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_scenario(file).duration == 600.0


def test_duplicate_keys_are_refused_naming_both_lines():
    message = error(BASE + "fleet: {instances: 2}\nduration: 5m\n")
    assert "duplicate key 'duration'" in message
    assert "line 4" in message and "first at line 1" in message
    nested = error("duration: 10m\ntraffic: {pattern: poisson, rate: 5, rate: 6}\n")
    assert "duplicate key 'rate'" in nested


def test_a_merge_key_may_be_overridden():
    text = "common: &c {pattern: poisson, rate: 5}\n"
    data = userfiles.load_yaml(text + "traffic: {<<: *c, rate: 9}\n", "s")
    assert data["traffic"] == {"pattern": "poisson", "rate": 9}


@pytest.mark.parametrize("under", ["description", "fleet: {service_time: {distribution: "
                                   "empirical, samples"])  # fmt: skip
def test_alias_bomb_is_refused_before_it_is_built(under):
    closing = "}}" if "{" in under else ""
    text = BASE + BOMB + f"{under}: *i{closing}\n"
    assert len(text) < 600
    quick(lambda: load_scenario(text))
    assert "expands to more than" in error(text)


@pytest.mark.parametrize("levels", [1000, 100_000])
def test_deep_nesting_is_refused_fast(levels):
    flow = BASE + "description: " + "[" * levels + "]" * levels + "\n"
    sequences = BASE + "description:\n  " + "- " * levels + "x\n"
    mappings = BASE + "".join(" " * i + f"k{i}:\n" for i in range(levels // 100 + 70))
    for text in (flow, sequences, mappings):
        quick(lambda text=text: load_scenario(text))
        assert "nest" in error(text)


@pytest.mark.parametrize(
    "text",
    ["duration: 2024-13-01", "duration: !!timestamp soon", "duration: !!int 1.5",
     "duration: " + "9" * 5000],
)  # fmt: skip
def test_yaml_values_python_cannot_build_are_yaml_errors(text):
    message = error(text + "\ntraffic: {pattern: poisson, rate: 5}\n")
    assert "not valid YAML at line 1" in message


def test_the_whole_input_is_never_in_a_message():
    long = "x" * 1_000_000
    for text in [
        f"duration: 10m\ntraffic: {{pattern: {long}, rate: 5}}\n",  # an unknown union tag
        BASE + f"name: [{long}]\n",
        BASE + f"fleet: {{target: {long}}}\n",
        BASE + f"fleet: {{timeout: {long}}}\n",
        BASE + f"monitoring: {{alarms: [{{name: a, metric: {long}, threshold: 1}}]}}\n",
    ]:
        message = error(text)
        assert len(message) < 1000, message[:200]


def test_a_thousand_bad_samples_are_a_short_message():
    samples = ", ".join(["soon"] * 1000)
    message = error(BASE + f"fleet: {{service_time: {{distribution: empirical, "
                    f"samples: [{samples}]}}}}\n")  # fmt: skip
    lines = message.splitlines()
    assert len(lines) == 1 + MAX_PROBLEMS + 1
    assert lines[-1].strip() == f"(and {1000 - MAX_PROBLEMS:,} more problems)"
    assert at(message, "fleet.service_time.samples.0").startswith("expected a duration")


def test_a_deep_python_structure_is_shown_briefly():
    deep: list = []
    for _ in range(10_000):
        deep = [deep, deep]  # 2^10000 leaves if printed whole
    message = error({"duration": 60, "traffic": {"pattern": "poisson", "rate": 5},
                     "description": deep})  # fmt: skip
    assert "description: Input should be a valid string" in message
    assert len(message) < 300


# ---------------------------------------------------------------- traces


@pytest.fixture
def home(tmp_path):
    """A user's home with a credentials file, and a project with an allowed traces folder."""
    aws = tmp_path / "home" / ".aws"
    aws.mkdir(parents=True)
    (aws / "credentials").write_text(f"[default]\naws_secret_access_key = {SECRET}\n")
    allowed = tmp_path / "project" / "traces"
    allowed.mkdir(parents=True)
    (allowed / "ok.csv").write_text("t\n0.5\n1.0\n2.5\n")
    return tmp_path


def trace(path: Any, **fields: Any) -> dict[str, Any]:
    return {"duration": 60, "traffic": {"pattern": "trace", "path": str(path), **fields}}


def test_a_trace_must_be_a_csv_file(home):
    credentials = home / "home" / ".aws" / "credentials"
    message = error(trace(credentials))
    assert ".csv" in at(message, "traffic.path")
    assert SECRET not in message and "aws_secret" not in message


@pytest.mark.parametrize("column", [None, "[default]", "missing"])
def test_a_trace_never_shows_what_the_file_holds(home, column):
    """The credentials, copied to a .csv, are read as a trace: the message says where the
    data is wrong, never what it is."""
    leaked = home / "project" / "traces" / "leak.csv"
    leaked.write_text((home / "home" / ".aws" / "credentials").read_text())
    fields = {} if column is None else {"column": column}
    for kind in ("timestamps", "counts"):
        message = error(trace(leaked, kind=kind, **fields))
        assert SECRET not in message and "aws_secret" not in message
        assert "data row 1" in message or "not found (the file has 1 column)" in message


def test_pandas_parser_messages_are_not_passed_through(home):
    ragged = home / "project" / "traces" / "ragged.csv"
    ragged.write_text(f"t\n1.0\n2.0,{SECRET},x\n")
    message = error(trace(ragged))
    assert SECRET not in message
    assert "not a readable CSV at line 3" in message


def test_a_binary_trace_is_refused(home):
    binary = home / "project" / "traces" / "binary.csv"
    binary.write_bytes(b"t\n1.0\n\x00\x9f" + SECRET.encode())
    message = error(trace(binary))
    assert "binary" in message and SECRET not in message


def test_a_trace_larger_than_the_cap_is_refused_unread(home, monkeypatch):
    monkeypatch.setattr(traces, "MAX_TRACE_BYTES", 2**20)
    big = home / "project" / "traces" / "big.csv"
    big.write_text("t\n" + "1.0\n" * 300_000)
    assert "too large for a trace" in error(trace(big))


def test_unsorted_timestamps_are_refused_naming_the_row(home):
    unsorted = home / "project" / "traces" / "unsorted.csv"
    unsorted.write_text("t\n0.5\n3.0\n1.0\n4.0\n")
    message = error(trace(unsorted))
    assert "data row 3" in message and "must be sorted" in message
    dated = home / "project" / "traces" / "dated.csv"
    dated.write_text("when\n2024-05-01T12:00:00Z\n2024-05-01T13:00:00+02:00\n")  # 11:00Z
    assert "data row 2" in error(trace(dated))


@pytest.mark.parametrize(
    ("text", "kind", "phrase"),
    [("t\n0\n2000000000\n", "timestamps", "at most 1e+09 seconds"),
     ("when\n1990-01-01T00:00:00Z\n2024-01-01T00:00:00Z\n", "timestamps", "after the first"),
     ("n\n10\n100000000000\n", "counts", "requests in a minute")],
)  # fmt: skip
def test_trace_values_beyond_the_schema_are_refused(home, text, kind, phrase):
    file = home / "project" / "traces" / "far.csv"
    file.write_text(text)
    message = error(trace(file, kind=kind))
    assert phrase in message and "data row 2" in message


def test_traces_outside_the_allowed_folders_are_refused_alike(home):
    """Whether the file exists or not, the answer is the same: nothing is disclosed."""
    allowed = [home / "project" / "traces"]
    outside = [
        home / "home" / ".aws" / "credentials",  # exists
        home / "home" / ".aws" / "config.csv",  # does not
        home / "project" / "traces" / ".." / ".." / "home" / ".aws" / "credentials",
    ]
    messages = []
    for path in outside:
        messages.append(at(error(trace(path), trace_dirs=allowed), "traffic.path"))
    assert all("outside the folders traces may be read from" in m for m in messages)
    assert SECRET not in "".join(messages)
    assert not any("not found" in m or ".csv file" in m for m in messages)


def test_a_symlink_out_of_the_allowed_folder_is_refused(home):
    link = home / "project" / "traces" / "innocent.csv"
    target = home / "home" / "secret.csv"
    target.write_text(f"t\n{SECRET}\n")
    os.symlink(target, link)
    message = error(trace(link), trace_dirs=[home / "project" / "traces"])
    assert "outside the folders" in message and SECRET not in message


def test_a_relative_trace_inside_the_allowed_folder_is_read(home):
    scenario = home / "project" / "replay.yaml"
    scenario.write_text("duration: 60\ntraffic: {pattern: trace, path: traces/ok.csv}\n")
    sc = load_scenario(scenario, trace_dirs=[home / "project" / "traces"])
    assert Path(sc.traffic.path) == (home / "project" / "traces" / "ok.csv").resolve()
    with pytest.raises(ScenarioError, match="outside the folders"):
        load_scenario(scenario, trace_dirs=[home / "home"])


def test_a_scenario_object_is_checked_again_against_the_allowed_folders(home):
    sc = load_scenario(trace(home / "project" / "traces" / "ok.csv"))  # anywhere: the CLI
    assert load_scenario(sc) is sc
    assert "outside the folders" in error(sc, trace_dirs=[home / "home"])


# ---------------------------------------------------------------- userfiles on its own


def test_read_text_refuses_what_is_not_a_small_utf8_file(tmp_path):
    with pytest.raises(InputError, match="No such file"):
        userfiles.read_text(tmp_path / "missing.yaml", "scenario")
    with pytest.raises(InputError, match="not a regular file"):
        userfiles.read_text(tmp_path, "scenario")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        userfiles.read_text(fifo, "scenario")  # opening it would block
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a" * 2000)
    with pytest.raises(InputError, match="too large"):
        userfiles.read_text(big, "scenario", limit=1000)
    assert userfiles.read_text(big, "scenario", limit=2000) == "a" * 2000


def test_decode():
    assert userfiles.decode("é\n".encode(), "x") == "é\n"
    assert userfiles.decode(b"\xef\xbb\xbfa", "x") == "a"
    with pytest.raises(InputError, match=r"x: not UTF-8 text \(line 2, byte 3\)"):
        userfiles.decode(b"a\nb\xe9", "x")
    with pytest.raises(InputError, match="binary"):
        userfiles.decode(b"a\x00b", "x")
    with pytest.raises(InputError, match="too large"):
        userfiles.decode(b"abc", "x", limit=2)


def test_load_yaml_documents():
    assert userfiles.load_yaml_documents("a: 1\n---\nb: 2\n", "k") == [{"a": 1}, {"b": 2}]
    assert userfiles.load_yaml("", "k") is None
    with pytest.raises(InputError, match="expected one YAML document, found 2"):
        userfiles.load_yaml("a: 1\n---\nb: 2\n", "k")
    with pytest.raises(InputError, match="inside its own anchor"):
        userfiles.load_yaml("a: &a [1, *a]\n", "k")
    with pytest.raises(InputError, match="python/object"):
        userfiles.load_yaml("a: !!python/object:os.system x\n", "k")
    with pytest.raises(InputError, match="control characters"):
        userfiles.load_yaml("a: \x01\n", "k")


def test_alias_counting_is_exact_at_the_limit(monkeypatch):
    monkeypatch.setattr(userfiles, "MAX_VALUES", 16)
    # the mapping, its two keys, a (the list and 3 numbers), b (the list and a twice): 16
    text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
    assert userfiles.load_yaml(text, "k") == {"a": [1, 2, 3], "b": [[1, 2, 3]] * 2}
    with pytest.raises(InputError, match="expands to more than 16 values"):
        userfiles.load_yaml(text + "c: 1\n", "k")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [('{"a": 1, "a": 2}', "duplicate key 'a'"), ('{"a": NaN}', "NaN is not a JSON number"),
     ('{"a": 1e400}', "too large for a float"), ('{"a": ' + "9" * 5000 + "}", "integer"),
     ("[" * 100 + "]" * 100, "nested more than 64"), ('{"a": }', "line 1, column 7")],
)  # fmt: skip
def test_load_json_refuses(text, phrase):
    with pytest.raises(InputError, match=phrase):
        userfiles.load_json(text, "j")


def test_load_json_reads_json():
    assert userfiles.load_json('{"a": [1, 2.5, null, "x"]}', "j") == {"a": [1, 2.5, None, "x"]}


def test_brief_is_short_and_cut_while_built():
    assert brief("short") == "'short'"
    assert len(brief("x" * 10**7)) <= 60
    assert len(brief(b"x" * 10**7)) <= 60
    assert brief(10**5000) == f"<{(10**5000).bit_length()}-bit int>"
    shared: list = []
    for _ in range(200):
        shared = [shared] * 9  # 9^200 leaves if printed whole
    start = time.perf_counter()
    assert len(brief(shared)) <= 60
    assert time.perf_counter() - start < 0.1
