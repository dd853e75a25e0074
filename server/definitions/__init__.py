"""Experiment definitions: reading a document (``document``), checking it (``validation``), storing
it as versions (``versioning``), the UI builder's JSON document (``ui_document``), reading a stored
version back into step records (``steps``), the planner (``planner``, pure), the vocabulary the
builder offers (``vocabulary``: the SHACL shapes and the ontology read into plain data for
``GET /api/vocabulary``), the estimator allow-list (``estimators``: scikit-learn's plus
``ONTOLAB_ESTIMATORS``, written into the shapes' ``ol:estimator`` lists), the OWL check
(``reasoning``: HermiT in a Java subprocess, on request, with a time limit) and code bundles
(``code_bundles``: the code folder zipped, checked and named in the definition, or an earlier
version's bundle reused by its sha256; never imported).

May import: ``server.graph``, ``server.store``, ``server.errors``, ``ontology``,
``executor.contract`` (the phases' inputs, scikit-learn's estimators, the entry form), and the
estimator modules the operator configured (``estimators``, never a name from a definition). The
package exports the service surface callers use (``from server import definitions``;
``definitions.submit(...)``).
"""

from server.definitions.document import FORMATS, format_for, offline_json_ld, parse
from server.definitions.validation import (
    NON_FILE_SOURCES,
    ROOTS_SETTING,
    is_file_source,
    resolve_source,
    validate,
)
from server.definitions.versioning import (
    ExperimentVersion,
    Submission,
    delete_experiment,
    ensure_ontology,
    get_version,
    list_experiments,
    submit,
    version_turtle,
    versions,
)
from server.definitions.vocabulary import builder_vocabulary

__all__ = [
    "FORMATS",
    "NON_FILE_SOURCES",
    "ROOTS_SETTING",
    "ExperimentVersion",
    "Submission",
    "builder_vocabulary",
    "delete_experiment",
    "ensure_ontology",
    "format_for",
    "get_version",
    "is_file_source",
    "list_experiments",
    "offline_json_ld",
    "parse",
    "resolve_source",
    "submit",
    "validate",
    "version_turtle",
    "versions",
]
