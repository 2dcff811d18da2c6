"""`python -m services.portal` serves the citizens' public pages."""

import sys

from services.portal.bootstrap import SERVICE, create_app
from shared.runtime import service_main

if __name__ == "__main__":
    service_main(SERVICE, sys.argv[1:], create_app, migrations=None, consumes=False)
