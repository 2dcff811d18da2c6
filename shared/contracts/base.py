"""The event envelope and the base every cross-service event schema derives from.

An event is a fact in the past tense. Its *payload* is a frozen pydantic model with a
schema version; the *envelope* carries who, when, which case and which stream. Old payloads
stay readable: an upcaster lifts an older schema version to the current one on read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.vocab import Channel


class Event(BaseModel):
    """Base of every event payload. Subclasses set `event_type` and `schema_version`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    topic: ClassVar[str]


EVENT_TYPES: dict[str, type[Event]] = {}
# (event_type, from_version) -> function lifting the data dict by one version.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


def register(cls: type[Event]) -> type[Event]:
    """Class decorator: make an event type known by name (for reading it back)."""
    if cls.event_type in EVENT_TYPES:
        raise ValueError(f"event type {cls.event_type!r} registered twice")
    EVENT_TYPES[cls.event_type] = cls
    return cls


def upcaster(
    event_type: str, from_version: int
) -> Callable[
    [Callable[[dict[str, Any]], dict[str, Any]]], Callable[[dict[str, Any]], dict[str, Any]]
]:
    def deco(
        fn: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        UPCASTERS[(event_type, from_version)] = fn
        return fn

    return deco


class UnknownEventType(ValueError):
    pass


def decode_payload(event_type: str, schema_version: int, data: dict[str, Any]) -> Event:
    """Validate stored data as the current schema, upcasting older versions first."""
    cls = EVENT_TYPES.get(event_type)
    if cls is None:
        raise UnknownEventType(event_type)
    version = schema_version
    while version < cls.schema_version:
        lift = UPCASTERS.get((event_type, version))
        if lift is None:
            raise ValueError(f"no upcaster for {event_type} v{version}")
        data = lift(data)
        version += 1
    return cls.model_validate(data)


class EventMetadata(BaseModel):
    """Who and what an event is about, given by the command that caused it."""

    model_config = ConfigDict(frozen=True)

    case_id: UUID | None = Field(default=None, description="The case this fact belongs to.")
    office: str | None = Field(default=None, description="Catalogue id of the office.")
    correlation_id: UUID = Field(default_factory=uuid4, description="Same for one whole flow.")
    causation_id: UUID | None = Field(default=None, description="Event id that caused this one.")
    actor: str = Field(
        default="system",
        description="'staff:<id>', 'citizen', or 'system:<service>'.",
        examples=["staff:lmj-kabid-01", "citizen", "system:eligibility"],
    )
    channel: Channel | None = Field(default=None, description="Channel the request came through.")

    def caused_by(self, envelope: EventEnvelope, actor: str) -> EventMetadata:
        """Metadata for an event caused by `envelope`: same case and flow, new actor."""
        return EventMetadata(
            case_id=envelope.case_id,
            office=envelope.office,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
            actor=actor,
            channel=envelope.channel,
        )


class EventEnvelope(BaseModel):
    """One recorded event as it is stored and as it travels on Kafka."""

    model_config = ConfigDict(frozen=True)

    event_id: UUID = Field(description="Unique id; consumers deduplicate on it.")
    event_type: str = Field(examples=["ComplaintRegistered"])
    schema_version: int = Field(ge=1)
    stream_id: str = Field(examples=["complaint-5b0c..."])
    stream_version: int = Field(ge=1, description="Position within its stream, from 1.")
    global_position: int | None = Field(default=None, description="Position in the store.")
    case_id: UUID | None = None
    office: str | None = None
    correlation_id: UUID
    causation_id: UUID | None = None
    actor: str
    channel: Channel | None = None
    occurred_at: datetime
    recorded_at: datetime | None = None
    data: dict[str, Any]

    def payload(self) -> Event:
        return decode_payload(self.event_type, self.schema_version, self.data)

    def metadata(self) -> EventMetadata:
        return EventMetadata(
            case_id=self.case_id,
            office=self.office,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            actor=self.actor,
            channel=self.channel,
        )
