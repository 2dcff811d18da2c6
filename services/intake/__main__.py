"""`python -m services.intake` serves the API, the channel doors and SMTP; `--help` lists
its commands (dead letters: list, replay)."""

import sys

from services.intake.bootstrap import MIGRATIONS, create_app
from shared.runtime import service_main

if __name__ == "__main__":
    service_main("intake", sys.argv[1:], create_app, migrations=MIGRATIONS)
