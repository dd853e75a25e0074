"""MLflow's search syntax: filter strings and order_by read into comparisons and sort keys."""

from __future__ import annotations

import math

import pytest

from server.errors import SearchSyntaxError
from server.interop.mlflow_api.filters import (
    Comparison,
    OrderKey,
    holds,
    like,
    parse_filter,
    parse_order_by,
    tokenize,
)


def test_an_empty_filter_is_no_condition() -> None:
    assert parse_filter(None) == [] and parse_filter("  ") == []


def test_comparisons_of_every_kind_joined_by_and() -> None:
    text = (
        "metrics.acc > 0.9 AND params.lr = '0.01' and tags.team LIKE 'ml-%' "
        "AND attributes.status != 'FAILED' AND metric.loss <= -1.5e-3"
    )
    assert parse_filter(text) == [
        Comparison("metrics", "acc", ">", 0.9),
        Comparison("params", "lr", "=", "0.01"),
        Comparison("tags", "team", "LIKE", "ml-%"),
        Comparison("attributes", "status", "!=", "FAILED"),
        Comparison("metrics", "loss", "<=", -1.5e-3),
    ]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("tags.\"mlflow.runName\" = 'a'", "mlflow.runName"),
        ("tags.`mlflow.runName` = 'a'", "mlflow.runName"),
        ("tags.mlflow.runName = 'a'", "mlflow.runName"),
        ("params.\"learning rate\" = 'a'", "learning rate"),
        ("params.in = 'a'", "in"),
    ],
)
def test_keys_quoted_or_dotted(text: str, key: str) -> None:
    assert parse_filter(text)[0].key == key


def test_bare_attributes_and_aliases() -> None:
    assert parse_filter("status = 'RUNNING'") == [
        Comparison("attributes", "status", "=", "RUNNING")
    ]
    assert parse_filter("attributes.run_name ILIKE '%Tune%'")[0].key == "run_name"
    assert parse_filter("attr.start_time >= 1700000000000")[0] == Comparison(
        "attributes", "start_time", ">=", 1.7e12
    )
    assert parse_filter("attributes.run_id IN ('a', \"b\")")[0] == Comparison(
        "attributes", "run_id", "IN", ("a", "b")
    )
    assert parse_filter("attributes.run_id NOT IN ('a')")[0].op == "NOT IN"


def test_strings_keep_quotes_and_keywords_inside() -> None:
    found = parse_filter("params.note = 'it''s AND OR done'")
    assert found == [Comparison("params", "note", "=", "it's AND OR done")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics.acc > 0.9 OR metrics.acc < 0.1", "OR is not supported"),
        ("metrics.acc > 'high'", "compares with a number"),
        ("params.lr = 0.01", "compares with a quoted string"),
        ("params.lr > '1'", "cannot be compared with >"),
        ("metrics.acc LIKE '1%'", "cannot be compared with LIKE"),
        ("metrics.acc >", "ends too early"),
        ("foo.acc = 1", "unknown kind 'foo'"),
        ("attributes.color = 'red'", "unknown run attribute 'color'"),
        ("metrics.acc > 0.9 metrics.b < 1", "expected AND"),
        ("params.x = 'unclosed", "cannot read"),
        ("params.x IN ('a')", "cannot be compared with IN"),
        ("attributes.run_id IN 'a'", "IN takes a list"),
        ("metrics.acc ~ 1", "cannot read"),
    ],
)
def test_malformed_filters_are_clear_400s(text: str, message: str) -> None:
    with pytest.raises(SearchSyntaxError, match=message) as raised:
        parse_filter(text)
    assert raised.value.status == 400
    assert raised.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "write e.g." in str(raised.value) or "quote strings with" in str(raised.value)


def test_order_by() -> None:
    assert parse_order_by(["metrics.acc DESC", "params.lr", "attributes.start_time asc"]) == [
        OrderKey("metrics", "acc", False),
        OrderKey("params", "lr", True),
        OrderKey("attributes", "start_time", True),
    ]
    assert parse_order_by(['metrics."val loss" DESC'])[0].key == "val loss"
    assert parse_order_by(None) == []


@pytest.mark.parametrize(
    ("clause", "message"),
    [
        ("metrics.acc DOWN", "expected ASC or DESC"),
        ("metrics.acc DESC extra", "one key per clause"),
        ("", "empty clause"),
        ("colour DESC", "unknown run attribute"),
    ],
)
def test_malformed_order_by(clause: str, message: str) -> None:
    with pytest.raises(SearchSyntaxError, match=message):
        parse_order_by([clause])


def test_tokens_carry_positions() -> None:
    tokens = tokenize("metrics.a >= 2")
    assert [(t.kind, t.text, t.at) for t in tokens] == [
        ("word", "metrics", 0),
        ("punct", ".", 7),
        ("word", "a", 8),
        ("op", ">=", 10),
        ("number", "2", 13),
    ]


def test_like_and_holds() -> None:
    assert like("ml-%", "ml-team") and not like("ml-%", "ML-team")
    assert like("ml-%", "ML-team", ignore_case=True)
    assert like("a_c", "abc") and not like("a_c", "abbc") and like("a.c", "a.c")
    assert holds(Comparison("metrics", "acc", ">", 0.5), 0.9)
    assert not holds(Comparison("metrics", "acc", "!=", 0.5), None)  # lacking never matches
    assert not holds(Comparison("metrics", "acc", ">", 0.5), math.nan)
    assert holds(Comparison("params", "lr", "!=", "1"), "2")
    assert holds(Comparison("attributes", "run_id", "NOT IN", ("a",)), "b")
