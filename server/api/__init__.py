"""One blueprint per resource; ``BLUEPRINTS`` is what the app factory registers.

Each module also exports ``OPENAPI``: its part of the OpenAPI 3 ``paths`` object, merged by
``server.api.openapi`` so the document lives next to the routes it describes.
"""

from __future__ import annotations

from types import ModuleType

from flask import Blueprint

from server.api import (
    artifacts,
    auth,
    code_bundles,
    compare,
    datasets,
    deployments,
    events,
    experiment_documents,
    experiments,
    exports,
    health,
    lineage,
    metrics,
    mlflow,
    model_operations,
    models,
    monitoring,
    openapi,
    queries,
    run_annotations,
    run_artifacts,
    runs,
    sparql,
    tracking,
    trials,
    triggers,
    ui,
    users,
    vocabulary,
)

MODULES: tuple[ModuleType, ...] = (
    health,
    openapi,
    experiments,
    runs,
    exports,
    events,
    compare,
    lineage,
    artifacts,
    datasets,
    sparql,
    queries,
    deployments,
    metrics,
    models,
    vocabulary,
    trials,
    code_bundles,
    tracking,
    mlflow,
    triggers,
    auth,
    ui,
    monitoring,
    model_operations,
    experiment_documents,
    run_annotations,
    run_artifacts,
    users,
)
BLUEPRINTS: tuple[Blueprint, ...] = tuple(module.blueprint for module in MODULES)
