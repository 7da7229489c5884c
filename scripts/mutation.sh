#!/usr/bin/env bash
# Mutation testing of the rule modules (docs/testing.md): `bash scripts/mutation.sh [module ...]`
# runs mutmut on those modules (all by default), one after the other, each against only the tests
# that cover it, niced and with two test processes at a time (MUTATION_CHILDREN to change), and
# prints killed and survived per module. `--report` prints the last results without running.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-test.txt
bash scripts/services.sh  # the service and integration tests open a PostgreSQL database
exec nice -n "${MUTATION_NICE:-15}" .venv/bin/python scripts/mutation.py "$@"
