"""MLflow import (``ontolab import mlflow SOURCE``): an MLflow store read without MLflow and
written into the platform as tracked runs, in the graph's usual shape.

Readers turn a store into the neutral values of ``model`` (one small module per kind:
``filestore`` for ``mlruns/``, ``sqlite`` for ``mlflow.db`` opened read-only, ``exported`` for
a mlflow-export-import folder); ``sources`` picks the reader for a path; ``paths`` confines every
read to the source's folder (and ``--artifacts``); ``writer`` writes the values through
``TrackedRuns.record`` (one write per run) and the registry, and reads each run back to fill the
``report`` (found vs imported vs already present vs lost).

May import: ``server.runs.tracked``, ``server.tracking``, ``server.registry``, ``server.graph``,
``server.errors``, ``executor.contract``. Never imports ``mlflow``.
"""
