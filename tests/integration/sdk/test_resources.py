"""Every way in through the SDK over real HTTP: definitions in each form, datasets with
progress, and the errors a user meets (unknown run, a definition SHACL refuses, no platform)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
from rdflib import Graph

from ontolab import Client, Experiment
from ontolab.errors import BadRequest, NotFound, PlatformUnreachable, WaitTimeout
from tests.conftest import EXAMPLES
from tests.processes import free_port


def test_definitions_from_a_path_text_graph_and_document(client: Client) -> None:
    from_path = client.experiments.submit(EXAMPLES / "wine.ttl")
    assert (from_path.identifier, from_path.created_new_version) == ("wine", True)
    text = (EXAMPLES / "wine.ttl").read_text()
    assert client.experiments.submit(text).created_new_version is False
    assert client.experiments.submit(str(EXAMPLES / "wine.ttl")).version == 1
    graph = Graph().parse(EXAMPLES / "wine.ttl")
    assert client.experiments.submit(graph).version == 1  # same content, same version
    assert client.experiments.submit(EXAMPLES / "diabetes.jsonld").identifier == "diabetes"
    document = {
        "id": "iris_doc",
        "task": "classification",
        "steps": [
            {
                "id": "extract",
                "type": "DataExtraction",
                "parameters": {"source": "sklearn:iris", "target_column": "target"},
            }
        ],
    }
    assert client.experiments.submit(document).identifier == "iris_doc"

    listed = {e.identifier: e for e in client.experiments.list()}
    assert {"wine", "diabetes", "iris_doc"} <= set(listed) and listed["wine"].versions == 1
    versions = client.experiments.versions("wine")
    assert [v.version for v in versions] == [1] and "ol:Experiment" in (versions[0].turtle or "")
    assert client.experiments.get("wine", 1).content_hash == versions[0].content_hash
    assert client.experiments.get("wine").version == 1
    assert client.experiments.validate(EXAMPLES / "wine.ttl").valid


def test_a_definition_shacl_refuses_is_a_bad_request_naming_the_property(client: Client) -> None:
    broken = Experiment("broken", task="classification").extract(source="sklearn:iris")
    with pytest.raises(BadRequest, match="targetColumn") as raised:
        client.experiments.submit(broken)
    error = raised.value
    assert error.status == 400 and error.title and error.violations
    assert any("targetColumn" in str(v) for v in error.violations)
    assert str(error).startswith(f"400 {error.title}: ")
    with pytest.raises(NotFound):
        client.experiments.versions("broken")  # nothing was stored


def test_an_unknown_run_is_not_found_with_the_servers_detail(
    client: Client, served: object
) -> None:
    with pytest.raises(NotFound) as raised:
        client.runs.get("no-such-run")
    server = requests.get(f"{client.url}/api/runs/no-such-run", timeout=10).json()
    assert raised.value.detail == server["detail"] and raised.value.title == server["title"]
    assert server["detail"] in str(raised.value)
    assert raised.value.url.endswith("/api/runs/no-such-run") and raised.value.method == "GET"


def test_no_platform_is_a_clear_error_after_the_retries(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    began = time.monotonic()
    with Client(url, timeout=5, retries=2, backoff=0.05) as offline:
        with pytest.raises(PlatformUnreachable, match="after 3 attempt") as raised:
            offline.runs.list()
    assert url in str(raised.value) and "./execute.sh" in str(raised.value)
    assert time.monotonic() - began < 60  # bounded: connect refused, three tries, backoff


def test_wait_gives_up_at_its_timeout_and_cancel_stops_the_run(client: Client) -> None:
    client.experiments.submit(EXAMPLES / "breast_cancer.ttl")
    started = client.runs.start("breast_cancer", use_cache=False)
    with pytest.raises(WaitTimeout, match="still running"):
        client.runs.wait(started.run_id, timeout=0)
    assert client.runs.cancel(started.run_id) == "cancelling"
    assert client.runs.wait(started.run_id, timeout=120).status == "cancelled"


def test_dataset_upload_streams_with_progress_and_makes_versions(
    client: Client, tmp_path: Path
) -> None:
    csv = tmp_path / "flowers.csv"
    csv.write_text("a,b,label\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(5000)))
    progress: list[tuple[int, int]] = []
    first = client.datasets.upload(
        csv, on_progress=lambda sent, total: progress.append((sent, total))
    )
    assert (first.name, first.number, first.rows, first.columns) == ("flowers", 1, 5000, 3)
    assert first.source == "dataset:flowers@1"
    size = csv.stat().st_size
    assert progress[-1] == (size, size) and len(progress) > 1  # streamed in blocks
    sent = [s for s, _ in progress]
    assert sent == sorted(set(sent))  # once per block, growing

    second = client.datasets.upload(b"a,b,label\n1,2,0\n3,4,1\n", name="flowers")
    assert second.number == 2
    assert [v.number for v in client.datasets.versions("flowers")] == [2, 1]
    assert client.datasets.preview("flowers", rows=1, version=1)["total_rows"] == 5000
    assert "columns" in client.datasets.profile("flowers")
    assert {d.name for d in client.datasets.list()} == {"flowers"}
    with pytest.raises(BadRequest, match="name"):
        client.datasets.upload(b"a\n1\n", name="../escape")


def test_dataset_from_a_dataframe(client: Client) -> None:
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    assert client.datasets.upload(frame, name="frame").rows == 3


def test_a_definition_with_code_steps_brings_its_code_folder(client: Client) -> None:
    """The folder beside the file goes along zipped; without it the server refuses the
    version, and the same files in a zip of their own give the same version."""
    path = EXAMPLES / "wine_custom_code.ttl"
    with pytest.raises(BadRequest, match="code steps .* but no code came with it"):
        client.experiments.submit(path.read_text())  # text alone: no folder to bring
    stored = client.experiments.submit(path)
    assert stored.identifier == "wine_custom" and stored.created_new_version
    assert "ol:codeBundle" in (client.experiments.get("wine_custom").turtle or "")
    again = client.experiments.submit(path.read_text(), code=EXAMPLES / "wine_custom_code")
    assert (again.version, again.created_new_version) == (stored.version, False)
    run = client.runs.wait(client.runs.start("wine_custom").run_id, timeout=300)
    assert run.status == "succeeded", run.error
