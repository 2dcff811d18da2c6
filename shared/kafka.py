"""Kafka clients from settings: the FastStream broker for consumers, a raw producer for relays.

Producer settings come from configuration only: Apache Kafka gets the idempotent producer,
the embedded Tansu broker (which refuses InitProducerId) gets it turned off.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from faststream.kafka import KafkaBroker

from shared import metrics
from shared.contracts.adapters import ADAPTERS_TOPIC
from shared.contracts.events import ALL_TOPICS, dead_letter_topic
from shared.settings import Settings, topic_name

SERVICES = ("intake", "eligibility", "documents", "casework", "notifications")


def _bootstrap(settings: Settings) -> str:
    if not settings.kafka_bootstrap_servers:
        raise RuntimeError("KAFKA_BOOTSTRAP_SERVERS is not set (make up sets it for you)")
    return settings.kafka_bootstrap_servers


def producer_options(settings: Settings) -> dict[str, Any]:
    return {
        "bootstrap_servers": _bootstrap(settings),
        "enable_idempotence": settings.kafka_enable_idempotence,
        "acks": "all",
        "linger_ms": settings.kafka_linger_ms,
    }


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


async def ensure_topics(settings: Settings, names: list[str] | None = None) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=_bootstrap(settings), client_id="slrt-admin")
    await admin.start()
    try:
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
    finally:
        await admin.close()


async def topic_partitions(settings: Settings, names: list[str]) -> dict[str, int]:
    """How many partitions each named topic has (0: it does not exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=_bootstrap(settings), client_id="slrt-admin")
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    found = {d["topic"]: len(d.get("partitions") or []) for d in described if not d["error_code"]}
    return {n: found.get(n, 0) for n in names}
