"""The SDK's parts that need no platform: errors from problem JSON, SPARQL binding, rows,
definition encoding, and an import that stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from ontolab import IRI, Experiment
from ontolab._http import problem_error
from ontolab.errors import ApiError, BadRequest, Conflict, GatewayTimeout, NotFound, ServerError
from ontolab.frames import PANDAS_MISSING, Table
from ontolab.resources.experiments import encode
from ontolab.sparql import bind, table, term
from tests.conftest import EXAMPLES

ROOT = Path(__file__).resolve().parents[3]


def _answer(
    status: int, body: object, content_type: str = "application/problem+json"
) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
    answer.headers["Content-Type"] = content_type
    answer.url = "http://127.0.0.1:3000/api/x"
    return answer


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequest),
        (404, NotFound),
        (409, Conflict),
        (504, GatewayTimeout),
        (500, ServerError),
        (418, ApiError),
    ],
)
def test_problem_json_becomes_the_error_of_its_status(status: int, cls: type[ApiError]) -> None:
    problem = {"title": "Run not found", "status": status, "detail": "no run x; list runs"}
    error = problem_error(_answer(status, problem))
    assert type(error) is cls
    assert (error.status, error.title, error.detail) == (
        status,
        "Run not found",
        "no run x; list runs",
    )
    assert str(error) == f"{status} Run not found: no run x; list runs"


def test_an_answer_without_problem_json_keeps_its_text() -> None:
    error = problem_error(_answer(502, "bad gateway from the proxy", "text/plain"))
    assert isinstance(error, ServerError) and error.detail == "bad gateway from the proxy"


def test_values_are_bound_as_terms_never_as_text() -> None:
    query = bind(
        "SELECT ?run WHERE { ?run ?p ?name }", {"name": 'x" } DROP ALL #', "run": IRI("urn:r")}
    )
    assert query.endswith('VALUES (?name ?run) { ("x\\" } DROP ALL #" <urn:r>) }')
    assert term(3) == '"3"^^<http://www.w3.org/2001/XMLSchema#integer>'
    assert term(False) == '"false"^^<http://www.w3.org/2001/XMLSchema#boolean>'
    with pytest.raises(ValueError, match="is not an IRI"):
        term(IRI("urn:a> } DROP ALL { <urn:b"))
    with pytest.raises(ValueError, match="not a SPARQL variable"):
        bind("SELECT * {}", {"a b": 1})


def test_sparql_json_results_become_typed_rows() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    rows = table(
        {
            "head": {"vars": ["run", "n", "value", "ok", "note"]},
            "results": {
                "bindings": [
                    {
                        "run": {"type": "uri", "value": "urn:r"},
                        "n": {"type": "literal", "value": "3", "datatype": f"{xsd}integer"},
                        "value": {"type": "literal", "value": "0.5", "datatype": f"{xsd}double"},
                        "ok": {"type": "literal", "value": "true", "datatype": f"{xsd}boolean"},
                    }
                ]
            },
        }
    )
    assert rows.columns == ["run", "n", "value", "ok", "note"]
    assert rows == [{"run": "urn:r", "n": 3, "value": 0.5, "ok": True}]
    assert table({"head": {}, "boolean": True}).boolean is True


def test_definitions_are_encoded_by_their_form() -> None:
    assert encode(EXAMPLES / "iris.ttl")[1] == "text/turtle"
    assert encode(str(EXAMPLES / "diabetes.jsonld"))[1] == "application/ld+json"
    assert encode("@prefix : <urn:x#> .\n:a :b :c .")[1] == "text/turtle"
    assert encode({"id": "x", "task": "classification", "steps": []})[1] == "application/json"
    assert encode({"@context": {}, "@graph": []})[1] == "application/ld+json"
    body, media = encode(Experiment("x", task="regression").extract(source="s", target_column="t"))
    assert media == "text/turtle" and b'dcterms:identifier "x"' in body
    with pytest.raises(TypeError, match="cannot submit a int"):
        encode(3)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )


def test_import_ontolab_loads_neither_the_platform_nor_heavy_libraries() -> None:
    done = _python(
        "import sys, ontolab, ontolab.client, ontolab.types, ontolab.definition\n"
        "heavy = ('server', 'executor', 'flask', 'sklearn', 'pandas', 'rdflib', 'numpy')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_dataframe_without_pandas_says_how_to_get_it() -> None:
    done = _python(
        "import sys; sys.modules['pandas'] = None\n"
        "from ontolab.frames import Table\n"
        "try:\n    Table([{'a': 1}], ['a']).to_pandas()\n"
        "except ImportError as e:\n    print(e)"
    )
    assert done.stdout.strip() == PANDAS_MISSING and "pip install pandas" in PANDAS_MISSING


def test_rows_to_pandas() -> None:
    pandas = pytest.importorskip("pandas")
    frame = Table([{"a": 1}, {"b": 2}], ["a", "b"]).to_pandas()
    assert isinstance(frame, pandas.DataFrame) and list(frame.columns) == ["a", "b"]


def test_the_package_is_typed_and_packaged() -> None:
    assert (ROOT / "ontolab" / "py.typed").is_file()
    text = (ROOT / "pyproject.toml").read_text()
    assert '"ontolab*"' in text and 'ontolab = ["py.typed"]' in text
