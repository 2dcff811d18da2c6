"""`python -m services.dashboard` serves the staff web app; `... staff create` makes an
account from the command line (the first administrator). `slrt staff ...` runs this.

    slrt staff create --admin --office lumajang --name "Admin Lumajang" --username admin
    echo "$PASSWORD" | slrt staff create --office kupang --name "Petugas" \\
        --username kpg-desk --role front_office --password-stdin
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from services.dashboard.config import SERVICE, get_dashboard_settings
from services.dashboard.service_layer import manage_staff
from shared.catalogue import load_catalogue
from shared.contracts.vocab import Role
from shared.db import create_pool
from shared.refusal import Refused
from shared.runtime import migrate_service


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="slrt staff", description="Staff accounts of the web app.")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create", help="add a staff account")
    c.add_argument("--office", required=True, help="catalogue office id, e.g. lumajang")
    c.add_argument("--name", required=True, help="the person's name as staff see it")
    c.add_argument("--username", required=True)
    c.add_argument("--email")
    c.add_argument("--admin", action="store_true", help="with the administrator role")
    c.add_argument("--role", action="append", default=[], choices=[r.value for r in Role])
    c.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    return p


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Kata sandi (password): ")
    if getpass.getpass("Ulangi kata sandi (again): ") != first:
        raise SystemExit("The two passwords differ.")
    return first


def staff(argv: list[str], migrations: Path) -> None:
    a = _parser().parse_args(argv)
    settings = get_dashboard_settings()
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set: `make up` prints the command with it filled in.")
    roles = sorted({*a.role, *([Role.ADMIN.value] if a.admin else [])})
    if not roles:
        raise SystemExit("Give --admin or at least one --role.")
    password = _password(a.password_stdin)
    catalogue = load_catalogue(settings.slrt_catalogue_dir)

    async def run() -> None:
        assert settings.database_url
        await migrate_service(settings.database_url, SERVICE, migrations)
        pool = await create_pool(settings.database_url, max_size=2)
        try:
            account = await manage_staff.create_account(
                pool,
                catalogue,
                None,
                username=a.username,
                password=password,
                form=manage_staff.AccountForm(
                    office=a.office, name=a.name, roles=roles, email=a.email
                ),
            )
        finally:
            await pool.close()
        print(
            f"created {account.username} ({', '.join(roles)}) at {account.office}: "
            f"{account.account_id}"
        )

    try:
        asyncio.run(run())
    except Refused as exc:
        raise SystemExit(f"refused: {exc.code}: {exc.message}") from None
