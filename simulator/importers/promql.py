r"""What a Prometheus query in an analysis measures, and its condition as a deploysim check.

A gate needs to know which of the release's metrics a query stands for. Read from the
query itself, never from its metric's name:

- a ratio whose numerator selects server errors with a status-code label (`code`,
  `status`, `response_code`, ...) matching the 5xx class (`5..`, `5.*`, `5.+`, `5xx`,
  `5\d\d`, `5[0-9]{2}`) measures the error rate; the same ratio with the matcher
  negated (`!~"5.*"`, as Argo's own success-rate example writes it) measures the success
  rate, 1 - the error rate; `1 - (...)` flips either, `* 100` makes it a percentage;
- a numerator named for errors or failures (`errors_total`, `failed_requests`) over a
  total measures the error rate, as before;
- `histogram_quantile(q, ...)` measures latency at q: p50, p95 or p99;
- anything else, and a count of errors that is not a share of requests, is refused with
  the query quoted.

A success-rate condition becomes a bound on the error rate (success >= 0.95 is an error
rate <= 0.05); strict conditions stay strict (the bound is the next float past the number).
"""

from __future__ import annotations

import re

from simulator.userfiles import brief

_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
CONDITION = re.compile(rf"^\s*result\[0\]\s*(<=|>=|<|>)\s*({_NUMBER})\s*$")
_QUANTILE = re.compile(rf"histogram_quantile\(\s*({_NUMBER})")
_MATCHER = re.compile(r'([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"([^"]*)"')
_CODE_LABELS = {"code", "status", "status_code", "response_code", "http_status", "http_code",
                "statuscode", "response_status", "http_response_code"}  # fmt: skip
_FIVE_XX = re.compile(r"5(?:\.\*|\.\+|\.\.|xx|XX|\\d\\d|\\d\{2\}|\[0-9\]\{2\}|\[0-9\]\[0-9\])")
_ERROR_WORDS = re.compile(r"error|fail", re.IGNORECASE)
_PERCENT = re.compile(r"\*\s*100\b|\b100\s*\*")
_QUANTILES = {0.5: "latency_p50", 0.95: "latency_p95", 0.99: "latency_p99"}
QUOTED = 200
"""Characters of a refused query shown in the message: enough to read it, never a file."""


def measures(query: str) -> tuple[str, bool, float]:
    """(metric, success, scale) of a query; ValueError when it measures nothing known.

    `success`: the query gives the share that succeeded; `scale`: 100 for a percentage.
    """
    q = " ".join(query.split())
    quantile = _QUANTILE.search(q)
    if quantile:
        level = float(quantile.group(1))
        if level not in _QUANTILES:
            raise ValueError(f"histogram_quantile({level:g}): deploysim measures p50, p95 and "
                             "p99")  # fmt: skip
        return _QUANTILES[level], False, 1.0
    flipped = bool(re.match(r"^\(?\s*1\s*-", q))
    body = re.sub(r"^\(?\s*1\s*-\s*", "", q) if flipped else q
    numerator = _numerator(body)
    if numerator is None:
        raise ValueError("not a share of requests (no ratio) nor a histogram_quantile")
    codes = [(op, value) for label, op, value in _MATCHER.findall(numerator)
             if label.lower() in _CODE_LABELS and _FIVE_XX.fullmatch(value)]  # fmt: skip
    if codes:
        success = codes[0][0] in ("!~", "!=")
    elif _ERROR_WORDS.search(numerator):
        success = False
    else:
        raise ValueError("the ratio's numerator selects no 5xx status code and names no errors")
    scale = 100.0 if _PERCENT.search(q) else 1.0
    return "error_rate", success != flipped, scale


def _numerator(query: str) -> str | None:
    """The part before the top-level division of a ratio, or None when there is none."""
    depth = 0
    for i, char in enumerate(query):
        depth += {"(": 1, ")": -1, "{": 1, "}": -1, "[": 1, "]": -1}.get(char, 0)
        if char == "/" and depth <= 1:
            return query[:i]
    return None


def check(query: str, key: str, condition: str, field: str, ctx) -> dict:
    """A gate check from a query and its successCondition or failureCondition (`key`)."""
    try:
        metric, success_rate, scale = measures(query)
    except ValueError as exc:
        ctx.fail(f"{field}.provider", f"cannot tell what the query measures ({exc}): "
                 f"{brief(query, QUOTED)}")  # fmt: skip
    match = CONDITION.match(condition)
    if not match:
        ctx.fail(f"{field}.{key}",
                 f"only 'result[0] OP number' is understood, got {brief(condition)}")  # fmt: skip
    op = match.group(1)
    number = ctx.number(float(match.group(2)), f"{field}.{key}") / scale
    if metric.startswith("latency") and "_ms" in query:
        number /= 1000.0
    if success_rate:  # a bound on successes is the opposite bound on errors
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
        number = round(1.0 - number, 12)
    if key == "successCondition":  # passes when the condition holds: fails on its negation
        bound, strict = {"<": ("max", True), "<=": ("max", False),
                         ">": ("min", True), ">=": ("min", False)}[op]  # fmt: skip
    else:  # fails when the condition holds
        bound, strict = {">": ("max", False), ">=": ("max", True),
                         "<": ("min", False), "<=": ("min", True)}[op]  # fmt: skip
    return {"metric": metric, bound: number} | ({"strict": True} if strict else {})
