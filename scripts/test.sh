#!/usr/bin/env bash
# The whole test suite, on both backends (issue 15):
#   1. `swift test`: every test target, the server tests on SQLite, and
#      Tests/PostgresTests on a throwaway PostgreSQL cluster (as are the
#      executable tests that name their store: CSVImportTests runs each
#      test on both, TestServer(backend:));
#   2. the protocol and domain suite (Tests/ServerTests) again, every
#      TestServer on a PostgreSQL database of its own
#      (PROFILES_TEST_BACKEND=postgres; tests of the SQLite store itself
#      are skipped there), after the same build.
# Extra arguments go to both `swift test` runs (e.g. --filter ProfileTests).
set -euo pipefail
cd "$(dirname "$0")/.."
swift test "$@"
PROFILES_TEST_BACKEND=postgres swift test --skip-build --filter ServerTests "$@"
