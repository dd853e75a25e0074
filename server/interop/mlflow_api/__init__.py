"""MLflow's tracking REST API on Ontolab: what ``mlflow`` 3.x's client sends, answered from
``TrackedRuns`` (``server.runs.tracked``) so MLflow scripts record runs in the graph unchanged.

``messages`` maps MLflow's protobuf messages (as JSON) to and from tracked runs; ``filters``
reads MLflow's search syntax (pure); ``search`` lists runs with the store filtering, sorting and
paging (``server.tracking.run_query``); ``service`` is the calls themselves; ``calls`` names
MLflow's REST calls, supported or not, for the blueprint's clear "not supported" errors.

May import: ``server.runs`` (TrackedRuns), ``server.tracking``, ``server.definitions``,
``server.graph``, ``server.store``, ``server.errors``. Never ``mlflow``: the protobuf shapes
are written out here from MLflow's ``service.proto``.
"""
