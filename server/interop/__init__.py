"""Interoperability: a run exported as standalone code (``export``: ``ontolab export RUN DIR``
and ``GET /api/runs/ID/export``).

An export is written from the graph and the artifact store only: the run's recorded results,
the stored definition version it ran and the artifacts both name. ``run_facts`` reads them,
``generators`` turns each step into code (one generator per step kind, ``GENERATORS``),
``assemble`` writes pipeline.py, requirements.txt and the README, and ``export`` puts the
folder (or zip) together. A container step's export runs its image again by the ID the run
recorded (``container_steps``). ``templates`` is the source pasted into the exported files; the
platform reads it as text and never imports it.

``mlflow_api``: MLflow's tracking REST API answered from tracked runs (``server.runs.tracked``),
so MLflow's own client logs to Ontolab (blueprint: ``server.api.mlflow``).
``mlflow_import`` reads MLflow stores (``ontolab import mlflow SOURCE``) and writes them as
tracked runs; see its own docstring.

May import: ``server.tracking``, ``server.definitions``, ``server.graph``, ``server.store``,
``server.errors``, ``executor.contract``, ``executor.standalone`` (pasted into exports);
``mlflow_api`` also ``server.runs`` (TrackedRuns).
"""
