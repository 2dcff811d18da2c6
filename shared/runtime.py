"""One service process: its pool, store, outbox relay, Kafka consumer and HTTP app, wired.

Start-up order matters: migrate (own schema + event store), start the relay, catch up
from the event store whatever the broker may have lost, then take live events from Kafka.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import random
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from faststream.kafka import KafkaBroker
from faststream.kafka.message import KafkaMessage
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy

from shared import audit, eventstore
from shared import health as health_checks
from shared.broker_watch import (
    OVERTAKEN_LOOK_SECONDS,
    BrokerState,
    BrokerWatch,
    Overtaken,
    install_log_limiter,
)
from shared.catalogue import Catalogue, load_catalogue
from shared.consumer import (
    BATCH_SIZE,
    BatchHandler,
    Consumer,
    Handler,
    Origin,
    RawHandler,
    Record,
)
from shared.contracts.base import EVENT_TYPES
from shared.contracts.events import dead_letter_topic
from shared.db import connect, create_pool, migrate
from shared.door import BodyDoor
from shared.eventstore.store import EventStore
from shared.http import install_error_handlers, install_request_context
from shared.kafka import make_broker, make_producer, wait_for_records_without_sleeping
from shared.logging import configure_logging, get_logger
from shared.offsets import OffsetCommits
from shared.openapi import create_api
from shared.ops_http import HealthSummary, install_ops_routes
from shared.outbox import OutboxRelay
from shared.production import check_production
from shared.relay_wake import listen_for_wakes, runs_relay, send_wakes
from shared.settings import DEFAULT_PORTS, Settings, get_settings, topic_name

log = get_logger(__name__)
CONSUMER_MIGRATIONS = Path(__file__).parent / "consumer_migrations"

# A test hook, inert unless set: with SLRT_TEST_CRASH_AFTER_COMMIT=1 the process exits
# (os._exit, as kill -9 would leave it) after the first Kafka batch whose transaction has
# committed, before its offsets are committed. tests/integration/test_batch_consumer_crash.py
# restarts it and counts: nothing lost, nothing doubled.
_CRASH_AFTER_COMMIT = os.environ.get("SLRT_TEST_CRASH_AFTER_COMMIT") == "1"
CRASH_EXIT_CODE = 86


async def migrate_service(
    dsn: str, name: str, migrations: Path | None, catalogue: Catalogue | None = None
) -> None:
    conn = await connect(dsn)
    try:
        await migrate(conn, eventstore.store.SCHEMA, eventstore.store.MIGRATIONS)
        # The analysts' views over the store and their read-only role (analytics/): here
        # when this connection may make roles (the embedded database's superuser, as in the
        # tests); a service's own least-privilege role leaves it to `shared.dbroles`.
        if await conn.fetchval(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ):
            from analytics.setup import migrate_analytics

            await migrate_analytics(conn, catalogue)
        folders = [CONSUMER_MIGRATIONS, audit.AUDIT_MIGRATIONS] + (
            [migrations] if migrations else []
        )
        await migrate(conn, name, *folders)
    finally:
        await conn.close()


STOP_SECONDS = 10.0
# The periodic store catch-up leaves alone events younger than this (live delivery's).
SETTLED_SECONDS = 5.0
JOIN_SECONDS = 30.0  # a new consumer's start, at most, before the watch tries again
# After the broker came back, the store catch-up runs this often for `WARY_SECONDS`: a
# broker that restarted empty may misplace records (the embedded one writes some below a
# consumer's position), and those then reach the service from the store within seconds
# rather than at the next period.
WARY_CATCH_UP_SECONDS = 2.0
WARY_SECONDS = 60.0


async def _within(part: str, stopping: Awaitable[Any]) -> bool:
    """Await one part's stop for at most `STOP_SECONDS`; False (and a log line) if it was
    cut short or failed."""
    try:
        await asyncio.wait_for(stopping, STOP_SECONDS)
    except TimeoutError:
        log.warning("stop_timed_out", part=part, seconds=STOP_SECONDS)
        return False
    except Exception as exc:
        log.warning("stop_failed", part=part, error=repr(exc))
        return False
    return True


async def cancel_within(tasks: Sequence[asyncio.Task[Any]]) -> None:
    """Cancel `tasks` and wait for them at most `STOP_SECONDS`: a task that will not end
    (one that takes its cancellation for an error and goes on) must not hold a shutdown
    forever; it is logged and left."""
    for t in tasks:
        t.cancel()
    if not tasks:
        return
    done, stuck = await asyncio.wait(tasks, timeout=STOP_SECONDS)
    for t in done:
        if not t.cancelled():
            t.exception()  # retrieved: a task that failed while stopping is no news
    for t in stuck:
        log.warning("task_did_not_stop", task=t.get_name(), seconds=STOP_SECONDS)


async def _the_message_itself(msg: StreamMessage[Any]) -> Any:
    """A subscriber's decoder that hands the handler the message object unchanged."""
    return msg


class ServiceRuntime:
    """Everything one service needs at run time; handlers come from its bootstrap.

    The catalogue (the offices' published standards) is loaded here once, at start-up,
    unless the bootstrap hands one in: a broken catalogue file stops the service, loudly.
    Entrypoints reach it with `get_catalogue` (HTTP) or from their bootstrap (consumers).
    """

    def __init__(
        self,
        name: str,
        *,
        migrations: Path | None,
        handlers: Mapping[str, Handler] | None = None,
        settings: Settings | None = None,
        catalogue: Catalogue | None = None,
        pool_size: int = 10,
        catch_up_seconds: float = 30.0,
        consumer_batch_size: int = BATCH_SIZE,
    ) -> None:
        self.name = name
        self.migrations = migrations
        self.handlers = dict(handlers or {})
        # Where a service applies a run of events at once (its projection's writes batched).
        self.batch_handler: BatchHandler | None = None
        # Topics whose records are not event envelopes (intake: the outside adapters').
        self.raw_handlers: dict[str, RawHandler] = {}
        self.settings = settings or get_settings()
        self.catalogue = catalogue or load_catalogue(self.settings.slrt_catalogue_dir)
        self.pool_size = pool_size
        self.catch_up_seconds = catch_up_seconds
        self.consumer_batch_size = consumer_batch_size  # Kafka records per transaction, at most
        self.freeze_after_start = False  # set by `serve`: see `start`
        self.store = EventStore(owner=name)
        self._pool: asyncpg.Pool | None = None
        self.broker: KafkaBroker | None = None
        self.consumer: Consumer | None = None
        self.relay: OutboxRelay | None = None
        self._stop_wakes: Callable[[], None] = lambda: None  # shared/relay_wake.py
        self._tasks: list[asyncio.Task[Any]] = []
        self.consuming = asyncio.Event()  # set once the Kafka consumer has joined its group
        # Cleared while the broker is away or the consumer is being replaced (see
        # shared/broker_watch.py); `/health` reads both.
        self.watch: BrokerWatch | None = None
        self._subscribe: Callable[[KafkaBroker], Any] | None = None
        self._joining: asyncio.Task[None] | None = None  # the first join, in the background
        self._dropping: asyncio.Task[None] | None = None  # a lost client being stopped
        self._wary_until = 0.0  # the catch-up runs often until then (after a broker loss)
        self._catch_up_now = asyncio.Event()
        self._subscriber: Any = None  # FastStream's subscriber: its `consumer` is aiokafka's
        self.offsets = OffsetCommits(self.settings.kafka_commit_interval_ms / 1000)

    @property
    def kafka_ok(self) -> bool:
        """The broker reachable and live consumption running (or nothing to consume)."""
        ok = self.watch is None or self.watch.state is BrokerState.OK
        return ok and (self.consuming.is_set() or self.consumer is None)

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError(f"{self.name} is not started")
        return self._pool

    def use_pool(self, pool: asyncpg.Pool) -> None:
        """A one-off command's pool (a dead-letter replay): handlers, no relay, no broker."""
        self._pool = pool

    def topics(self) -> list[str]:
        return sorted({EVENT_TYPES[t].topic for t in self.handlers} | set(self.raw_handlers))

    async def start(self) -> None:
        dsn = self.settings.database_url
        if not dsn:
            raise RuntimeError("DATABASE_URL is not set (make up sets it for you)")
        await migrate_service(dsn, self.name, self.migrations, self.catalogue)
        self._pool = await create_pool(dsn, max_size=self.pool_size)
        producer = make_producer(self.settings, client_id=f"slrt-{self.name}-relay")
        await producer.start()
        if runs_relay():
            self.relay = OutboxRelay(
                self.pool,
                self.name,
                producer,
                interval_seconds=self.settings.outbox_drain_interval_ms / 1000,
                topic_prefix=self.settings.kafka_topic_prefix,
            )
            self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.name}-relay"))
            self._stop_wakes = listen_for_wakes(self.relay.wake)
        else:  # one of several workers: worker 0's relay publishes what this one writes
            self._stop_wakes = send_wakes(self.name)
        self.broker = make_broker(self.settings, client_id=f"slrt-{self.name}")
        if self.handlers or self.raw_handlers:
            broker = self.broker

            async def publish_dead_letter(
                _topic: str, raw: bytes, headers: Sequence[tuple[str, bytes]], key: bytes | None
            ) -> None:
                # The relay's producer: the original key and header bytes go out unchanged.
                await producer.send_and_wait(
                    topic_name(self.settings, dead_letter_topic(self.name)),
                    value=raw,
                    key=key,
                    headers=list(headers),
                )

            self.consumer = Consumer(
                self.pool,
                self.name,
                self.handlers,
                dead_letter=publish_dead_letter,
                batch_size=self.consumer_batch_size,
                batch_handler=self.batch_handler,
            )
            consumer = self.consumer
            offsets = self.offsets
            prefix = self.settings.kafka_topic_prefix

            async def on_events(msg: KafkaMessage) -> None:
                raw = msg.raw_message
                records = raw if isinstance(raw, tuple) else (raw,)
                before = consumer.applied
                try:
                    await self._deliver(consumer, records, prefix)
                except BaseException:
                    await msg.nack()  # back to the batch's first offsets: it comes again
                    raise
                if _CRASH_AFTER_COMMIT and consumer.applied > before:
                    log.warning("test_hook_crash_after_commit", applied=consumer.applied)
                    os._exit(CRASH_EXIT_CODE)
                # Committed now or within the interval (`shared/offsets.py`), never before
                # the batch's transaction.
                await offsets.applied(msg.consumer, records)

            def subscribe(to: KafkaBroker) -> Any:
                subscriber = to.subscriber(
                    *(topic_name(self.settings, t) for t in self.topics()),
                    group_id=topic_name(self.settings, f"slrt-{self.name}"),
                    auto_offset_reset="earliest",
                    session_timeout_ms=self.settings.kafka_session_timeout_ms,
                    heartbeat_interval_ms=self.settings.kafka_heartbeat_interval_ms,
                    fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
                    batch_timeout_ms=self.settings.kafka_batch_wait_ms,
                    title=f"{self.name}-events",
                    # What the broker has, up to a bound, in one transaction; the offsets
                    # are committed by hand, after the batch's transactions have committed.
                    batch=True,
                    max_records=consumer.batch_size,
                    ack_policy=AckPolicy.MANUAL,
                    # The handler takes the message itself as its "body": FastStream neither
                    # decodes each record's JSON (the consumer does, once) nor resolves a
                    # context parameter (its dependency injection did so on a worker thread).
                    decoder=_the_message_itself,
                )
                subscriber(on_events)
                return subscriber

            wait_for_records_without_sleeping()
            self._subscriber = subscribe(broker)
            self._subscribe = subscribe  # again on a new broker client (`_replace_consumer`)

        self._producer = producer
        if self.consumer is not None:
            # The store first (what the broker may have lost), then live events. Joining the
            # consumer group takes seconds on some brokers, so it happens in the background:
            # HTTP is up meanwhile, and nothing is missed (the group starts from its committed
            # offsets, or from the earliest for a new group).
            await self.consumer.catch_up()
            self._joining = asyncio.create_task(self._start_broker(), name="broker-start")
            self._tasks.append(self._joining)
            self._tasks.append(asyncio.create_task(self._catch_up_loop(), name="catch-up"))
            self._tasks.append(asyncio.create_task(self._overtaken_loop(), name="overtaken"))
        else:
            await self.broker.start()
        self._start_watch()
        if self.freeze_after_start:
            # What start-up built (modules, the app's routes and models, the catalogue)
            # lives as long as the process: kept out of the collector's full passes, which
            # otherwise walk it all and stop the event loop for 50-100 ms each time (a
            # latency tail). Only in a service's own process (`serve`): a test process
            # starting many runtimes would keep each one's leftovers for good.
            gc.collect()
            gc.freeze()
        log.info("service_started", topics=self.topics(), relay=self.relay is not None)

    async def _deliver(self, consumer: Consumer, records: Sequence[Any], prefix: str) -> None:
        """One batch of Kafka records, in order: runs of event records go to the consumer
        as one batch; a record of a raw topic (the outside adapters') to its handler."""
        run: list[Record] = []
        for record in records:
            topic = record.topic.removeprefix(prefix)
            origin = Origin(key=record.key, headers=tuple(record.headers or ()))
            raw_handler = self.raw_handlers.get(topic)
            if raw_handler is None:
                run.append(Record(record.value, topic, origin))
                continue
            if run:
                await consumer.deliver_batch(run)
                run = []
            await consumer.deliver_raw(record.value, raw_handler, topic=topic, origin=origin)
        if run:
            await consumer.deliver_batch(run)

    async def _start_broker(self) -> None:
        assert self.broker is not None
        try:
            await self._joined()
        except Exception as exc:
            # The broker went away while we joined: the watch replaces the consumer.
            log.warning("consumer_join_failed", error=repr(exc))
            if self.watch is not None:
                self.watch.force()
            return
        self.consuming.set()
        log.info("consumer_joined", topics=self.topics())

    def _start_watch(self) -> None:
        self.watch = BrokerWatch(
            self.settings, restart=self._replace_consumer, on_lost=self._consumer_lost
        )
        install_log_limiter(self.watch)
        self._tasks.append(asyncio.create_task(self.watch.run(), name="broker-watch"))

    def _consumer_lost(self) -> None:
        """The broker is away or forgot us: not consuming, and the Kafka client let go now
        (within `STOP_SECONDS`), so that its group is gone before the broker is back."""
        self.consuming.clear()
        self.offsets.forget()
        if self._dropping is None and self.consumer is not None:
            self._dropping = asyncio.create_task(self._drop_client(), name="broker-drop")
            self._tasks.append(self._dropping)

    async def _drop_client(self) -> None:
        if self._joining is not None and not self._joining.done():
            self._joining.cancel()  # a first join begun before the loss
            await asyncio.wait([self._joining], timeout=STOP_SECONDS)
        old, self.broker, self._subscriber = self.broker, None, None
        if old is not None:
            await _within("broker client", old.stop())

    async def _replace_consumer(self) -> None:
        """After the broker was lost: a new Kafka client for the subscriber, live once the
        broker has given it partitions; then the store's catch-up at once for whatever the
        broker lost."""
        if self.consumer is None or self._subscribe is None:
            return
        started = time.monotonic()
        self._consumer_lost()
        assert self._dropping is not None
        await self._dropping
        self._dropping = None
        self.broker = make_broker(self.settings, client_id=f"slrt-{self.name}")
        self._subscriber = self._subscribe(self.broker)
        dropped = time.monotonic()
        await asyncio.wait_for(self._joined(), JOIN_SECONDS)
        joined = time.monotonic()
        caught = await self.consumer.catch_up()
        self.consuming.set()
        self._wary_until = time.monotonic() + WARY_SECONDS
        self._catch_up_now.set()
        log.warning(
            "consumer_replaced",
            caught_up_from_store=caught,
            drop_seconds=round(dropped - started, 2),
            join_seconds=round(joined - dropped, 2),
            catch_up_seconds=round(time.monotonic() - joined, 2),
        )

    async def _joined(self) -> None:
        """Start the broker client and wait until its consumer has partitions assigned."""
        assert self.broker is not None
        await self.broker.start()
        while True:
            client = getattr(self._subscriber, "consumer", None)
            if client is not None and client.assignment():
                return
            await asyncio.sleep(0.05)

    async def _overtaken_loop(self) -> None:
        """Read a partition again from its beginning when the broker writes below the
        consumer's position (shared/broker_watch.py, `Overtaken`)."""
        overtaken = Overtaken()
        while True:
            await asyncio.sleep(OVERTAKEN_LOOK_SECONDS)
            client = getattr(self._subscriber, "consumer", None)
            if client is None or not self.consuming.is_set():
                continue
            try:
                for tp in client.assignment():
                    position = await asyncio.wait_for(client.position(tp), 1.0)
                    if overtaken.look(tp, position, client.highwater(tp)):
                        log.warning(
                            "partition_overtaken",
                            topic=tp.topic,
                            partition=tp.partition,
                            position=position,
                            highwater=client.highwater(tp),
                        )
                        await client.seek_to_beginning(tp)
            except Exception as exc:  # a client being replaced, a partition revoked
                log.info("overtaken_look_skipped", error=repr(exc))

    async def _catch_up_loop(self) -> None:
        assert self.consumer is not None
        while True:
            # Each service's period drawn apart (within a fifth of it): services started
            # together otherwise read the store at the same moments, every half-minute.
            period = self.catch_up_seconds * random.uniform(0.8, 1.2)  # noqa: S311 (timing only)
            wary = time.monotonic() < self._wary_until
            if wary:
                period = min(period, WARY_CATCH_UP_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._catch_up_now.wait(), period)
            self._catch_up_now.clear()
            # Only what has been in the store a few seconds: live delivery applies the rest
            # within a second (no store read, decode and insert twice); an event the broker
            # lost is applied within one period and those seconds. When live delivery has
            # lagged further (a burst), that much more is left to it: a catch-up taking
            # the same events would hold live delivery's batch on their row locks, then
            # one of the two would have worked for nothing. Not while the broker is
            # suspect (wary): then the store is the one to trust.
            settled = min(period, SETTLED_SECONDS)
            lag = self.consumer.live_lag_since_asked()
            if not wary:
                settled += lag
            try:
                n = await self.consumer.catch_up(settled_seconds=settled)
                if n:
                    log.warning("caught_up_from_store", applied=n)
            except Exception as exc:
                log.warning("catch_up_failed", error=repr(exc))

    async def stop(self) -> None:
        """Stop everything, each part within `STOP_SECONDS`: a broker that keeps its
        consumer group rebalancing (or a task that will not end) must not hold a shutdown
        forever; what is cut short is logged, and Kafka drops the member by itself."""
        await cancel_within(self._tasks)
        self._tasks.clear()
        self._stop_wakes()
        if self.broker is not None:
            await _within("offsets", self.offsets.close())  # before the client stops
            await _within("broker", self.broker.stop())
        if getattr(self, "_producer", None) is not None:
            await _within("producer", self._producer.stop())
        if self._pool is not None:
            pool, self._pool = self._pool, None
            if not await _within("pool", pool.close()):
                pool.terminate()
        log.info("service_stopped")

    @asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str = "",
    html_errors: bool = False,
    own_reads_max_bytes: int | None = None,
) -> FastAPI:
    """The service's HTTP app: error shape, request context and access log, the door
    (no body read before the caller is let in, bodies bounded: `shared.door`), health,
    metrics, offline docs. `html_errors`: its 4xx are pages (the staff web app);
    `own_reads_max_bytes`: the door's limit for bodies routes read themselves."""
    app = create_api(
        title=title, description=description, lifespan=runtime.lifespan, html_errors=html_errors
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    # Inside the request context and access log: the door's refusals are logged as any.
    app.add_middleware(BodyDoor, own_reads_max_bytes=own_reads_max_bytes)
    install_request_context(app, service=runtime.name, access_log=runtime.settings.slrt_access_log)
    app.include_router(audit.router)  # the auditor's read of the audit log, in every service

    @app.get("/health", tags=["ops"], response_model=HealthSummary)
    async def health() -> dict[str, Any]:
        """The process answers (200 whatever its state); `consuming` says whether its
        consumer has joined, `kafka` what the broker watch last saw (ok | unreachable |
        recovering; `status` is `degraded` meanwhile). Probes use `/health/live` and
        `/health/ready`."""
        kafka_ok = runtime.kafka_ok
        return {
            "service": runtime.name,
            "status": "ok" if kafka_ok else "degraded",
            "topics": runtime.topics(),
            "consuming": kafka_ok and (runtime.consuming.is_set() or not runtime.handlers),
            "kafka": runtime.watch.state.value if runtime.watch else "starting",
        }

    async def readiness() -> health_checks.Readiness:
        return await health_checks.check(
            runtime._pool,
            service=runtime.name,
            settings=runtime.settings,
            consumes=sorted(runtime.handlers),
            consuming=runtime.kafka_ok and runtime.consuming.is_set(),
        )

    install_ops_routes(app, service=runtime.name, readiness=readiness)
    return app


def get_runtime(request: Request) -> ServiceRuntime:
    rt = request.app.state.runtime
    assert isinstance(rt, ServiceRuntime)
    return rt


async def get_catalogue(request: Request) -> Catalogue:
    """The catalogue the service's bootstrap gave its runtime (a FastAPI dependency;
    `async` so FastAPI does not hop to its thread pool for it on every request)."""
    return get_runtime(request).catalogue


def serve(app: FastAPI, name: str, *, sockets: list[socket.socket] | None = None) -> None:
    """Run one service's process (`python -m services.<name>`), on its own port or on the
    listening `sockets` it was handed (a worker of several: `shared/workers.py`); in
    production, only with real secrets (`shared.production`)."""
    settings = get_settings()
    configure_logging(name)
    check_production(settings, name)
    port = settings.slrt_http_port or DEFAULT_PORTS[name]
    runtime = getattr(app.state, "runtime", None)
    if isinstance(runtime, ServiceRuntime):
        runtime.freeze_after_start = True
    config = uvicorn.Config(
        app, host=settings.slrt_http_host, port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    server.run(sockets=sockets)
    if not server.started:
        raise SystemExit(3)  # as uvicorn.run: the app failed to start


Rebuild = Callable[[asyncpg.Pool], Awaitable[str]]


def service_main(
    name: str,
    argv: list[str],
    create_app: Callable[[], FastAPI],
    *,
    migrations: Path | None,
    rebuild: Rebuild | None = None,
    **more: Any,
) -> None:
    """`python -m services.<name> [serve|rebuild|dead-letters …|--help]`: see
    shared/service_cli.py (`more`: `consumes`, the service's own `commands`)."""
    from shared.service_cli import service_main as run

    run(name, argv, create_app, migrations=migrations, rebuild=rebuild, **more)
