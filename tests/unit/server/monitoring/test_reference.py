"""The reference profile a build stores beside its model: the artifact, its triples, and
loading it for a registered model version (and the answer for a model built without one)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from executor.contract import StepResult
from executor.standalone.reference import REFERENCE_FORMAT, reference_profile
from server import definitions
from server.errors import ReferenceProfileMissing
from server.graph.namespaces import run_iri
from server.monitoring.drift import compute_drift
from server.monitoring.reference import load_reference_profile
from server.platform import Platform, open_platform
from server.registry.model import ModelVersion
from server.settings import Settings
from server.tracking.records import RunRecord

ROOT = Path(__file__).resolve().parents[4]
MODEL = "breast-cancer-classifier"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, RunRecord]]:
    settings = Settings.load({"data": tmp_path_factory.mktemp("reference") / "data"}, environ={})
    platform = open_platform(settings, serve_deployments=False)
    text = (ROOT / "examples" / "breast_cancer.ttl").read_text()
    version = definitions.submit(platform.store, definitions.parse(text)).version
    record = platform.runs.run(version)
    assert record.status == "succeeded", record.error
    yield platform, record
    platform.close()


@pytest.fixture(scope="module")
def build_result(built: tuple[Platform, RunRecord]) -> StepResult:
    """What the build step of the run gave."""
    result = built[1].steps["build"].result
    assert result is not None
    return result


def version_of(platform: Platform) -> ModelVersion:
    return platform.registry.model(MODEL).latest


def test_the_build_stores_a_reference_profile_of_its_training_rows(
    built: tuple[Platform, RunRecord], build_result: StepResult
) -> None:
    platform, _ = built
    ref = build_result.outputs["reference_profile"]
    assert ref.media_type == "application/json"
    profile = json.loads(platform.artifacts.path(ref.sha256).read_text())
    assert profile["format"] == REFERENCE_FORMAT
    assert set(profile["features"]) == set(build_result.summary["feature_columns"])
    assert 0 < profile["rows"] < 569  # the training split of breast_cancer's 569 rows
    feature = profile["features"]["mean radius"]
    assert feature["kind"] == "numeric"
    assert len(feature["counts"]) == len(feature["edges"]) + 1 == 20
    assert sum(feature["counts"]) + feature["missing"] == profile["rows"]


def test_the_graph_describes_the_profile_beside_the_model(
    built: tuple[Platform, RunRecord], build_result: StepResult
) -> None:
    platform, record = built
    rows = platform.store.select(
        f"""PREFIX ol: <https://w3id.org/ontolab/ns#>
        SELECT ?profile ?sha256 WHERE {{ GRAPH <{run_iri(record.run_id)}> {{
          ?model a ol:Model ; ol:hasReferenceProfile ?profile .
          ?profile a ol:ReferenceProfile , ol:Artifact ; ol:sha256 ?sha256 ;
                   ol:artifactKind "reference_profile" .
        }} }}"""
    )
    assert [str(r["sha256"]) for r in rows] == [build_result.outputs["reference_profile"].sha256]
    assert str(rows[0]["profile"]).endswith("/output/build/reference_profile")


def test_serving_loads_the_profile_of_a_model_version(built: tuple[Platform, RunRecord]) -> None:
    platform, record = built
    profile = load_reference_profile(platform.store, platform.artifacts, version_of(platform))
    assert profile["format"] == REFERENCE_FORMAT
    window = pd.DataFrame(
        {name: np.zeros(5) for name in profile["features"]}  # all zeros: far from training
    )
    assert compute_drift(profile, window).verdict == "drift"


def test_a_model_built_without_a_profile_gets_a_clear_answer(
    built: tuple[Platform, RunRecord],
) -> None:
    platform, _ = built
    older = replace(version_of(platform), artifact=version_of(platform).artifact + "-old")
    with pytest.raises(ReferenceProfileMissing, match="no reference profile .* re-run the build"):
        load_reference_profile(platform.store, platform.artifacts, older)
    assert ReferenceProfileMissing.status == 404


def test_the_profile_handles_mixed_kinds_and_missing_values() -> None:
    frame = pd.DataFrame(
        {
            "n": [1.0, 2.0, np.nan, 4.0, np.inf],
            "flag": [True, False, True, True, False],
            "colour": ["red", None, "blue", "red", "green"],
            "when": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-04", "2024-01-05"]),
        }
    )
    profile = reference_profile(frame, top=2)
    features = profile["features"]
    assert features["n"]["missing"] == 1 and features["n"]["missing_rate"] == 0.2
    assert sum(features["n"]["counts"]) == 4  # the infinity sits in the open top bin
    assert features["flag"]["kind"] == "categorical"
    assert features["colour"]["categories"] == ["red", "blue"]
    assert features["colour"]["counts"] == [2, 1, 1]  # the last one is "other" (green)
    assert features["when"]["kind"] == "numeric"
    json.dumps(profile, allow_nan=False)  # strict JSON, as the build writes it
