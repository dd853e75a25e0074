#!/usr/bin/env bash
# Installs what Ontolab needs into ./.venv. Idempotent: a second run with nothing
# changed returns in well under a second.
#   ./installation.sh          runtime dependencies and the web UI (ui/dist, built with npm)
#   ./installation.sh --dev    plus test tooling (pytest, ruff, mypy, Playwright) and Java for the OWL reasoner
#   ./installation.sh --docker plus Debian's Docker Engine, docker-compose and debootstrap (docker and
#                              swarm provisioners; then `ontolab image build` makes the runner image)
set -euo pipefail
cd "$(dirname "$0")"

dev=0
docker=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --docker) docker=1 ;;
    *) echo "installation.sh: unknown option '$arg'; use --dev, --docker or nothing" >&2; exit 2 ;;
  esac
done

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "installation.sh: Python >= 3.11 is required (found: $("$python" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

apt_install() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "installation.sh: please install the Debian packages '$*' (needs root and apt-get)" >&2
    exit 1
  fi
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ] \
    || apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$@" >/dev/null
}

[ -x .venv/bin/python ] || "$python" -m venv .venv

extras=""
[ "$dev" = 1 ] && extras="[dev]"
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)${extras:+-dev}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".${extras}"
  touch "$stamp"
fi

# LightGBM (in the default estimator allow-list) links against the GNU OpenMP runtime.
if ! ldconfig -p 2>/dev/null | grep -q 'libgomp\.so\.1'; then
  echo "installation.sh: installing libgomp1 for LightGBM"
  apt_install libgomp1
fi

if [ "$dev" = 1 ] && ! command -v java >/dev/null; then
  echo "installation.sh: installing a Java runtime for the OWL reasoner (owlready2 / HermiT)"
  apt_install default-jre-headless
fi

if [ "$docker" = 1 ]; then
  missing=""
  [ -x /usr/sbin/dockerd ] || missing="$missing docker.io"
  command -v docker-compose >/dev/null || missing="$missing docker-compose"
  [ -x /usr/sbin/debootstrap ] || missing="$missing debootstrap"
  if [ -n "$missing" ]; then
    echo "installation.sh: installing$missing for the docker and swarm provisioners"
    # shellcheck disable=SC2086
    apt_install $missing
  fi
fi

# The web UI: npm ci && npm run build → ui/dist, skipped while package-lock.json and the
# sources are unchanged since the last build (their hash is stamped into ui/dist).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "installation.sh: installing Node.js and npm to build the web UI"
  apt_install nodejs npm
fi
ui_hash=$(cd ui && find package.json package-lock.json index.html vite.config.ts tsconfig.json src -type f -print0 \
  | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
if [ "$(cat ui/dist/.build-stamp 2>/dev/null)" != "$ui_hash" ]; then
  echo "installation.sh: building the web UI (ui/dist)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error >/dev/null && npm run build --silent >/dev/null)
  echo "$ui_hash" > ui/dist/.build-stamp
fi
