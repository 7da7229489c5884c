#!/usr/bin/env bash
# Set up and run the app on the embedded default (SQLite, inline jobs, mail outbox, sandboxes)
# with demo data, at http://127.0.0.1:5000 (set PORT to change it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements.txt
export FLASK_APP=app
if [ ! -f instance/kendama.sqlite3 ]; then
  # A new database hands out ids from 1 again: sandbox state of an earlier one (rooms, recordings,
  # idempotency keys named after those ids) would be taken for this one's.
  rm -f instance/stripe_sandbox.sqlite3* instance/video_sandbox.sqlite3*
fi
.venv/bin/flask db upgrade
.venv/bin/flask seed-demo
port=${PORT:-5000}
export BASE_URL=${BASE_URL:-http://127.0.0.1:$port}
echo "Kendama Live runs at $BASE_URL (stop with Ctrl-C)"
exec .venv/bin/flask run --host 127.0.0.1 --port "$port"
