#!/usr/bin/env bash
# Installs what is missing (first use only), then runs the platform's main job on the
# embedded store in ./data: the breast_cancer example, printing each step and the metrics.
# Any arguments replace the default experiment, e.g. ./execute.sh examples/wine.ttl
set -euo pipefail
cd "$(dirname "$0")"
./installation.sh
if [ "$#" -eq 0 ]; then
  set -- run examples/breast_cancer.ttl
elif [ -f "$1" ]; then
  set -- run "$@"
fi
exec .venv/bin/ontolab "$@"
