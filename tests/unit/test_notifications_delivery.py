"""The delivery rules (pure): back-off with jitter and Retry-After, the last attempt, the
24-hour window, who is reached on which channel; and intake's reading of WhatsApp's
status webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from services.intake.adapters.channels.statuses import parse_whatsapp_statuses
from services.notifications.domain.contacts import Contact, choose_contact
from services.notifications.domain.outgoing import (
    Delivered,
    Failed,
    RetryPolicy,
    SendResult,
    TryAgain,
    after_attempt,
    in_session_window,
    task_kind,
)
from shared.contracts.vocab import Channel

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_the_default_schedule_outlasts_a_provider_down_for_five_minutes() -> None:
    policy = RetryPolicy()
    assert policy.min_span() >= 5 * 60
    assert [policy.backoff(a, 1.0) for a in (1, 2, 3, 9, 10)] == [2, 4, 8, 300, 300]
    assert policy.backoff(3, 0.0) == 4  # never less than half


def test_an_attempt_leads_to_delivered_retry_or_failure() -> None:
    policy = RetryPolicy(max_attempts=3, base_seconds=1, cap_seconds=10)

    def outcome(result: SendResult, attempts: int) -> Delivered | TryAgain | Failed:
        return after_attempt(
            result, attempts=attempts, policy=policy, now=NOW, jitter=1.0, default_how="x"
        )

    assert outcome(SendResult(ok=True, provider_message_id="m1"), 1) == Delivered("m1", "x", 1)
    assert outcome(SendResult(ok=False, error="500", transient=True), 1) == TryAgain(
        NOW + timedelta(seconds=1), "500", 1
    )
    # Retry-After longer than the back-off wins; shorter does not shorten it.
    late = outcome(SendResult(ok=False, error="429", transient=True, retry_after=30), 2)
    assert isinstance(late, TryAgain) and late.at == NOW + timedelta(seconds=30)
    early = outcome(SendResult(ok=False, error="429", transient=True, retry_after=0.1), 2)
    assert isinstance(early, TryAgain) and early.at == NOW + timedelta(seconds=2)
    assert outcome(SendResult(ok=False, error="503", transient=True), 3) == Failed(
        "503", "retries_exhausted", 3
    )
    assert outcome(SendResult(ok=False, error="400 no"), 1) == Failed("400 no", "refused", 1)


def test_the_24_hour_window_and_the_channels_with_no_machine() -> None:
    assert in_session_window(NOW - timedelta(hours=23, minutes=59), NOW)
    assert not in_session_window(NOW - timedelta(hours=24), NOW)
    assert not in_session_window(None, NOW)
    assert task_kind(Channel.TELEPHONE) == task_kind(Channel.WALK_IN) == "call_back"
    assert task_kind(Channel.LETTER) == "print" and task_kind(Channel.EMAIL) is None


def test_answers_go_back_where_the_request_came_from() -> None:
    def chosen(channel: Channel, **kw: str) -> Contact | None:
        return choose_contact(
            channel, phone=kw.pop("phone", None), email=None, anonymous=False, **kw
        )

    assert chosen(Channel.FACEBOOK, handle="psid-1", phone="0812") == Contact(
        Channel.FACEBOOK, "psid-1"
    )
    assert chosen(Channel.TWITTER, handle="22449") == Contact(Channel.TWITTER, "22449")
    assert chosen(Channel.SP4N_LAPOR, tracking_id="LPR-1", phone="081200000001") == Contact(
        Channel.SP4N_LAPOR, "LPR-1"
    )
    assert chosen(Channel.LETTER, postal_address="Jl. Contoh 1, Kupang") == Contact(
        Channel.LETTER, "Jl. Contoh 1, Kupang"
    )
    assert chosen(Channel.LETTER, phone="081200000001") == Contact(Channel.WHATSAPP, "081200000001")
    assert (
        choose_contact(
            Channel.SP4N_LAPOR, phone=None, email=None, anonymous=True, tracking_id="LPR-2"
        )
        is None
    )


def test_intake_reads_whatsapp_statuses_and_leaves_out_the_rest() -> None:
    body = orjson.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "value": {
                                "statuses": [
                                    {
                                        "id": "wamid.A",
                                        "status": "delivered",
                                        "timestamp": "1772452800",
                                    },
                                    {
                                        "id": "wamid.B",
                                        "status": "failed",
                                        "timestamp": "1772452801",
                                        "errors": [
                                            {"code": 131026, "title": "Message undeliverable"}
                                        ],
                                    },
                                    {"id": "wamid.C", "status": "deleted"},
                                    {"status": "read"},
                                ]
                            }
                        }
                    ]
                }
            ],
        }
    )
    a, b = parse_whatsapp_statuses(body)
    assert (a.provider_message_id, a.status) == ("wamid.A", "delivered")
    assert a.reported_at == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert (b.status, b.errors) == ("failed", ("131026 Message undeliverable",))
    assert parse_whatsapp_statuses(b"not json") == []
