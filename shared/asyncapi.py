"""The AsyncAPI document of every topic and event, generated from the event schemas.

`python -m shared.asyncapi --write` writes docs/asyncapi.json; `--check` (run by
`make test`) fails when the schemas changed and the document was not regenerated, so a
contract change is always a visible diff.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from shared.contracts.adapters import ADAPTER_SCHEMA_VERSION, ADAPTERS_TOPIC, AdapterMessage
from shared.contracts.base import EVENT_TYPES, EventEnvelope
from shared.contracts.events import ALL_TOPICS, dead_letter_topic
from shared.kafka import SERVICES
from shared.settings import REPO_ROOT

OUTPUT = REPO_ROOT / "docs" / "asyncapi.json"


def build() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {"EventEnvelope": EventEnvelope.model_json_schema()}
    for name in sorted(EVENT_TYPES):
        cls = EVENT_TYPES[name]
        schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
        for def_name, definition in schema.pop("$defs", {}).items():
            schemas[def_name] = definition
        schemas[name] = schema
        messages[name] = {
            "name": name,
            "title": name,
            "summary": (cls.__doc__ or "").strip().split("\n")[0],
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {
                    "event_type": {"const": name},
                    "event_id": {"type": "string", "format": "uuid"},
                    "correlation_id": {"type": "string", "format": "uuid"},
                },
            },
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/EventEnvelope"},
                    {
                        "type": "object",
                        "properties": {
                            "event_type": {"const": name},
                            "schema_version": {"const": cls.schema_version},
                            "data": {"$ref": f"#/components/schemas/{name}"},
                        },
                    },
                ]
            },
        }
    for topic in ALL_TOPICS:
        owner = topic.split(".")[1]
        names = sorted(n for n, c in EVENT_TYPES.items() if c.topic == topic)
        channels[topic] = {
            "address": topic,
            "description": f"Events owned by the {owner} service; key = case id.",
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
        }
        operations[f"{owner}.publish"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
            "summary": f"{owner} publishes through its transactional outbox.",
        }
    _adapters(channels, operations, messages, schemas)
    for service in SERVICES:
        dlq = dead_letter_topic(service)
        channels[dlq] = {
            "address": dlq,
            "description": (
                f"What {service} could not decode, apply or accept, as received, with the "
                "original key and headers (`event_id`, `correlation_id`, …); added headers "
                "carry `reason`, `source_topic` and, for a refusal, `reason_code`."
            ),
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "SLRT events",
            "version": "1.0.0",
            "description": "Cross-service events of SLRT. Generated; do not edit by hand.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _adapters(
    channels: dict[str, Any],
    operations: dict[str, Any],
    messages: dict[str, Any],
    schemas: dict[str, Any],
) -> None:
    """The public topic outside channel adapters publish to (not an envelope)."""
    schema = AdapterMessage.model_json_schema(ref_template="#/components/schemas/{model}")
    for def_name, definition in schema.pop("$defs", {}).items():
        schemas[def_name] = definition
    schemas["AdapterMessage"] = schema
    messages["AdapterMessage"] = {
        "name": "AdapterMessage",
        "title": f"AdapterMessage v{ADAPTER_SCHEMA_VERSION}",
        "summary": (AdapterMessage.__doc__ or "").strip().split("\n")[0],
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {
                "event_id": {
                    "type": "string",
                    "format": "uuid",
                    "description": "A UUID the adapter gives each record.",
                },
                "correlation_id": {
                    "type": "string",
                    "format": "uuid",
                    "description": "Follows the message through SLRT's logs and events.",
                },
            },
        },
        "payload": {"$ref": "#/components/schemas/AdapterMessage"},
        "bindings": {
            "kafka": {"key": {"type": "string", "description": "The message's external id."}}
        },
    }
    channels[ADAPTERS_TOPIC] = {
        "address": ADAPTERS_TOPIC,
        "description": (
            "Public: outside channel adapters publish one AdapterMessage per citizen message "
            "(plain JSON, not an event envelope; key = external id). Intake keeps each as "
            "its own doors do, de-duplicates by channel and external id, and registers or "
            "triages it; a message it refuses (`schema_invalid`, `unknown_channel`, "
            "`unknown_office`, `unsupported_schema_version`, "
            "`attachment_checksum_mismatch`) is kept as rejected and copied to "
            "slrt.intake.dead-letter. In production only adapters may write (broker ACLs)."
        ),
        "messages": {"AdapterMessage": {"$ref": "#/components/messages/AdapterMessage"}},
    }
    operations["adapters.publish"] = {
        "action": "send",
        "channel": {"$ref": f"#/channels/{ADAPTERS_TOPIC}"},
        "summary": "An outside channel adapter publishes a citizen's message.",
    }
    operations["intake.receiveAdapterMessage"] = {
        "action": "receive",
        "channel": {"$ref": f"#/channels/{ADAPTERS_TOPIC}"},
        "summary": "Intake keeps, de-duplicates and routes it like its own doors' messages.",
    }


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--write", action="store_true")
    p.add_argument("--check", action="store_true")
    a = p.parse_args(argv)
    text = render()
    if a.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(
                "docs/asyncapi.json is out of date with the event schemas: run `make asyncapi`",
                file=sys.stderr,
            )
            return 1
        print("asyncapi: up to date")
        return 0
    if a.write:
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        OUTPUT.write_text(text)
        print(f"wrote {OUTPUT.relative_to(REPO_ROOT)}")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
