"""Ontolab from Python: a client of the platform's REST API, and definitions built in code.

    import ontolab

    client = ontolab.Client("http://127.0.0.1:3000")
    version = client.experiments.submit("examples/iris.ttl")
    run = client.runs.wait(client.runs.start("iris").run_id)

Needs ``requests`` only (pandas for DataFrames, when installed). Never imports the platform
(``server``, ``executor``) nor Flask or scikit-learn. Modules: ``client`` (``Client``),
``resources`` (one class per REST resource), ``definition`` (``Experiment``), ``types``
(what the API answers), ``errors``, ``sparql`` (binding and rows), ``frames`` (pandas),
``tracking`` (``start_run``: runs tracked from any code, buffered, with a local spool while the
platform is away; ``_spool``).
"""

from __future__ import annotations

__version__ = "0.1.0"

from ontolab.client import DEFAULT_URL, Client  # noqa: E402
from ontolab.definition import Experiment  # noqa: E402
from ontolab.errors import ApiError, OntolabError  # noqa: E402
from ontolab.frames import Table  # noqa: E402
from ontolab.sparql import IRI  # noqa: E402
from ontolab.tracking import Run, RunEnded, flush_spool, start_run  # noqa: E402

__all__ = [
    "DEFAULT_URL",
    "IRI",
    "ApiError",
    "Client",
    "Experiment",
    "OntolabError",
    "Run",
    "RunEnded",
    "Table",
    "__version__",
    "flush_spool",
    "start_run",
]
