"""`slrt`: the command line for engineers.

slrt up                 run the whole system locally (what `make up` does)
slrt rebuild [SERVICE]  refold casework's and/or documents' views from the event store;
                        works with `make up` running or stopped (no DATABASE_URL needed)
slrt token ...          mint a staff bearer token for local use
slrt staff create ...   add a staff account to the web app (--admin for the first one)
slrt topics             create the Kafka topics
slrt export ...         the analytics views to Parquet and CSV (--from --to --office)
slrt report ...         an office's monthly report, HTML and PDF (--office --month)
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from shared.logging import configure_logging

# The services whose views a `rebuild` refolds (`python -m services.<name> rebuild`).
REBUILDABLE = ("casework", "documents")


def rebuild(services: list[str]) -> int:
    """Rebuild the named services' views (all that have one when none is named), one
    process each, on one database: `make up`'s is started once for all when it is stopped."""
    from shared.localdb import command_database
    from shared.settings import REPO_ROOT

    unknown = [s for s in services if s not in REBUILDABLE]
    if unknown:
        print(f"slrt rebuild: no rebuild for {', '.join(unknown)}; one of {', '.join(REBUILDABLE)}")
        return 2
    with command_database("slrt rebuild") as dsn:
        for name in services or REBUILDABLE:
            done = subprocess.run(  # noqa: S603  (our own module, fixed arguments)
                [sys.executable, "-m", f"services.{name}", "rebuild"],
                cwd=REPO_ROOT,
                env={**os.environ, "DATABASE_URL": dsn},
                check=False,
            )
            if done.returncode != 0:
                print(f"slrt rebuild: {name} failed (exit {done.returncode})", file=sys.stderr)
                return done.returncode
    return 0


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    cmd = args.pop(0) if args else "help"
    if cmd == "up":
        configure_logging("slrt", fmt="console")
        from shared.devstack import up

        up()
    elif cmd == "rebuild":
        sys.exit(rebuild(args))
    elif cmd == "token":
        from shared.auth import cli

        cli(args)
    elif cmd == "staff":
        # The staff directory belongs to the dashboard service; `shared` imports no
        # service, so its own command line runs in its place (stdin and prompts pass on).
        os.execv(  # noqa: S606
            sys.executable, [sys.executable, "-m", "services.dashboard", "staff", *args]
        )
    elif cmd in ("export", "report"):
        from analytics.cli import main as analytics_main

        analytics_main([cmd, *args])
    elif cmd == "topics":
        from shared.kafka import ensure_topics
        from shared.settings import get_settings

        print(asyncio.run(ensure_topics(get_settings())))
    else:
        print(__doc__)
        sys.exit(0 if cmd in ("help", "-h", "--help") else 2)


if __name__ == "__main__":
    main()
