"""A run exported as standalone code: ``GET /api/runs/ID/export`` sends the folder
``ontolab export RUN_ID DIR`` writes, as a zip (``server.interop.export``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from server.api.common import PROBLEM_CONTENT, PROBLEM_RESPONSE, get_platform, path_parameter
from server.interop.export import export_zip

blueprint = Blueprint("exports", __name__)


@blueprint.get("/api/runs/<run_id>/export")
def export(run_id: str) -> Response:
    """404 for an unknown run; 409 for one that has not succeeded or holds a step kind export
    cannot write as code."""
    platform = get_platform()
    data = export_zip(platform.store, platform.artifacts, run_id)
    name = f"ontolab-run-{run_id}.zip"
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


OPENAPI: dict[str, Any] = {
    "/api/runs/{run_id}/export": {
        "get": {
            "summary": "A succeeded run as standalone code (a zip)",
            "description": "The folder `ontolab export RUN_ID DIR` writes, zipped under "
            "`ontolab-run-ID/`: pipeline.py (one pandas / scikit-learn function per step, "
            "seeds fixed), params.json, requirements.txt pinned to the versions the run "
            "recorded, data_manifest.json and data/ (the data the run read), "
            "expected_metrics.json, verify.py (re-runs the pipeline and checks the metrics and "
            "the predictions' checksum), provenance.ttl (the run's PROV subgraph), code/ (the "
            "code bundle a custom code step ran) and a README. "
            "Written from the graph and the artifact store only.",
            "parameters": [path_parameter("run_id")],
            "responses": {
                "200": {
                    "description": "the export as a zip",
                    "content": {
                        "application/zip": {"schema": {"type": "string", "format": "binary"}}
                    },
                },
                "404": PROBLEM_RESPONSE,
                "409": {
                    "description": "problem JSON: the run has not succeeded (running, failed, "
                    "cancelled or interrupted), or holds a step of a kind export cannot write "
                    "as code (a container step: an image cannot be turned into standalone code)",
                    "content": PROBLEM_CONTENT,
                },
                "410": {
                    "description": "problem JSON: an artifact the run recorded is corrupt on "
                    "disk (quarantined)",
                    "content": PROBLEM_CONTENT,
                },
            },
        }
    }
}
