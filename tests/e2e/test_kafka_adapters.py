"""Intake's outside doors over the five real processes (issue 12, points 1 and 7).

An outside channel adapter publishes on the public topic `slrt.intake.adapters` with
confluent-kafka (librdkafka 2.x from PyPI: an outside client library, not SLRT's aiokafka):
its WhatsApp message becomes a case in casework, a redelivery makes no second case, and a
message for an unknown office or one that breaks the schema is kept as rejected with its
reason and appears on `slrt.intake.dead-letter` with its original key and headers (read
back with confluent-kafka too). A forged webhook is kept with the office its door names.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx
import orjson
import pytest

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_seeds import whatsapp_body
from tests.e2e.test_slices import h, wait_for
from tests.outside_kafka import (
    Record,
    adapter_message,
    consume_until,
    publish_adapter_message,
)

pytestmark = pytest.mark.e2e

PREFIX = "e2e."  # the stack's KAFKA_TOPIC_PREFIX (tests/e2e/conftest.py)
COMPLAINT = "Bantuan PKH saya belum cair sejak Agustus, mohon dibantu"


def _bootstrap(stack: Stack) -> str:
    bootstrap = stack.infra.kafka_bootstrap_servers
    assert bootstrap
    return bootstrap


def _inbound(c: httpx.Client, stack: Stack, who: dict[str, str], **params: Any) -> list[Any]:
    r = c.get(f"{stack.url('intake')}/v1/inbound", params={"limit": 500, **params}, headers=who)
    assert r.status_code == 200, r.text
    items: list[Any] = r.json()["items"]
    return items


def _decided(
    c: httpx.Client, stack: Stack, who: dict[str, str], external_id: str, n: int = 1
) -> list[dict[str, Any]]:
    """The `n` messages intake kept for this external id, once decided."""

    def check() -> list[dict[str, Any]] | None:
        mine = [m for m in _inbound(c, stack, who) if m["external_id"] == external_id]
        done = [m for m in mine if m["status"] != "queued"]
        return done if len(done) >= n else None

    found: list[dict[str, Any]] = wait_for(check, timeout=60, what=f"{external_id} decided")
    return found


def test_an_outside_adapter_message_becomes_a_case_once(stack: Stack) -> None:
    desk = h("kupang", Role.FRONT_OFFICE, staff="kpg-desk-kafka")
    message = adapter_message("kupang", COMPLAINT)
    with httpx.Client(timeout=10) as c:
        publish_adapter_message(_bootstrap(stack), PREFIX, message)
        (first,) = _decided(c, stack, desk, message["external_id"])
        assert (first["status"], first["source"], first["channel"]) == (
            "accepted",
            "kafka-adapter",
            "whatsapp",
        )
        case_id = first["case_id"]

        def in_casework() -> dict[str, Any] | None:
            r = c.get(f"{stack.url('casework')}/v1/cases", headers=desk, params={"limit": 500})
            found = [x for x in r.json()["cases"] if x["case_id"] == case_id]
            return found[0] if found else None

        case = wait_for(in_casework, timeout=60, what="the case in casework")
        assert (case["channel"], case["office"]) == ("whatsapp", "kupang")
        assert case["ticket_number"].startswith("KPN-")

        # The adapter publishes it again (a retry after a timeout): no second case.
        publish_adapter_message(_bootstrap(stack), PREFIX, message)
        both = _decided(c, stack, desk, message["external_id"], n=2)
        assert {m["case_id"] for m in both} == {case_id}
        assert sorted(m["reason"] or "" for m in both) == ["", "duplicate"]
        r = c.get(f"{stack.url('casework')}/v1/cases", headers=desk, params={"limit": 500})
        tickets = [x for x in r.json()["cases"] if x["ticket_number"] == case["ticket_number"]]
        assert len(tickets) == 1


def test_wrong_adapter_messages_are_kept_as_rejected_and_dead_lettered_with_their_origin(
    stack: Stack,
) -> None:
    desk = h("kupang", Role.FRONT_OFFICE, staff="kpg-desk-kafka")
    admin = h("kupang", Role.ADMIN, staff="kpg-admin-kafka")
    no_office = adapter_message("atlantis", COMPLAINT)
    no_time = adapter_message("kupang", COMPLAINT)
    del no_time["received_at"]
    bootstrap = _bootstrap(stack)
    sent = {
        "unknown_office": (no_office, *publish_adapter_message(bootstrap, PREFIX, no_office)),
        "schema_invalid": (no_time, *publish_adapter_message(bootstrap, PREFIX, no_time)),
    }
    with httpx.Client(timeout=10) as c:
        # Unknown office: no office can see it but an administrator.
        (kept,) = _decided(c, stack, admin, no_office["external_id"])
        assert (kept["status"], kept["reason"], kept["office"]) == (
            "rejected",
            "unknown_office",
            None,
        )
        assert not [
            m
            for m in _inbound(c, stack, desk, status="rejected")
            if m["external_id"] == no_office["external_id"]
        ]
        # Schema invalid: kept for Kupang's desk, with the field path.
        (kept,) = _decided(c, stack, desk, no_time["external_id"])
        assert (kept["status"], kept["reason"], kept["office"]) == (
            "rejected",
            "schema_invalid",
            "kupang",
        )
        assert kept["details"]["errors"][0]["loc"] == ["received_at"]
        assert kept in _inbound(c, stack, desk, status="rejected")
        r = c.get(f"{stack.url('intake')}/v1/inbound/{kept['id']}", headers=desk)
        assert orjson.loads(r.json()["body_text"]) == no_time  # the message as received

    for reason, (message, key, headers) in sent.items():

        def same_key(r: Record, k: bytes = key) -> bool:
            return r.key == k

        record = consume_until(bootstrap, f"{PREFIX}slrt.intake.dead-letter", same_key)
        assert orjson.loads(record.value) == message
        assert record.headers["event_id"] == headers["event_id"]
        assert record.headers["correlation_id"] == headers["correlation_id"]
        assert record.headers["reason_code"] == reason
        assert record.headers["reason"].startswith(f"{reason}: ")
        assert record.headers["source_topic"] == "slrt.intake.adapters"


def test_a_forged_webhook_is_kept_for_the_office_its_door_names(stack: Stack) -> None:
    body = whatsapp_body(COMPLAINT, "6281299990002", "Warga Palsu")
    forged = hmac.new(b"not-the-app-secret", body, hashlib.sha256).hexdigest()
    desk = h("kupang", Role.FRONT_OFFICE, staff="kpg-desk-kafka")
    with httpx.Client(timeout=10) as c:
        r = c.post(
            f"{stack.url('intake')}/v1/channels/whatsapp/kupang",
            content=body,
            headers={"X-Hub-Signature-256": f"sha256={forged}"},
        )
        assert r.status_code == 401 and r.json()["error"]["code"] == "signature_invalid"
        inbound_id = r.json()["error"]["details"]["inbound_id"]
        mine = {m["id"]: m for m in _inbound(c, stack, desk, status="rejected")}
        assert mine[inbound_id]["office"] == "kupang"
        assert mine[inbound_id]["reason"] == "signature_invalid"
        other = h("lumajang", Role.FRONT_OFFICE, staff="lmj-desk-kafka")
        assert inbound_id not in {m["id"] for m in _inbound(c, stack, other, status="rejected")}
