"""`slrt`: the command line for engineers.

slrt up                 run the whole system locally (what `make up` does)
slrt token ...          mint a staff bearer token for local use
slrt staff create ...   add a staff account to the web app (--admin for the first one)
slrt topics             create the Kafka topics
"""

from __future__ import annotations

import asyncio
import os
import sys

from shared.logging import configure_logging


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    cmd = args.pop(0) if args else "help"
    if cmd == "up":
        configure_logging("slrt", fmt="console")
        from shared.devstack import up

        up()
    elif cmd == "token":
        from shared.auth import cli

        cli(args)
    elif cmd == "staff":
        # The staff directory belongs to the dashboard service; `shared` imports no
        # service, so its own command line runs in its place (stdin and prompts pass on).
        os.execv(  # noqa: S606
            sys.executable, [sys.executable, "-m", "services.dashboard", "staff", *args]
        )
    elif cmd == "topics":
        from shared.kafka import ensure_topics
        from shared.settings import get_settings

        print(asyncio.run(ensure_topics(get_settings())))
    else:
        print(__doc__)
        sys.exit(0 if cmd in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    main()
