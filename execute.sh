#!/usr/bin/env bash
# Installs what is missing (first use only), then starts the platform — API, SPARQL endpoint,
# metrics and web UI — on http://127.0.0.1:3000 with the embedded store in ./data.
# Ctrl-C stops it. Other uses:
#   ./execute.sh examples/wine.ttl      run one experiment definition and print its metrics
#   ./execute.sh runs list              any `ontolab` command
set -euo pipefail
cd "$(dirname "$0")"
./installation.sh
if [ "$#" -eq 0 ]; then
  set -- serve
elif [ -f "$1" ]; then
  set -- run "$@"
fi
exec .venv/bin/ontolab "$@"
