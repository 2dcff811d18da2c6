"""An outside Kafka client, as a channel adapter would use one: confluent-kafka (librdkafka
2.x from PyPI), never SLRT's own aiokafka. Synchronous, like most adapters; async tests call
it through `asyncio.to_thread`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

from shared.contracts.adapters import ADAPTERS_TOPIC


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str]


def produce(
    bootstrap: str,
    topic: str,
    value: bytes,
    *,
    key: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Publish one record and wait until the broker has it."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "client.id": "outside-adapter",
            # Tansu (the embedded broker) refuses InitProducerId; Apache Kafka would not mind.
            "enable.idempotence": False,
            "acks": "all",
        }
    )
    errors: list[Any] = []
    producer.produce(
        topic,
        value=value,
        key=key,
        headers=[(k, v.encode()) for k, v in (headers or {}).items()],
        on_delivery=lambda err, _msg: errors.append(err) if err is not None else None,
    )
    left = producer.flush(30)
    if left or errors:
        raise KafkaException(errors[0] if errors else "not delivered in 30 s")


def _bytes(value: str | bytes | None) -> bytes | None:
    return value.encode() if isinstance(value, str) else value


def _headers(raw: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw or []:
        out[str(name)] = value.decode("utf-8", "replace") if isinstance(value, bytes) else ""
    return out


def consume_until(
    bootstrap: str, topic: str, match: Callable[[Record], bool], *, timeout: float = 40.0
) -> Record:
    """Read `topic` from the beginning until a record matches. The reader assigns itself
    every partition (as a tool that tails a topic does) rather than joining a group: a
    group join costs seconds of rebalance on every call and proves nothing here."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"outside-reader-{uuid.uuid4().hex[:8]}",  # never joined
            "enable.auto.commit": False,
        }
    )
    seen: list[Record] = []
    deadline = time.monotonic() + timeout
    try:
        partitions: list[int] = []
        while not partitions and time.monotonic() < deadline:
            found = consumer.list_topics(topic, timeout=5).topics.get(topic)
            partitions = sorted(found.partitions) if found and not found.error else []
            if not partitions:
                time.sleep(0.2)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error() is not None:
                continue
            record = Record(
                topic=msg.topic() or topic,
                key=_bytes(msg.key()),
                value=_bytes(msg.value()) or b"",
                headers=_headers(msg.headers()),
            )
            if match(record):
                return record
            seen.append(record)
    finally:
        consumer.close()
    raise AssertionError(f"no matching record on {topic} within {timeout}s; saw {len(seen)}")


def adapter_message(
    office: str, text: str, *, channel: str = "whatsapp", **fields: Any
) -> dict[str, Any]:
    """An `AdapterMessage` v1 as an outside WhatsApp bridge would write it (synthetic)."""
    external_id = fields.pop("external_id", f"wamid.OUT{uuid.uuid4().hex[:16].upper()}")
    message = {
        "schema_version": 1,
        "channel": channel,
        "office": office,
        "external_id": external_id,
        "received_at": datetime.now(UTC).isoformat(),
        "sender": {"name": "Warga Uji", "phone": "+6281299990001"},
        "text": text,
        "attachments": [],
        "raw": {"from": "6281299990001", "id": external_id, "type": "text"},
    }
    message.update(fields)
    return message


def publish_adapter_message(
    bootstrap: str, prefix: str, message: dict[str, Any] | bytes
) -> tuple[bytes, dict[str, str]]:
    """Publish as an adapter does (key = external id, event and correlation ids in the
    headers); return the key and headers it used."""
    value = message if isinstance(message, bytes) else orjson.dumps(message)
    ext = message.get("external_id") if isinstance(message, dict) else None
    key = str(ext or uuid.uuid4()).encode()
    headers = {"event_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())}
    produce(bootstrap, prefix + ADAPTERS_TOPIC, value, key=key, headers=headers)
    return key, headers
