"""structlog set-up: JSON in production, readable on a terminal, always to stdout.

Handlers bind `case_id`, `correlation_id` and `event_type` with `bind_context` at the start
of each message or request; every line logged afterwards carries them.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, ParamSpec, TypeVar

import orjson
import structlog

from shared.settings import get_settings


def _orjson_dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default).decode()


def configure_logging(service: str, *, fmt: str | None = None, level: str | None = None) -> None:
    settings = get_settings()
    fmt = fmt or settings.slrt_log_format
    if fmt == "auto":
        fmt = "console" if sys.stdout.isatty() else "json"
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer()
    )
    lvl = logging.getLevelName((level or settings.slrt_log_level).upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(lvl),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    # Libraries that log through stdlib logging: keep them quiet but visible.
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(name)s %(message)s")


def bind_context(**values: Any) -> None:
    """Start a new message or request: forget the last one's ids, keep the service name."""
    service = structlog.contextvars.get_contextvars().get("service")
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service, **values)


@contextlib.contextmanager
def log_scope(*, keep_on_error: bool = False, **values: Any) -> Iterator[None]:
    """A log context of its own for one message, batch or request: inside, only the service
    name and `values` are bound (nothing from before leaks in); on leaving, whatever was
    bound before is back (nothing from inside leaks out). `keep_on_error`: when the body
    raises, leave its context bound so a handler further out logs the error with it."""
    saved = structlog.contextvars.get_contextvars()
    bind_context(**values)
    try:
        yield
    except BaseException:
        if not keep_on_error:
            _restore(saved)
        raise
    _restore(saved)


def _restore(saved: dict[str, Any]) -> None:
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**saved)


P = ParamSpec("P")
R = TypeVar("R")


def fresh_log_context(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run each call of an async function in its own `log_scope`: a per-message step (a
    consumer's delivery, a catch-up, a relay batch) never logs an earlier message's ids."""

    @functools.wraps(fn)
    async def scoped(*args: P.args, **kwargs: P.kwargs) -> R:
        with log_scope():
            return await fn(*args, **kwargs)

    return scoped


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
