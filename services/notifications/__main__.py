"""`python -m services.notifications` serves the API and sends notifications; `--help`
lists its commands (dead letters: list, replay)."""

import sys

from services.notifications.bootstrap import MIGRATIONS, create_app
from services.notifications.service_layer.notify_citizen import SERVICE
from shared.runtime import service_main

if __name__ == "__main__":
    service_main(SERVICE, sys.argv[1:], create_app, migrations=MIGRATIONS)
