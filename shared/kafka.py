"""Kafka clients from settings: the FastStream broker for consumers, a raw producer for relays.

Producer settings come from configuration only: Apache Kafka gets the idempotent producer,
the embedded Tansu broker (which refuses InitProducerId) gets it turned off. Every client
(producer, FastStream's consumer, the admin client) authenticates the same way, from
`KAFKA_SECURITY_PROTOCOL` and the SASL settings (deploy/: SASL/SCRAM, one user per process).
"""

from __future__ import annotations

import asyncio
import itertools
import ssl
import time
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity, SASLScram256, SASLScram512

from shared import metrics
from shared.contracts.adapters import ADAPTERS_TOPIC
from shared.contracts.events import ALL_TOPICS, dead_letter_topic
from shared.settings import Settings, topic_name

SERVICES = ("intake", "eligibility", "documents", "casework", "notifications")


def _bootstrap(settings: Settings) -> str:
    if not settings.kafka_bootstrap_servers:
        raise RuntimeError("KAFKA_BOOTSTRAP_SERVERS is not set (make up sets it for you)")
    return settings.kafka_bootstrap_servers


def _ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.kafka_security_protocol != "SASL_SSL":
        return None
    return ssl.create_default_context(cafile=settings.kafka_ssl_cafile)


def security(settings: Settings) -> BaseSecurity | None:
    """FastStream's security object for `settings` (None: PLAINTEXT, the embedded broker)."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        return None
    if not (settings.kafka_sasl_username and settings.kafka_sasl_password):
        raise RuntimeError(
            f"KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs "
            "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
        )
    scram = SASLScram512 if settings.kafka_sasl_mechanism == "SCRAM-SHA-512" else SASLScram256
    use_ssl = settings.kafka_security_protocol == "SASL_SSL"
    return scram(
        settings.kafka_sasl_username,
        settings.kafka_sasl_password,
        ssl_context=_ssl_context(settings),
        use_ssl=use_ssl,
    )


def client_security(settings: Settings) -> dict[str, Any]:
    """The same, as aiokafka's keyword arguments (producers, the admin client)."""
    sec = security(settings)
    if sec is None:
        return {}
    return {
        "security_protocol": settings.kafka_security_protocol,
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": settings.kafka_sasl_password,
        "ssl_context": sec.ssl_context,
    }


def producer_options(settings: Settings) -> dict[str, Any]:
    return {
        "bootstrap_servers": _bootstrap(settings),
        "enable_idempotence": settings.kafka_enable_idempotence,
        "acks": "all",
        "linger_ms": settings.kafka_linger_ms,
        **client_security(settings),
    }


def make_admin(settings: Settings) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(
        bootstrap_servers=_bootstrap(settings),
        client_id=settings.kafka_sasl_username or "slrt-admin",
        **client_security(settings),
    )


def make_producer(settings: Settings, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(client_id=client_id, **producer_options(settings))


def make_broker(settings: Settings, client_id: str) -> KafkaBroker:
    opts = producer_options(settings)
    return KafkaBroker(
        opts.pop("bootstrap_servers"),
        client_id=client_id,
        enable_idempotence=opts["enable_idempotence"],
        acks=opts["acks"],
        linger_ms=opts["linger_ms"],
        security=security(settings),
        logger=None,  # structlog carries our own canonical lines
        middlewares=(metrics.kafka_middleware(client_id),),
        # No dependency injection: the one subscriber (shared/runtime.py) takes the
        # message as it is, so nothing is resolved (or run on a worker thread) per batch.
        apply_types=False,
    )


# Processes that consume events besides the five services: the staff web app (live pages).
OTHER_CONSUMERS = ("dashboard",)


def all_topic_names() -> list[str]:
    consumers = (*SERVICES, *OTHER_CONSUMERS)
    return [*ALL_TOPICS, ADAPTERS_TOPIC, *(dead_letter_topic(s) for s in consumers)]


async def ensure_topics(
    settings: Settings, names: list[str] | None = None, *, admin: AIOKafkaAdminClient | None = None
) -> list[str]:
    """Create the topics that do not exist yet; return the names created. With `admin`,
    an admin client already started (the broker watch's, kept between its looks);
    otherwise one made for this call."""
    if admin is not None:
        return await _ensure_topics(settings, names, admin)
    own = make_admin(settings)
    await own.start()
    try:
        return await _ensure_topics(settings, names, own)
    finally:
        await own.close()


async def _ensure_topics(
    settings: Settings, names: list[str] | None, admin: AIOKafkaAdminClient
) -> list[str]:
    existing = set(await admin.list_topics())
    all_names = names or [topic_name(settings, n) for n in all_topic_names()]
    wanted = [n for n in all_names if n not in existing]
    if wanted:
        await admin.create_topics(
            [
                NewTopic(
                    n,
                    num_partitions=settings.kafka_topic_partitions,
                    replication_factor=settings.kafka_topic_replication_factor,
                )
                for n in wanted
            ]
        )
    return wanted


async def topic_partitions(settings: Settings, names: list[str]) -> dict[str, int]:
    """How many partitions each named topic has (0: it does not exist)."""
    admin = make_admin(settings)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    found = {d["topic"]: len(d.get("partitions") or []) for d in described if not d["error_code"]}
    return {n: found.get(n, 0) for n in names}


def wait_for_records_without_sleeping() -> None:
    """FastStream 0.7's batch subscriber (`BatchSubscriber.get_msg`) waits up to
    `batch_timeout_ms` for records, and when none came, sleeps as long again before it
    looks. A record arriving during that sleep waits for it: up to `batch_timeout_ms` more
    on every hop of a quiet pipeline. So a short timeout was needed for latency, and an
    idle consumer woke 25 times a second (2-3% of a core each, six processes).

    Here the look is the same but without the sleep: aiokafka's `getmany` returns as soon
    as records arrive, so the timeout (`KAFKA_BATCH_WAIT_MS`) can be long (an idle consumer
    wakes twice a second) and a record is taken the moment it is fetched. A look that came
    back empty before its time (no partitions assigned yet, say) still pauses briefly, so
    the loop never spins. Installed once per process by the service runtime; the pinned
    FastStream's own `get_msg` is checked to be the one this replaces
    (tests/unit/test_kafka_batch_wait.py)."""
    from faststream.kafka.subscriber.usecase import BatchSubscriber

    if getattr(BatchSubscriber.get_msg, "_slrt", False):
        return

    async def get_msg(self: BatchSubscriber, consumer: Any) -> tuple[Any, ...]:
        started = time.monotonic()
        messages = await consumer.getmany(
            timeout_ms=self.batch_timeout_ms, max_records=self.max_records
        )
        if not messages:
            if time.monotonic() - started < self.batch_timeout_ms / 2000:
                await asyncio.sleep(0.05)  # back early with nothing: never spin
            return ()
        return tuple(itertools.chain(*messages.values()))

    get_msg._slrt = True  # type: ignore[attr-defined]
    get_msg._replaced = BatchSubscriber.get_msg  # type: ignore[attr-defined]
    BatchSubscriber.get_msg = get_msg  # type: ignore[method-assign]
