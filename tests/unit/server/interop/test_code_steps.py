"""Export of a custom code step: its bundle copied in and its function called as the executor
calls it (a container step's export: test_container_steps.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from server.definitions.code_bundles import zip_folder
from server.errors import ExportError
from server.interop import assemble
from server.interop.generators import ExportContext, generate
from server.interop.run_facts import RunFacts, StepFacts
from server.interop.templates import code as template_code
from server.tracking.artifacts import ArtifactStore

FEATURES = "def add(dataset, params):\n    return dataset.assign(y=dataset['x'] * params['k'])\n"


@pytest.fixture
def store(tmp_path: Path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


def bundle(store: ArtifactStore, tmp_path: Path, files: dict[str, str]) -> dict[str, Any]:
    folder = tmp_path / "code"
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    ref = store.put(zip_folder(folder, tmp_path / "code.zip"), "application/zip")
    return {"sha256": ref.sha256, "size": ref.size}


def code_step(code: dict[str, Any] | None, **parameters: Any) -> StepFacts:
    given = {"function": "features:add", "output_kind": "model", **parameters}
    return StepFacts(
        "features",
        "code",
        given,
        {"splits": "process"},
        code_bundle=code,
        requirements=("lightgbm>=4",),
    )


def context(store: ArtifactStore, *steps: StepFacts) -> ExportContext:
    run = RunFacts("0123456789abcdef", "succeeded", "demo", 1, "classification", steps)
    return ExportContext(run, store, {s.id: f"step_{s.id}" for s in steps})


def test_a_code_step_copies_its_bundle_and_declares_its_requirements(
    store: ArtifactStore, tmp_path: Path
) -> None:
    code = bundle(store, tmp_path, {"features.py": FEATURES, "lib/util.py": "X = 1\n"})
    step = code_step(code, hyperparameters={"k": 2})
    found = generate(context(store, step), step)
    assert found.files["code/features.py"] == FEATURES.encode()
    assert found.files["code/lib/util.py"] == b"X = 1\n"
    listed = {e["path"]: e for e in found.manifest}
    assert listed["code/features.py"]["sha256"] == hashlib.sha256(FEATURES.encode()).hexdigest()
    assert found.parameters["hyperparameters"] == {"k": 2}
    assert found.parameters["code_bundle"] == code["sha256"]
    assert "call_code('features', params, {'splits': splits})" in found.function
    run = context(store, step).run
    assert "# What the run's steps declared besides.\nlightgbm>=4\n" in assemble.requirements(
        run, found.requirements
    )


def test_a_dataset_code_step_is_checked_against_the_table_the_run_stored(
    store: ArtifactStore, tmp_path: Path
) -> None:
    code = bundle(store, tmp_path, {"features.py": FEATURES})
    (tmp_path / "t.parquet").write_bytes(b"table")
    table = store.put(tmp_path / "t.parquet", "application/vnd.apache.parquet")
    stored = {"sha256": table.sha256, "size": table.size, "media_type": table.media_type}
    step = StepFacts(
        "features",
        "code",
        {"function": "features:add", "output_kind": "dataset", "target_column": "y"},
        {"dataset": "extract"},
        artifacts={"dataset": stored},
        code_bundle=code,
    )
    found = generate(context(store, step), step)
    assert found.expected == {"table": "data/features.parquet"}
    assert found.parameters["target_column"] == "y"
    assert "return as_stored(call_code(" in found.function


def test_a_run_that_recorded_no_bundle_is_refused_with_the_fix(store: ArtifactStore) -> None:
    step = code_step(None)
    with pytest.raises(ExportError, match="recorded no code bundle for code step 'features'"):
        generate(context(store, step), step)


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"function": "pipeline:make"}, "export's own pipeline.py would shadow that module"),
        ({"function": "os.path"}, "names ol:function .* is not module:ClassName"),
        ({"function": "", "script": "../outside.py"}, "not a .py file inside its code folder"),
        ({"output_kind": "picture"}, "names output kind 'picture', not one of dataset"),
    ],
)
def test_a_code_step_export_cannot_call_is_refused_naming_it(
    store: ArtifactStore, tmp_path: Path, parameters: dict[str, Any], message: str
) -> None:
    step = code_step(bundle(store, tmp_path, {"features.py": FEATURES}), **parameters)
    with pytest.raises(ExportError, match=message) as refused:
        generate(context(store, step), step)
    assert refused.value.status == 409
    assert "step 'features'" in str(refused.value)


@pytest.fixture
def code_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "export" / "code"
    folder.mkdir(parents=True)
    monkeypatch.setattr(template_code, "CODE", folder)
    monkeypatch.setattr(template_code, "OUTPUTS", tmp_path / "export" / "outputs")
    return folder


def test_the_template_calls_as_the_executor_does(code_folder: Path) -> None:
    (code_folder / "steps.py").write_text(
        "def plain(dataset):\n"
        "    dataset['x'] = 0\n"  # a step's own copy: the caller's table is untouched
        "    __import__('pathlib').Path('note.txt').write_text('hi')\n"  # in its workdir
        "    return {'n': len(dataset), 'nan': float('nan')}\n"
        "def keywords(**given):\n"
        "    return {'kinds': len(given), 'k': given['params']['k']}\n"
    )
    frame = pd.DataFrame({"x": [1, 2, 3]})
    params = {"function": "steps:plain", "output_kind": "report", "hyperparameters": {"k": 2}}
    found = template_code.call_code("plain", params, {"dataset": frame})
    assert found == {"metrics": {"n": 3.0}}  # undefined metrics left out, as in the run
    assert frame["x"].tolist() == [1, 2, 3]
    assert (template_code.OUTPUTS / "plain" / "note.txt").read_text() == "hi"
    params["function"] = "steps:keywords"
    found = template_code.call_code("kw", params, {"dataset": frame})
    assert found == {"metrics": {"kinds": 2.0, "k": 2.0}}  # **kwargs gets params, as in a run
    assert "steps" not in __import__("sys").modules  # forgotten, as each step's process did


def test_the_template_merges_splits_and_copies_returned_files(code_folder: Path) -> None:
    (code_folder / "steps.py").write_text(
        "from pathlib import Path\n"
        "def more(splits):\n"
        "    return {'train': splits['train'].head(1)}\n"
        "def write():\n"
        "    Path('out').mkdir()\n"
        "    Path('out/a.txt').write_text('a')\n"
        "    return ['out']\n"
    )
    splits = {"train": pd.DataFrame({"x": [1, 2]}), "test": pd.DataFrame({"x": [3]})}
    params = {"function": "steps:more", "output_kind": "splits", "hyperparameters": {}}
    merged = template_code.call_code("more", params, {"splits": splits})
    assert len(merged["train"]) == 1 and merged["test"] is splits["test"]
    params |= {"function": "steps:write", "output_kind": "files"}
    folder = template_code.call_code("write", params, {})
    assert (folder / "out" / "a.txt").read_text() == "a"


def test_a_script_is_run_without_its_main_block_and_its_main_called(code_folder: Path) -> None:
    (code_folder / "job.py").write_text(
        "def main(dataset):\n"
        "    return dataset.assign(z=1)\n"
        "if __name__ == '__main__':\n"
        "    raise SystemExit('the main block ran')\n"
    )
    params = {"function": None, "script": "job.py", "output_kind": "dataset", "hyperparameters": {}}
    found = template_code.call_code("job", params, {"dataset": pd.DataFrame({"x": [1]})})
    assert found.columns.tolist() == ["x", "z"]


def test_a_report_input_is_the_report_the_run_stored(store: ArtifactStore, tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text('{"metrics": {"f1": 0.5}}\n')
    report = store.put(tmp_path / "report.json", "application/json")
    stored = {"sha256": report.sha256, "size": report.size, "media_type": report.media_type}
    validate = StepFacts("validate", "validate", {}, {}, artifacts={"report": stored})
    code = bundle(store, tmp_path, {"features.py": FEATURES})
    step = StepFacts(
        "summary",
        "code",
        {"function": "features:add", "output_kind": "report"},
        {"report": "validate"},
        metrics={"f1_doubled": 1.0},
        code_bundle=code,
    )
    found = generate(context(store, validate, step), step)
    assert found.files["data/validate-report.json"] == store.path(report.sha256)
    assert "{'report': json.loads((HERE / 'data/validate-report.json')" in found.function
    assert found.expected == {"metrics": {"f1_doubled": 1.0}}
    assert {e["kind"] for e in found.manifest} == {"code", "report"}
