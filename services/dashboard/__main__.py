"""`python -m services.dashboard` serves the staff web app; `... staff create ...` adds an
account (see `entrypoints/cli.py`); `--help` lists every command."""

import sys

from services.dashboard.bootstrap import MIGRATIONS, create_app
from services.dashboard.config import SERVICE
from services.dashboard.entrypoints.cli import staff
from shared.runtime import service_main

if __name__ == "__main__":
    service_main(
        SERVICE,
        sys.argv[1:],
        create_app,
        migrations=MIGRATIONS,
        commands={
            "staff": (lambda argv: staff(argv, MIGRATIONS), "staff accounts: `staff create …`")
        },
    )
