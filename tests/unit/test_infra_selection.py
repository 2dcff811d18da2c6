"""Where PostgreSQL and Kafka come from: `shared.infra` picks the backend for each part.

No Docker engine runs on this project's machines, so the testcontainers path is kept right
here, by its selection logic, rather than by starting containers.
"""

from __future__ import annotations

import itertools
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from shared import infra
from shared.infra import Backend, Infra, choose_backend

ADDRESS_VARS = ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS")
MODES = ("auto", "embedded", "testcontainers")
ADDRESSES = {
    "DATABASE_URL": "postgresql://slrt:pw@db.example:5432/slrt",
    "KAFKA_BOOTSTRAP_SERVERS": "kafka.example:9092",
}


def _expected(mode: str, docker: bool) -> Backend | type[Exception]:
    """The rule, written out once: what to pick when no address is set."""
    if mode == "testcontainers":
        return Backend.TESTCONTAINERS if docker else RuntimeError
    if mode == "auto":
        return Backend.TESTCONTAINERS if docker else Backend.EMBEDDED
    if mode == "embedded":
        return Backend.EMBEDDED
    return ValueError


@pytest.mark.parametrize(
    ("var", "mode", "docker"), list(itertools.product(ADDRESS_VARS, MODES, (True, False)))
)
def test_an_address_in_the_environment_always_wins(var: str, mode: str, docker: bool) -> None:
    env = {var: ADDRESSES[var]}
    assert choose_backend(var, env, docker_available=docker, mode=mode) is Backend.EXTERNAL


@pytest.mark.parametrize(
    ("var", "mode", "docker"), list(itertools.product(ADDRESS_VARS, MODES, (True, False)))
)
def test_without_an_address_the_mode_and_docker_decide(var: str, mode: str, docker: bool) -> None:
    expected = _expected(mode, docker)
    if isinstance(expected, Backend):
        assert choose_backend(var, {}, docker_available=docker, mode=mode) is expected
    else:
        with pytest.raises(expected):
            choose_backend(var, {}, docker_available=docker, mode=mode)


@pytest.mark.parametrize("var", ADDRESS_VARS)
def test_only_the_parts_own_address_counts(var: str) -> None:
    other = next(v for v in ADDRESS_VARS if v != var)
    env = {other: ADDRESSES[other]}
    assert choose_backend(var, env, docker_available=False, mode="auto") is Backend.EMBEDDED


@pytest.mark.parametrize("var", ADDRESS_VARS)
def test_an_empty_address_counts_as_unset(var: str) -> None:
    env = {var: ""}
    assert choose_backend(var, env, docker_available=False, mode="auto") is Backend.EMBEDDED
    assert choose_backend(var, env, docker_available=True, mode="auto") is Backend.TESTCONTAINERS


def test_auto_with_docker_picks_testcontainers() -> None:
    assert (
        choose_backend("DATABASE_URL", {}, docker_available=True, mode="auto")
        is Backend.TESTCONTAINERS
    )


def test_auto_without_docker_picks_embedded() -> None:
    assert (
        choose_backend("KAFKA_BOOTSTRAP_SERVERS", {}, docker_available=False, mode="auto")
        is Backend.EMBEDDED
    )


def test_auto_is_the_default_mode() -> None:
    assert choose_backend("DATABASE_URL", {}, docker_available=True) is Backend.TESTCONTAINERS
    assert choose_backend("DATABASE_URL", {}, docker_available=False) is Backend.EMBEDDED


@pytest.mark.parametrize("docker", [True, False])
def test_embedded_mode_never_picks_docker(docker: bool) -> None:
    for var in ADDRESS_VARS:
        assert choose_backend(var, {}, docker_available=docker, mode="embedded") is Backend.EMBEDDED


def test_testcontainers_mode_without_docker_says_why() -> None:
    with pytest.raises(RuntimeError, match=r"SLRT_INFRA=testcontainers.*Docker"):
        choose_backend("DATABASE_URL", {}, docker_available=False, mode="testcontainers")


@pytest.mark.parametrize("mode", ["", "docker", "Embedded", "AUTO", "tansu", "external"])
@pytest.mark.parametrize("docker", [True, False])
def test_a_bad_mode_is_refused(mode: str, docker: bool) -> None:
    with pytest.raises(ValueError, match="SLRT_INFRA must be auto, embedded or testcontainers"):
        choose_backend("KAFKA_BOOTSTRAP_SERVERS", {}, docker_available=docker, mode=mode)


def _infra(*, idempotence: bool, kafka: Backend = Backend.EXTERNAL) -> Infra:
    return Infra(
        database_url="postgresql://slrt@127.0.0.1:5432/slrt",
        kafka_bootstrap_servers="127.0.0.1:9092",
        database_backend=Backend.EXTERNAL,
        kafka_backend=kafka,
        kafka_enable_idempotence=idempotence,
    )


def test_env_for_embedded_tansu_turns_idempotence_off() -> None:
    env = _infra(idempotence=False, kafka=Backend.EMBEDDED).env()
    assert env == {
        "DATABASE_URL": "postgresql://slrt@127.0.0.1:5432/slrt",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
        "KAFKA_ENABLE_IDEMPOTENCE": "false",
    }


def test_env_for_apache_kafka_keeps_idempotence_on() -> None:
    env = _infra(idempotence=True, kafka=Backend.TESTCONTAINERS).env()
    assert env["KAFKA_ENABLE_IDEMPOTENCE"] == "true"


def test_env_is_read_back_by_settings() -> None:
    from shared.settings import Settings

    for idempotence in (True, False):
        env = {k.lower(): v for k, v in _infra(idempotence=idempotence).env().items()}
        settings = Settings.model_validate(env)
        assert settings.kafka_enable_idempotence is idempotence


class _Fakes:
    """Stand-ins for the start functions: what was started, and in which order it stops."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.stopped: list[str] = []

    def starter(self, name: str, address: str) -> Any:
        def start(*_args: object, **_kwargs: object) -> tuple[str, Any]:
            self.started.append(name)
            return address, lambda: self.stopped.append(name)

        return start


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> _Fakes:
    f = _Fakes()
    monkeypatch.setattr(infra, "_start_embedded_postgres", f.starter("pg", "postgresql://pg"))
    monkeypatch.setattr(infra, "_start_tansu", f.starter("tansu", "127.0.0.1:1"))
    monkeypatch.setattr(
        infra, "_start_testcontainer_postgres", f.starter("tc-pg", "postgresql://tc")
    )
    monkeypatch.setattr(infra, "_start_testcontainer_kafka", f.starter("tc-kafka", "127.0.0.1:2"))
    for var in (*ADDRESS_VARS, "KAFKA_ENABLE_IDEMPOTENCE", "SLRT_INFRA"):
        monkeypatch.delenv(var, raising=False)
    return f


def test_start_infra_embedded_never_asks_docker(
    fakes: _Fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_docker() -> bool:
        raise AssertionError("embedded mode must not ask for Docker")

    monkeypatch.setattr(infra, "docker_available", no_docker)
    parts = infra.start_infra(tmp_path, mode="embedded")
    assert (parts.database_backend, parts.kafka_backend) == (Backend.EMBEDDED, Backend.EMBEDDED)
    assert parts.env()["KAFKA_ENABLE_IDEMPOTENCE"] == "false"
    assert fakes.started == ["pg", "tansu"]
    parts.close()
    assert fakes.stopped == ["tansu", "pg"]


def test_start_infra_auto_with_docker_uses_testcontainers(
    fakes: _Fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(infra, "docker_available", lambda: True)
    parts = infra.start_infra(tmp_path, mode="auto")
    assert parts.kafka_backend is Backend.TESTCONTAINERS
    assert parts.kafka_enable_idempotence is True
    assert fakes.started == ["tc-pg", "tc-kafka"]


def test_start_infra_reads_slrt_infra(
    fakes: _Fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(infra, "docker_available", lambda: True)
    monkeypatch.setenv("SLRT_INFRA", "embedded")
    parts = infra.start_infra(tmp_path)
    assert fakes.started == ["pg", "tansu"]
    assert parts.kafka_backend is Backend.EMBEDDED


@pytest.mark.parametrize(("given", "expected"), [(None, True), ("true", True), ("false", False)])
def test_start_infra_external_takes_idempotence_from_the_environment(
    fakes: _Fakes,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    given: str | None,
    expected: bool,
) -> None:
    monkeypatch.setattr(infra, "docker_available", lambda: False)
    for var, address in ADDRESSES.items():
        monkeypatch.setenv(var, address)
    if given is not None:
        monkeypatch.setenv("KAFKA_ENABLE_IDEMPOTENCE", given)
    parts = infra.start_infra(tmp_path, mode="auto")
    assert fakes.started == []
    assert parts.database_url == ADDRESSES["DATABASE_URL"]
    assert parts.kafka_bootstrap_servers == ADDRESSES["KAFKA_BOOTSTRAP_SERVERS"]
    assert parts.kafka_enable_idempotence is expected


def test_start_infra_stops_what_it_started_when_a_later_part_fails(
    fakes: _Fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*_args: object, **_kwargs: object) -> tuple[str, Any]:
        raise OSError("broker binary missing")

    monkeypatch.setattr(infra, "_start_tansu", broken)
    with pytest.raises(OSError, match="broker binary missing"):
        infra.start_infra(tmp_path, mode="embedded")
    assert fakes.stopped == ["pg"]


def test_start_infra_testcontainers_without_docker_fails_before_starting_anything(
    fakes: _Fakes, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(infra, "docker_available", lambda: False)
    with pytest.raises(RuntimeError, match="Docker"):
        infra.start_infra(tmp_path, mode="testcontainers")
    assert fakes.started == []


def test_docker_available_answers_a_bool_quickly() -> None:
    began = time.monotonic()
    answer = infra.docker_available()
    assert isinstance(answer, bool)
    assert time.monotonic() - began < 10


def test_docker_available_is_false_without_cli_or_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shared.infra.shutil.which", lambda _name: None)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    assert infra.docker_available() is False


def test_docker_available_is_false_when_the_engine_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # discard port: nothing answers
    assert infra.docker_available() is False


def test_free_port_never_hands_out_a_port_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel may answer two binds to port 0 a moment apart with the same free port; a
    stack's two services were once given one port, and the second exited."""
    answers = iter([41001, 41001, 41002, 41001, 41002, 41003])

    class Socket:
        def __enter__(self) -> Socket:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def bind(self, address: tuple[str, int]) -> None:
            self.port = next(answers)

        def getsockname(self) -> tuple[str, int]:
            return ("127.0.0.1", self.port)

    monkeypatch.setattr(infra, "_PORTS_GIVEN", set())
    monkeypatch.setattr(socket, "socket", Socket)  # shared.infra binds through it
    assert [infra.free_port() for _ in range(3)] == [41001, 41002, 41003]
