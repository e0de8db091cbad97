#!/usr/bin/env bash
# Interop: jsonrpcclient (a JSON-RPC 2.0 library from PyPI, used unchanged)
# drives a real release-built profiles-server over newline-delimited TCP.
# See interop/python/test_interop.py. interop/python/test_openrpc.py checks
# rpc.discover with the `openrpc` models and `jsonschema`, and validates the
# answers of a story against it. Exits non-zero if any test fails.
#
#   interop/run.sh
#
# Environment:
#   SCRATCH=DIR  pass --scratch-path DIR to swift build (default: .build)
#   VENV=DIR     the virtualenv to create or reuse (default: interop/.venv)
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=()
if [ -n "${SCRATCH:-}" ]; then scratch=(--scratch-path "$SCRATCH"); fi
venv=${VENV:-interop/.venv}

# Debian's python3 has the venv module only with python3-venv.
if [ ! -x "$venv/bin/python" ]; then
  if ! python3 -m venv "$venv"; then
    rm -rf "$venv"
    apt-get update && apt-get install -y python3-venv
    python3 -m venv "$venv"
  fi
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r interop/python/requirements.txt

swift build -c release "${scratch[@]}"
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)

PROFILES_SERVER="$bin/profiles-server" PYTHONDONTWRITEBYTECODE=1 \
  "$venv/bin/python" -m pytest -p no:cacheprovider -v interop/python
