"""Browser tests: Debian's Chromium driven by Playwright for Python, over the real six
processes (the five services and the staff web app, started by the same launcher as
`make up`), on the session's PostgreSQL and broker with their own database and topics.

Playwright's own browser download cannot be fetched here, so the system's Chromium is used
(`make test` installs it when missing; see the Makefile). Without it these tests are
skipped with the reason. Screenshots of every page a test passes through are kept under
`tests/browser/screenshots/` (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.devstack import WITH_DASHBOARD, Stack, start_stack
from shared.infra import Infra
from shared.settings import REPO_ROOT
from tests.package_stack import STACK_ENV, own_database, show_errors

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "kata-sandi-uji-123"  # synthetic test accounts only


def chromium_path() -> str | None:
    for candidate in (os.environ.get("SLRT_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass(frozen=True)
class Six:
    stack: Stack
    database_url: str

    @property
    def dashboard(self) -> str:
        return self.stack.url("dashboard")

    def url(self, service: str) -> str:
        return self.stack.url(service)


def create_staff(
    database_url: str, username: str, office: str, name: str, *roles: str, admin: bool = False
) -> None:
    """An account made the way an operator makes the first one: `slrt staff create`."""
    args = [
        sys.executable,
        "-m",
        "shared.cli",
        "staff",
        "create",
        "--office",
        office,
        "--name",
        name,
        "--username",
        username,
        "--password-stdin",
        *(["--admin"] if admin else []),
        *[a for r in roles for a in ("--role", r)],
    ]
    done = subprocess.run(  # noqa: S603  (our own command line)
        args,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert f"created {username}" in done.stdout


# Package-scoped: the six processes stop when the browser tests are done (their idle
# loops would otherwise slow every later test of the session).
@pytest.fixture(scope="package")
def six(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Six]:
    if chromium_path() is None:
        pytest.skip(
            "Chromium is not installed and could not be: `apt-get install chromium` "
            "(make test does it when run as root)."
        )

    borrowed = own_database(infra, "browser")
    database_url = borrowed.database_url
    logs = Path(tmp_path_factory.mktemp("browser-logs"))
    stack = start_stack(
        logs,
        infra=borrowed,
        fixed_ports=False,
        log_dir=logs,
        services=WITH_DASHBOARD,
        extra_env={
            **STACK_ENV,
            "KAFKA_TOPIC_PREFIX": "browser.",
        },
    )
    try:
        for username, office, name, roles, admin in [
            ("lmj-admin", "lumajang", "Admin Lumajang", (), True),
            ("lmj-desk", "lumajang", "Dewi Petugas Contoh", ("front_office", "officer"), False),
            ("lmj-lock", "lumajang", "Akun Kunci Contoh", ("front_office",), False),
            ("kpg-desk", "kupang", "Petugas Kupang Contoh", ("front_office",), False),
        ]:
            create_staff(database_url, username, office, name, *roles, admin=admin)
        yield Six(stack, database_url)
    finally:
        stack.stop()
        show_errors(logs)


@pytest.fixture(scope="package")
async def chromium(six: Six) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {SCREENSHOTS}")
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()
