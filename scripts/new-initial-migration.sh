#!/usr/bin/env bash
# Regenerate migrations/versions/0001_initial.py from the models (only while nothing is deployed),
# against a scratch PostgreSQL database, then add the PostgreSQL-only exclusion constraint.
set -euo pipefail
cd "$(dirname "$0")/.."
db="kendama_migration_$$"
psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" >/dev/null
trap 'psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
rm -f migrations/versions/*.py
DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$db" .venv/bin/flask --app app db revision --autogenerate \
  --rev-id 0001 -m "initial schema" >/dev/null
PYTHONPATH=. .venv/bin/python scripts/add_exclusion_to_migration.py migrations/versions/0001_initial_schema.py
.venv/bin/ruff format -q migrations/versions/
echo "migrations/versions/0001_initial_schema.py written"
