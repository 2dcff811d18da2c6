"""`python -m services.intake` serves the API, the channel doors and SMTP, with
SLRT_INTAKE_WORKERS processes behind one port (shared/workers.py; one: a plain service);
`--help` lists its commands (dead letters: list, replay)."""

import sys

from services.intake.bootstrap import MIGRATIONS, create_app
from shared.runtime import service_main
from shared.settings import get_settings

if __name__ == "__main__":
    service_main(
        "intake",
        sys.argv[1:],
        create_app,
        migrations=MIGRATIONS,
        workers=get_settings().slrt_intake_workers,
    )
