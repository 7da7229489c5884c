"""Add the PostgreSQL exclusion constraint to the generated initial migration.

The SQL is written into the migration as a literal, so the migration stays frozen even if the
model module changes later.
"""

import sys
from pathlib import Path

from kendama.models.sessions import EXCLUSION_CONSTRAINT_SQL

path = Path(sys.argv[1])
text = path.read_text()
upgrade_end = text.index("def downgrade")
postgres_only = (
    "    if op.get_bind().dialect.name == 'postgresql':\n"
    "        # No two active sessions of one player may overlap (see models/sessions.py).\n"
    "        op.execute('CREATE EXTENSION IF NOT EXISTS btree_gist')\n"
    f"        op.execute({EXCLUSION_CONSTRAINT_SQL!r})\n\n\n"
)
head, tail = text[:upgrade_end].rstrip() + "\n", text[upgrade_end:]
path.write_text(head + postgres_only + tail)
