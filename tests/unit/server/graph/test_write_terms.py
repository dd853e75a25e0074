"""pyoxigraph terms for writes: the same RDF as the rdflib terms they stand in for."""

from __future__ import annotations

from datetime import datetime

import pytest
from rdflib import Literal
from rdflib.namespace import RDF, XSD

from server.graph import write_terms
from server.graph.namespaces import OL
from server.store.oxigraph import to_rdflib


@pytest.mark.parametrize("raw", [0.1 + 0.2, 1.0, 1e-7, 12345678901234567890.0, float("nan"), 3])
def test_double_is_rdflibs_double_to_the_letter(raw: float) -> None:
    assert write_terms.double(raw).value == str(Literal(float(raw), datatype=XSD.double))
    assert write_terms.double(raw).datatype.value == str(XSD.double)


def test_timestamps_are_normalized_as_rdflib_writes_them() -> None:
    for stamp in ("2026-12-01T18:35:08.682035+00:00", "2026-12-01T18:35:08Z"):
        expected = Literal(datetime.fromisoformat(stamp), datatype=XSD.dateTime)
        assert to_rdflib(write_terms.date_time(stamp)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, Literal("null", datatype=RDF.JSON)),
        ([1, "a"], Literal('[1, "a"]', datatype=RDF.JSON)),
        ({"k": 2}, Literal('{"k": 2}', datatype=RDF.JSON)),
        (True, Literal(True)),
        (7, Literal(7)),
        ("lbfgs", Literal("lbfgs")),
        (0.5, Literal(0.5, datatype=XSD.double)),
    ],
)
def test_hyperparameter_values_keep_their_types(raw: object, expected: Literal) -> None:
    assert to_rdflib(write_terms.value(raw)) == expected


def test_vocabulary_terms_are_minted_once() -> None:
    assert write_terms.OL.Run is write_terms.OL.Run
    assert write_terms.OL.Run.value == str(OL.Run)
    with pytest.raises(AttributeError):
        write_terms.OL._private  # noqa: B018
