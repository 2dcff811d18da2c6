"""Cross-service contracts: the envelope, the events, and the shared vocabulary."""

from shared.contracts.base import (
    EVENT_TYPES,
    Event,
    EventEnvelope,
    EventMetadata,
    UnknownEventType,
    decode_payload,
)
from shared.contracts.events import *  # noqa: F403  (the event catalogue is the public API)
from shared.contracts.vocab import Channel, DurationUnit, Role

__all__ = [
    "EVENT_TYPES",
    "Channel",
    "DurationUnit",
    "Event",
    "EventEnvelope",
    "EventMetadata",
    "Role",
    "UnknownEventType",
    "decode_payload",
]
