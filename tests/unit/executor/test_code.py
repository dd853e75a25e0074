"""The code phase: the author's function from a code bundle, its inputs, what it returns, and
each way a code step's declaration or code can be wrong (nothing stored then)."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import joblib
import pytest

from executor.artifacts import read_dataset, read_json
from executor.contract import ArtifactRef, BundleError, check_bundle, store_artifact
from executor.errors import CodeError
from tests.unit.executor.conftest import CLASSIFICATION, Steps

FEATURES = """
def add_ratio(dataset, params):
    frame = dataset.copy()
    frame["petal_ratio"] = frame["petal length (cm)"] / frame["petal width (cm)"] * params["scale"]
    return frame
"""

MODEL = """
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

def fit(splits, params):
    model = make_pipeline(splits["preprocessor"], DecisionTreeClassifier(random_state=0))
    train = splits["train"]
    return model.fit(train[splits["feature_columns"]], train[splits["target"]])
"""

REPORT = """
def score(model, splits):
    test = splits["test"]
    predicted = model.predict(test[splits["feature_columns"]])
    return {"hits": float((predicted == test[splits["target"]]).mean()), "rows": len(test)}
"""

ODD = """
def one_argument(frame):
    return frame

def returns_list(dataset):
    return [1, 2]

def raises(dataset):
    raise ValueError("column 'x' has negative values")

def not_fitted(splits):
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression()

class Mine:
    def fit(self, x, y):
        return self

    def predict(self, x):
        return [0] * len(x)


def own_class(splits):
    return Mine()


def files(dataset):
    dataset.describe().to_csv("summary.csv")
    return ["summary.csv"]
"""


def bundle(steps: Steps, files: dict[str, str]) -> ArtifactRef:
    """A code bundle holding ``files``, stored in the steps' artifact store."""
    path = steps.base / f"bundle-{len(list(steps.base.glob('bundle-*')))}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return store_artifact(steps.root, path, "application/zip")


def stored(steps: Steps) -> set[str]:
    return {p.name for p in steps.root.rglob("*") if p.is_file()}


def code(function: str, kind: str, **extra: object) -> dict[str, object]:
    return {**CLASSIFICATION, "function": function, "output_kind": kind, **extra}


def test_feature_step_returns_a_dataset_that_process_and_build_read(
    steps: Steps, iris_dataset: ArtifactRef
) -> None:
    code_ref = bundle(steps, {"features.py": FEATURES})
    params = code("features:add_ratio", "dataset", hyperparameters={"scale": 2.0})
    result = steps.ok("code", params, dataset=iris_dataset, code=code_ref)
    dataset = read_dataset(steps.path(result.outputs["dataset"]))
    assert "petal_ratio" in dataset.frame.columns
    assert dataset.target_column == "target"  # kept from the input, so process needs nothing
    assert result.parameters["code_bundle"] == code_ref.sha256
    assert result.summary["code_function"] == "features:add_ratio"
    splits = steps.output("process", CLASSIFICATION, dataset=result.outputs["dataset"])
    build = {**CLASSIFICATION, "estimator": "LogisticRegression", "model_name": "iris"}
    model = steps.output("build", build, splits=splits)
    bundle_ = joblib.load(steps.path(model))
    assert "petal_ratio" in bundle_["feature_columns"]


def test_model_step_in_place_of_build_is_validated(steps: Steps, iris_splits: ArtifactRef) -> None:
    code_ref = bundle(steps, {"custom/__init__.py": "", "custom/model.py": MODEL})
    result = steps.ok("code", code("custom.model:fit", "model"), splits=iris_splits, code=code_ref)
    assert result.summary["estimator"] == "DecisionTreeClassifier"  # the last step
    report = steps.ok("validate", CLASSIFICATION, model=result.outputs["model"], splits=iris_splits)
    assert report.metrics["accuracy"] > 0.8


def test_report_step_records_its_metrics(
    steps: Steps, iris_model: ArtifactRef, iris_splits: ArtifactRef
) -> None:
    code_ref = bundle(steps, {"report.py": REPORT})
    result = steps.ok(
        "code", code("report:score", "report"), model=iris_model, splits=iris_splits, code=code_ref
    )
    assert result.metrics["rows"] == 38.0 and 0.8 < result.metrics["hits"] <= 1.0
    assert read_json(steps.path(result.outputs["report"]))["metrics"] == result.metrics


def test_script_and_files(steps: Steps, iris_dataset: ArtifactRef) -> None:
    code_ref = bundle(steps, {"steps/odd.py": ODD})
    params = {
        **CLASSIFICATION,
        "script": "steps/odd.py",
        "function": "files",
        "output_kind": "files",
    }
    result = steps.ok("code", params, dataset=iris_dataset, code=code_ref)
    with zipfile.ZipFile(steps.path(result.outputs["files"])) as archive:
        assert archive.namelist() == ["summary.csv"]


WRONG = [
    (
        code("missing:add_ratio", "dataset"),
        r"module 'missing' of ol:function is not in the code bundle.*add the file",
    ),
    (
        code("odd:absent", "dataset"),
        r"has no function 'absent' \(it defines: files, not_fitted, one_argument, own_class, "
        r"raises, returns_list\); define it",
    ),
    (
        code("odd:one_argument", "dataset"),
        r"cannot take the step's inputs.*define it as def one_argument\(dataset, params\)",
    ),
    (
        code("odd:returns_list", "dataset"),
        r"returned list, but this code step's ol:outputKind is 'dataset', which takes a pandas "
        "DataFrame; return",
    ),
    (code("odd:not_fitted", "model"), r"returned a model that is not fitted; call fit"),
    (
        code("odd:own_class", "model"),
        r"holding classes from the code bundle \(odd\).*build it from installed libraries",
    ),
    (
        {**CLASSIFICATION, "script": "nowhere.py", "output_kind": "dataset"},
        r"ol:script 'nowhere.py' is not in the code bundle",
    ),
    ({**CLASSIFICATION, "output_kind": "dataset"}, r'needs ol:function "module:function"'),
    (
        code("odd:returns_list", "dataset", requirement=["pandas>=1", "surely-absent-pkg>=1"]),
        r"not met where it runs: surely-absent-pkg>=1 \(not installed\); install them",
    ),
    (
        code("odd:returns_list", "dataset", requirement=["pandas<1"]),
        r"not met where it runs: pandas<1 \(found [0-9.]+\)",
    ),
]


@pytest.mark.parametrize(("params", "message"), WRONG)
def test_a_wrong_declaration_or_function_fails_clearly_and_stores_nothing(
    steps: Steps, iris_dataset: ArtifactRef, iris_splits: ArtifactRef, params: dict, message: str
) -> None:
    code_ref = bundle(steps, {"odd.py": ODD})
    before = stored(steps)
    inputs = (
        {"splits": iris_splits} if params["output_kind"] == "model" else {"dataset": iris_dataset}
    )
    with pytest.raises(CodeError, match=message):
        steps.call("code", params, code=code_ref, **inputs)
    result = steps.run("code", params, code=code_ref, **inputs)
    assert result.status == "failed" and result.error and result.error.type == "CodeError"
    assert not result.outputs
    assert stored(steps) == before
    assert "odd" not in sys.modules  # the author's module is forgotten after the call


def test_a_raising_function_fails_with_its_traceback_in_the_log(
    steps: Steps, iris_dataset: ArtifactRef, capfd: pytest.CaptureFixture[str]
) -> None:
    code_ref = bundle(steps, {"odd.py": ODD})
    before = stored(steps)
    result = steps.run("code", code("odd:raises", "dataset"), dataset=iris_dataset, code=code_ref)
    assert result.status == "failed" and result.error is not None
    assert (result.error.type, result.error.message) == (
        "ValueError",
        "column 'x' has negative values",
    )
    log = capfd.readouterr().err
    assert "Traceback" in log and 'odd.py", line 9, in raises' in log
    assert stored(steps) == before


def test_a_code_step_without_a_bundle_is_refused(steps: Steps, iris_dataset: ArtifactRef) -> None:
    with pytest.raises(CodeError, match="was given no code bundle; put the code folder"):
        steps.call("code", code("odd:raises", "dataset"), dataset=iris_dataset)


def zipped(entries: dict[str, str], link: str | None = None) -> io.BytesIO:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    data.seek(0)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (zipped({"../evil.py": ""}), r"leaves its folder; remove it"),
        (zipped({"/abs.py": ""}), r"absolute path '/abs.py'; zip relative paths"),
        (zipped({"ok.py": ""}, link="link.py"), r"symbolic link 'link.py'; replace it"),
        (io.BytesIO(b"not a zip"), r"not a readable zip .*; send a .zip file"),
    ],
)
def test_unsafe_bundles_are_refused_before_unpacking(
    tmp_path: Path, data: io.BytesIO, message: str
) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(data.getvalue())
    with pytest.raises(BundleError, match=message):
        check_bundle(path)


def test_bundle_limits(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(zipped({f"m{i}.py": "x = 1\n" for i in range(5)}).getvalue())
    with pytest.raises(BundleError, match="holds 5 entries, more than 4; leave data"):
        check_bundle(path, max_files=4)
    with pytest.raises(BundleError, match="more than 10; leave data"):
        check_bundle(path, max_bytes=10)
    assert len(check_bundle(path)) == 5
