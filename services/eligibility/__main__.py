"""`python -m services.eligibility` runs the service; `... load-demo` loads the demo registry."""

from __future__ import annotations

import asyncio
import sys

from services.eligibility.adapters.registry import load_demo
from services.eligibility.bootstrap import MIGRATIONS, NAME, create_app
from shared.db import connect
from shared.runtime import migrate_service, serve
from shared.settings import get_settings


async def _load_demo() -> int:
    dsn = get_settings().database_url
    if not dsn:
        raise SystemExit("DATABASE_URL is not set")
    await migrate_service(dsn, NAME, MIGRATIONS)
    conn = await connect(dsn)
    try:
        return await load_demo(conn, only_if_empty=False)
    finally:
        await conn.close()


def main(argv: list[str]) -> None:
    if argv[:1] == ["load-demo"]:
        print(f"demo registry: {asyncio.run(_load_demo())} members loaded")
    elif not argv:
        serve(create_app(), NAME)
    else:
        print(__doc__)
        raise SystemExit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
