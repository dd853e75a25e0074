#!/usr/bin/env bash
# FLAML's own venv for bench/automl (never a dependency of Ontolab). Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3}
[ -x .venv-flaml/bin/python ] || "$python" -m venv .venv-flaml
.venv-flaml/bin/python -m pip install -q 'flaml[automl]==2.8.0' 'scikit-learn==1.9.1' 'pandas==3.1.1' 'pyarrow==26.0.1'
