"""Export to standalone code, end to end: every example (with its code folder when it has code
steps; an AutoML one as the build of its best trial) and an uploaded table with missing
values, a categorical column and a dropped column, are run, exported, installed in a fresh venv
made from the export's own requirements.txt, and checked with its verify.py; and the CLI's
refusals. The venvs are made once per distinct requirements.txt (they pin the same versions)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from executor.standalone.reference import REFERENCE_FORMAT
from server import definitions
from server.definitions.code_bundles import bundle_beside
from server.definitions.ui_document import to_graph
from server.errors import ExportError, NotFoundError, RunStateConflict
from server.interop.export import export_run
from server.monitoring.reference import reference_profile_ref
from server.platform import Platform
from tests.conftest import EXAMPLES
from tests.documents import iris_document
from tests.integration.conftest import PythonFor, assert_reproduced, verify

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".ttl", ".jsonld"))


def run_definition(platform: Platform, path: Path) -> str:
    """Submit and run the definition at ``path`` with its code folder, as `ontolab run` does."""
    graph = definitions.parse(path.read_text(), definitions.format_for(path))
    bundle_beside(path, graph, platform.artifacts.put)
    record = platform.runs.run(definitions.submit(platform.store, graph).version)
    assert record.status == "succeeded", record.error
    return record.run_id


def export(platform: Platform, run_id: str, target: Path) -> Path:
    export_run(platform.store, platform.artifacts, run_id, target)
    return target


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_every_example_reproduces_exactly_in_a_fresh_venv(
    platform: Platform, tmp_path: Path, python_for: PythonFor, name: str
) -> None:
    target = export(platform, run_definition(platform, EXAMPLES / name), tmp_path / "export")
    names = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert {
        "pipeline.py",
        "params.json",
        "requirements.txt",
        "data_manifest.json",
        "expected_metrics.json",
        "verify.py",
        "provenance.ttl",
        "README.md",
    } <= names
    assert "ontolab" not in (target / "pipeline.py").read_text().split('"""', 2)[2].lower()
    assert "scikit-learn==" in (target / "requirements.txt").read_text()
    manifest = json.loads((target / "data_manifest.json").read_text())
    copied = {e["path"] for e in manifest["files"] if e["kind"] == "code"}
    assert copied <= names  # a code step's bundle, copied in (verify.py checks each sha256)
    if name == "wine_custom_code.ttl":
        assert {"code/features.py", "code/models.py"} <= copied
        assert "\nscikit-learn>=1.5\n" in (target / "requirements.txt").read_text()
    if name.startswith("automl_"):  # the build of its best trial; the search not repeated
        params = json.loads((target / "params.json").read_text())
        (kept,) = [p["automl"] for p in params.values() if "automl" in p]
        assert isinstance(kept["best_trial"], int) and "not repeated" in kept["note"]
    done = verify(python_for(target), target)
    assert_reproduced(done, target)
    assert "exact" in done.stdout


def mixed_table() -> bytes:
    """120 rows: a number with gaps, a category with gaps, an id to drop, a text target."""
    rng = np.random.default_rng(7)
    size = rng.normal(10, 3, 120)
    size[::9] = np.nan
    colour = rng.choice(["red", "green", "blue"], 120).astype(object)
    colour[::11] = None
    target = np.where(np.nan_to_num(size, nan=10) + (colour == "red") * 2 > 10.5, "yes", "no")
    frame = pd.DataFrame({"id": range(120), "size": size, "colour": colour, "target": target})
    return frame.to_csv(index=False).encode()


@pytest.mark.slow
def test_an_uploaded_dataset_is_copied_in_and_reproduced(
    platform: Platform, tmp_path: Path, python_for: PythonFor
) -> None:
    version, _ = platform.datasets.upload("mixed", mixed_table(), "text/csv", "mixed.csv")
    document = iris_document("mixed", source="dataset:mixed@1", min_accuracy=None)
    document["steps"][0]["parameters"]["drop_column"] = ["id"]
    document["steps"].append({"id": "explore", "type": "DataExploration", "consumes": ["extract"]})
    graph = to_graph(document)
    record = platform.runs.run(definitions.submit(platform.store, graph).version)
    assert record.status == "succeeded", record.error
    target = export(platform, record.run_id, tmp_path / "export")
    copied = target / "data" / "mixed-v1.parquet"
    assert hashlib.sha256(copied.read_bytes()).hexdigest() == version.sha256
    manifest = json.loads((target / "data_manifest.json").read_text())
    assert {f["kind"] for f in manifest["files"]} == {"dataset", "extracted", "reference_profile"}
    expected = json.loads((target / "expected_metrics.json").read_text())
    assert "profile_sha256" in expected["steps"]["explore"]  # categorical columns profiled too
    assert_reproduced(verify(python_for(target), target), target)


@pytest.mark.slow
def test_a_tampered_data_file_fails_verify_naming_it(
    platform: Platform, tmp_path: Path, python_for: PythonFor
) -> None:
    target = export(platform, run_definition(platform, EXAMPLES / "iris.ttl"), tmp_path / "x")
    data = target / "data" / "extract.parquet"
    data.write_bytes(data.read_bytes()[:-9] + b"tampered!")
    done = verify(python_for(target), target)
    assert done.returncode == 1, done.stdout
    assert "FAIL  data/extract.parquet: sha256" in done.stderr
    assert "the data changed" in done.stderr


def test_the_build_reference_profile_travels_with_the_export(
    platform: Platform, tmp_path: Path
) -> None:
    run_id = run_definition(platform, EXAMPLES / "iris.ttl")
    target = export(platform, run_id, tmp_path / "export")
    manifest = json.loads((target / "data_manifest.json").read_text())
    (entry,) = [e for e in manifest["files"] if e["kind"] == "reference_profile"]
    (version,) = platform.registry.model("iris-forest").versions
    linked = reference_profile_ref(platform.store, version)  # what monitoring compares with
    copied = (target / entry["path"]).read_bytes()
    assert (entry["step"], entry["path"]) == ("build", "data/build.reference_profile.json")
    assert hashlib.sha256(copied).hexdigest() == entry["sha256"] == linked
    assert len(copied) == entry["size"]
    profile = json.loads(copied)
    assert profile["format"] == REFERENCE_FORMAT
    assert "petal length (cm)" in json.dumps(profile)


def test_an_unknown_run_is_refused_before_anything_is_written(
    platform: Platform, tmp_path: Path
) -> None:
    with pytest.raises(NotFoundError, match="no run '0123456789abcdef'; list runs"):
        export_run(platform.store, platform.artifacts, "0123456789abcdef", tmp_path / "x")
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_a_failed_run_is_refused_with_the_fix(platform: Platform, tmp_path: Path) -> None:
    document = iris_document("strict", min_accuracy=0.9999)
    record = platform.runs.run(definitions.submit(platform.store, to_graph(document)).version)
    assert record.status == "failed"
    with pytest.raises(RunStateConflict, match="is failed; only a succeeded run can be exported"):
        export_run(platform.store, platform.artifacts, record.run_id, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_a_non_empty_folder_is_refused_unless_forced(platform: Platform, tmp_path: Path) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="is not empty; give a new or empty folder, or pass"):
        export_run(platform.store, platform.artifacts, "0123456789abcdef", target)
    assert (target / "notes.txt").read_text() == "keep me"


def run_id_in(output: str) -> str:
    found = re.search(r"\brun ([0-9a-f]{16})\b", output)
    assert found, output
    return found.group(1)


@pytest.mark.slow
def test_cli_exports_and_refuses_bad_input(
    ontolab: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    unknown = ontolab("export", "0123456789abcdef", str(tmp_path / "a"))
    assert unknown.returncode == 1
    assert "no run '0123456789abcdef'" in unknown.stderr
    ran = ontolab("run", str(EXAMPLES / "iris.ttl"))
    assert ran.returncode == 0, ran.stderr
    run_id = run_id_in(ran.stdout)
    done = ontolab("export", run_id, str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "verify.py").is_file()
    again = ontolab("export", run_id, str(tmp_path / "out"))
    assert again.returncode == 1
    assert "is not empty" in again.stderr and "--force" in again.stderr
    forced = ontolab("export", run_id, str(tmp_path / "out"), "--force")
    assert forced.returncode == 0, forced.stderr
    strict = (EXAMPLES / "iris.ttl").read_text().replace("ol:minValue 0.8", "ol:minValue 0.9999")
    (tmp_path / "strict.ttl").write_text(strict.replace('"iris"', '"iris-strict"'))
    failed = ontolab("run", str(tmp_path / "strict.ttl"))
    assert failed.returncode == 1
    failed_id = run_id_in(failed.stdout)
    refused = ontolab("export", failed_id, str(tmp_path / "failed"))
    assert refused.returncode == 1
    assert "is failed; only a succeeded run can be exported" in refused.stderr
    assert not (tmp_path / "failed").exists()


@pytest.mark.slow
def test_a_file_source_is_exported_as_the_table_the_run_read(
    platform: Platform, tmp_path: Path, python_for: PythonFor
) -> None:
    csv = platform.settings.data / "tables" / "mixed.csv"
    csv.parent.mkdir(parents=True)
    csv.write_bytes(mixed_table())
    document = iris_document("from-file", source=str(csv), min_accuracy=None)
    document["steps"][0]["parameters"]["drop_column"] = ["id"]
    roots = platform.settings.source_roots
    version = definitions.submit(platform.store, to_graph(document), roots).version
    record = platform.runs.run(version)
    assert record.status == "succeeded", record.error
    target = export(platform, record.run_id, tmp_path / "export")
    csv.unlink()  # the export needs no file outside itself
    files = json.loads((target / "data_manifest.json").read_text())["files"]
    (entry,) = [e for e in files if e["kind"] != "reference_profile"]
    assert (entry["kind"], entry["source"], entry["path"]) == (
        "file",
        str(csv),
        "data/extract.parquet",
    )
    assert_reproduced(verify(python_for(target), target), target)


@pytest.mark.slow
def test_a_check_against_a_reference_profile_copies_it_in_and_reproduces(
    platform: Platform, tmp_path: Path, python_for: PythonFor
) -> None:
    run_definition(platform, EXAMPLES / "wine_checked.ttl")  # registers wine-checked-forest v1
    text = (EXAMPLES / "wine_checked.ttl").read_text()
    text = text.replace('"wine_checked"', '"wine_referenced"').replace(
        "    ol:minRows 100 ;",
        '    ol:referenceModel "wine-checked-forest" ; ol:referenceVersion 1 ;\n'
        "    ol:referenceTolerance 0.5 ;\n    ol:minRows 100 ;",
    )
    path = tmp_path / "wine_referenced.ttl"
    path.write_text(text)
    target = export(platform, run_definition(platform, path), tmp_path / "export")
    manifest = json.loads((target / "data_manifest.json").read_text())
    (entry,) = [
        e for e in manifest["files"] if e["kind"] == "reference_profile" and e["step"] == "check"
    ]
    assert entry["source"] == "model wine-checked-forest version 1"
    assert (target / entry["path"]).is_file()
    expected = json.loads((target / "expected_metrics.json").read_text())
    kinds = {c["expectation"] for c in expected["steps"]["check"]["checks"]}
    assert {"reference_range", "reference_missing_rate", "max_missing_rate"} <= kinds
    done = verify(python_for(target), target)
    assert_reproduced(done, target)
    assert "ok    check.checks = " in done.stdout
