"""`python -m services.dashboard` serves the staff web app; `... staff create ...` adds an
account (see `entrypoints/cli.py`)."""

import sys

from services.dashboard.bootstrap import MIGRATIONS, create_app
from services.dashboard.entrypoints.cli import staff
from shared.runtime import serve

if sys.argv[1:2] == ["staff"]:
    staff(sys.argv[2:], MIGRATIONS)
else:
    serve(create_app(), "dashboard")
