"""Kafka with SASL/SCRAM and ACLs (issue 16.3): every client a service makes authenticates
from its settings, production refuses Kafka without SASL, and the generated ACLs let each
service produce only to its own topics and read only what it consumes."""

from __future__ import annotations

import importlib
import ssl

import pytest
from faststream.security import SASLScram256, SASLScram512

from shared import kafka_acls
from shared.contracts.adapters import ADAPTERS_TOPIC
from shared.contracts.events import ALL_TOPICS, dead_letter_topic
from shared.kafka import all_topic_names, make_admin, make_broker, make_producer, security
from shared.production import UnsafeProductionSettings, check_production, kafka_problems
from shared.settings import Settings

SASL = {
    "kafka_bootstrap_servers": "kafka:9092",
    "kafka_security_protocol": "SASL_SSL",
    "kafka_sasl_username": "slrt-casework",
    "kafka_sasl_password": "s" * 40,
}


def _client_security(client: object) -> dict[str, object]:
    """What an aiokafka client will authenticate with (its connection settings)."""
    inner = getattr(client, "client", None) or getattr(client, "_client")  # noqa: B009
    return {
        "protocol": inner._security_protocol,
        "mechanism": inner._sasl_mechanism,
        "username": inner._sasl_plain_username,
        "password": inner._sasl_plain_password,
        "ssl": inner._ssl_context,
    }


async def test_the_service_builds_sasl_clients_from_settings() -> None:
    settings = Settings(**SASL)  # type: ignore[arg-type]
    producer = make_producer(settings, client_id="slrt-casework-relay")
    admin = make_admin(settings)
    for client in (producer, admin):
        got = _client_security(client)
        assert got["protocol"] == "SASL_SSL"
        assert got["mechanism"] == "SCRAM-SHA-512"
        assert (got["username"], got["password"]) == ("slrt-casework", "s" * 40)
        assert isinstance(got["ssl"], ssl.SSLContext)
    await producer.stop()
    await admin.close()
    # FastStream's broker (the consumers) gets the same through its security object.
    built = security(settings)
    assert isinstance(built, SASLScram512)
    assert (built.username, built.password, built.use_ssl) == ("slrt-casework", "s" * 40, True)


def test_the_broker_client_carries_the_security_object() -> None:
    settings = Settings(**{**SASL, "kafka_sasl_mechanism": "SCRAM-SHA-256"})  # type: ignore[arg-type]
    broker = make_broker(settings, client_id="slrt-casework")
    found = [v for v in _walk(broker) if isinstance(v, SASLScram256)]
    assert found and found[0].username == "slrt-casework"


def _walk(obj: object, depth: int = 0, seen: set[int] | None = None) -> list[object]:
    """The objects reachable from `obj` through attributes (FastStream keeps its security
    object in its configuration; where exactly is its own business)."""
    seen = seen if seen is not None else set()
    if id(obj) in seen or depth > 4:
        return []
    seen.add(id(obj))
    out = [obj]
    attrs = getattr(obj, "__dict__", None) or {
        s: getattr(obj, s, None) for s in getattr(type(obj), "__slots__", ())
    }
    for value in attrs.values():
        if isinstance(value, (str, bytes, int, float, bool, type(None))):
            continue
        out += _walk(value, depth + 1, seen)
    return out


async def test_plaintext_stays_without_authentication() -> None:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:9092")
    assert security(settings) is None
    producer = make_producer(settings, "x")
    assert _client_security(producer)["protocol"] == "PLAINTEXT"
    await producer.stop()


def test_sasl_without_a_user_is_refused_at_once() -> None:
    settings = Settings(kafka_bootstrap_servers="kafka:9092", kafka_security_protocol="SASL_SSL")
    with pytest.raises(RuntimeError, match="KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"):
        make_producer(settings, "x")


def test_production_refuses_kafka_without_sasl() -> None:
    plain = Settings(slrt_environment="production", kafka_bootstrap_servers="kafka:9092")
    assert kafka_problems(plain) == [
        "KAFKA_SECURITY_PROTOCOL is PLAINTEXT (SASL_SSL or SASL_PLAINTEXT with SCRAM)"
    ]
    with pytest.raises(UnsafeProductionSettings, match="KAFKA_SECURITY_PROTOCOL is PLAINTEXT"):
        check_production(plain, "casework")
    no_password = Settings(
        slrt_environment="production",
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_username="slrt-casework",
    )
    assert kafka_problems(no_password) == ["KAFKA_SASL_PASSWORD is not set"]
    assert kafka_problems(Settings(**SASL, slrt_environment="production")) == []  # type: ignore[arg-type]
    assert kafka_problems(Settings(slrt_environment="development")) == []


# ---- the ACLs ------------------------------------------------------------------------


@pytest.mark.parametrize("service", kafka_acls.CONSUMERS)
def test_each_service_produces_only_to_its_own_topics(service: str) -> None:
    own = {t for t in ALL_TOPICS if t.split(".")[1] == service} | {dead_letter_topic(service)}
    for topic in all_topic_names():
        assert kafka_acls.may(service, "Write", topic) == (topic in own), topic
    assert not kafka_acls.may(service, "Write", ADAPTERS_TOPIC)  # the adapters' alone


@pytest.mark.parametrize("service", kafka_acls.CONSUMERS)
def test_each_service_reads_exactly_what_it_consumes(service: str) -> None:
    bootstrap = importlib.import_module(f"services.{service}.bootstrap")
    consumed = set(bootstrap.create_app().state.runtime.topics())
    assert set(kafka_acls.READS[service]) == consumed
    for topic in all_topic_names():
        assert kafka_acls.may(service, "Read", topic) == (topic in consumed), topic
    groups = [a for a in kafka_acls.acls() if a.user == service and a.resource == "group"]
    assert [(g.operation, g.name) for g in groups] == [("Read", f"slrt-{service}")]


def test_the_topics_job_creates_and_reads_or_writes_nothing() -> None:
    ops = {a.operation for a in kafka_acls.acls() if a.user == "topics"}
    assert ops == {"Describe", "Create"}


def test_the_deployed_script_is_the_generated_one() -> None:
    assert kafka_acls.main(["--check"]) == 0, "python -m shared.kafka_acls --write"
    text = kafka_acls.SCRIPT.read_text()
    for user in kafka_acls.USERS:
        assert f"\nscram {user}\n" in text
    for acl in kafka_acls.acls():
        if acl.operation == "Write":
            assert f'--topic "${{P}}{acl.name}"' in text
