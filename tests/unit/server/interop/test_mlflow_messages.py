"""The MLflow layer's pure parts: protobuf JSON values, the Run message, the calls it refuses,
and how a search is split between the store and the page's runs."""

from __future__ import annotations

import math

import pytest

from server.errors import (
    MlflowApiError,
    MlflowEndpointNotFound,
    MlflowMethodNotAllowed,
    MlflowNotSupported,
)
from server.interop.mlflow_api import calls, messages, search
from server.interop.mlflow_api.filters import Comparison, OrderKey
from server.runs.tracked import MetricPoint, TrackedRun


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1, 1.0), (0.5, 0.5), ("2.5", 2.5), ("NaN", math.nan), ("-Infinity", -math.inf)],
)
def test_doubles_as_protobuf_json_sends_them(raw: object, expected: float) -> None:
    got = messages.double(raw, "m")
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


@pytest.mark.parametrize("raw", ["abc", None, True, [1], {"v": 1}])
def test_a_metric_that_is_not_a_number_is_refused(raw: object) -> None:
    with pytest.raises(MlflowApiError, match="metric 'm' has the value .* not a number"):
        messages.double(raw, "m")


def test_int64_fields_take_numbers_and_decimal_strings() -> None:
    assert messages.int64("1700000000000", "t") == 1700000000000
    assert messages.int64(None, "t", 7) == 7
    assert messages.int64(3.0, "t") == 3
    for bad in ("1.5", "²", True, "x"):
        with pytest.raises(MlflowApiError, match="must be an integer"):
            messages.int64(bad, "t")


def test_times_and_special_numbers_on_the_way_out() -> None:
    assert messages.millis(messages.iso(1700000000123)) == 1700000000123
    assert messages.millis("2023-11-14T22:13:20Z") == 1700000000000
    assert [messages.number(v) for v in (math.nan, math.inf, -math.inf, 1.5)] == [
        "NaN",
        "Infinity",
        "-Infinity",
        1.5,
    ]
    with pytest.raises(MlflowApiError, match="out of range"):
        messages.iso(10**20)


def test_a_tracked_run_as_mlflow_run() -> None:
    run = TrackedRun(
        run_id="a" * 32,
        experiment="Demo",
        experiment_id="demo",
        name="first",
        status="succeeded",
        started_at="2023-11-14T22:13:20+00:00",
        ended_at="2023-11-14T22:13:21+00:00",
        params={"lr": "0.1"},
        tags={"mlflow.user": "ann"},
        metrics={
            "loss": [MetricPoint("loss", 0.9, 0, 1), MetricPoint("loss", 0.4, 2, 3)],
            "acc": [MetricPoint("acc", math.nan, 0, 5)],
        },
        deleted=True,
    )
    body = messages.run_json(run, "demo", "mlflow-artifacts:/demo/x/artifacts")
    assert body["info"] == {
        "run_id": "a" * 32,
        "run_uuid": "a" * 32,
        "run_name": "first",
        "experiment_id": "demo",
        "user_id": "ann",
        "status": "FINISHED",
        "start_time": 1700000000000,
        "end_time": 1700000001000,
        "artifact_uri": "mlflow-artifacts:/demo/x/artifacts",
        "lifecycle_stage": "deleted",
    }
    metrics = {m["key"]: (m["value"], m["step"]) for m in body["data"]["metrics"]}
    assert metrics == {"loss": (0.4, 2), "acc": ("NaN", 0)}
    assert {"key": "mlflow.runName", "value": "first"} in body["data"]["tags"]


def test_refusals_name_the_call_and_what_to_use() -> None:
    registry = calls.refusal("POST", "/api/2.0/mlflow/registered-models/create")
    assert isinstance(registry, MlflowNotSupported) and registry.status == 501
    assert "POST /api/2.0/mlflow/registered-models/create is not supported" in str(registry)
    assert "/api/models" in str(registry)
    traces = calls.refusal("GET", "/api/3.0/mlflow/traces/x")
    assert isinstance(traces, MlflowNotSupported) and "supported calls" in str(traces)
    unknown = calls.refusal("GET", "/api/2.0/mlflow/whatever")
    assert isinstance(unknown, MlflowEndpointNotFound) and unknown.status == 404
    wrong = calls.refusal("GET", "/ajax-api/2.0/mlflow/runs/log-batch")
    assert isinstance(wrong, MlflowMethodNotAllowed) and wrong.headers == {"Allow": "POST"}
    files = calls.refusal("DELETE", f"{calls.ARTIFACTS}/e/r/artifacts/x")
    assert isinstance(files, MlflowMethodNotAllowed) and files.headers == {"Allow": "GET, PUT"}


def test_page_tokens_round_trip_and_foreign_ones_are_400s() -> None:
    assert search.read_page_token(search.page_token(40)) == 40
    assert search.read_page_token(None) == 0
    for bad in ("garbage", search.page_token(-1), "eyJ4IjogMX0="):
        with pytest.raises(MlflowApiError, match="invalid page_token"):
            search.read_page_token(bad)
    with pytest.raises(MlflowApiError, match="out of range"):
        search.max_results(0)


def test_the_store_gets_what_it_decides_exactly() -> None:
    query = search.RunSearch(
        experiment_ids=["a", "b"],
        comparisons=[
            Comparison("metrics", "acc", ">", 0.5),
            Comparison("params", "lr", "=", "0.1"),
            Comparison("params", "lr", "!=", "0.2"),
            Comparison("tags", "team", "=", "x"),
            Comparison("attributes", "status", "=", "FINISHED"),
            Comparison("metrics", "loss", "=", math.nan),
        ],
        order=[],
        view_type="ACTIVE_ONLY",
        max_results=10,
        offset=0,
    )
    shared = [("metrics.acc", ">", 0.5), ("params.lr", "=", "0.1"), ("status", "=", "succeeded")]
    assert search._store_groups(query) == [
        [("experiment", "=", "a"), *shared],
        [("experiment", "=", "b"), *shared],
    ]


@pytest.mark.parametrize(
    ("order", "sort"),
    [
        ([], None),
        ([OrderKey("metrics", "acc", False)], "-metrics.acc"),
        ([OrderKey("params", "lr", True)], "params.lr"),
        ([OrderKey("attributes", "start_time", False)], "-started"),
        (
            [OrderKey("metrics", "acc", True), OrderKey("attributes", "start_time", False)],
            "metrics.acc",
        ),
    ],
)
def test_order_by_as_the_run_list_sort(order: list[OrderKey], sort: str | None) -> None:
    assert search._sort(order) == sort


def test_order_by_keys_the_store_cannot_sort_are_sorted_here() -> None:
    assert search._order_here([OrderKey("tags", "team", True)]) == OrderKey("tags", "team", True)
    assert search._order_here([OrderKey("attributes", "run_name", False)]) is not None
    assert search._order_here([OrderKey("metrics", "acc", False)]) is None
    with pytest.raises(MlflowApiError, match="remove params.lr"):
        search._order_here([OrderKey("tags", "t", True), OrderKey("params", "lr", True)])
    with pytest.raises(MlflowApiError, match="remove params.lr"):
        search._sort([OrderKey("metrics", "acc", True), OrderKey("params", "lr", True)])
