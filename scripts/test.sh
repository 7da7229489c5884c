#!/usr/bin/env bash
# Set up and run the whole test suite against PostgreSQL and Redis on 127.0.0.1,
# starting them when they are down. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-test.txt
bash scripts/services.sh
exec .venv/bin/python -m pytest "$@"
