"""deploy/ cannot be run here (no Docker engine, no cluster), so it is kept right by reading:
the compose file, the Dockerfile and the Kubernetes manifests must agree with the code."""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.kafka import SERVICES
from shared.settings import DEFAULT_PORTS, REPO_ROOT, Settings

DEPLOY = REPO_ROOT / "deploy"
K8S = DEPLOY / "k8s"
SETTINGS_FIELDS = {name.upper() for name in Settings.model_fields}
INFRA = ("kafka", "postgres")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


def _slrt_image_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every compose service built from deploy/Dockerfile (the five and the topics job)."""
    return {name: svc for name, svc in services.items() if "build" in svc}


def _env(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _command(svc: dict[str, Any]) -> list[str]:
    cmd = svc["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def _service_module(command: list[str]) -> str:
    assert command[:2] == ["python", "-m"], command
    return command[2]


def _assert_module_exists(module: str) -> None:
    assert importlib.util.find_spec(module) is not None, f"{module} is not in the repository"


# ---- compose ---------------------------------------------------------------------------


def test_compose_has_the_infrastructure_and_the_five_services(
    services: dict[str, dict[str, Any]],
) -> None:
    assert set(services) >= {*INFRA, "topics", *SERVICES}
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["postgres"]["image"] == "postgres:17"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_runs_its_own_module(services: dict[str, dict[str, Any]], name: str) -> None:
    command = _command(services[name])
    assert command == ["python", "-m", f"services.{name}"]
    _assert_module_exists(f"services.{name}.__main__")


def test_the_topics_job_runs_the_cli(services: dict[str, dict[str, Any]]) -> None:
    assert _command(services["topics"]) == ["python", "-m", "shared.cli", "topics"]
    _assert_module_exists("shared.cli")


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_its_usual_host_port(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    assert services[name]["ports"] == [f"{DEFAULT_PORTS[name]}:8000"]
    assert _env(services[name])["SLRT_HTTP_PORT"] == "8000"


def test_host_ports_are_unique(services: dict[str, dict[str, Any]]) -> None:
    host_ports: list[str] = []
    for svc in services.values():
        for mapping in svc.get("ports", []):
            parts = str(mapping).split(":")
            assert len(parts) >= 2, f"{mapping}: publish host:container explicitly"
            host_ports.append(parts[-2])
    assert len(host_ports) == len(set(host_ports)), host_ports


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_the_production_environment(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = _env(services[name])
    assert env["KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert re.fullmatch(r"postgresql://slrt:.+@postgres:5432/slrt", env["DATABASE_URL"])
    assert env["SLRT_HTTP_HOST"] == "0.0.0.0"  # noqa: S104  (inside a container)
    assert env["SLRT_LOG_FORMAT"] == "json"
    assert env["SLRT_ENVIRONMENT"] == "production"
    # No default: compose refuses to start without the staff-token public key.
    assert env["SLRT_JWT_PUBLIC_KEY"].startswith("${SLRT_JWT_PUBLIC_KEY:?")


def test_compose_sets_only_known_settings(services: dict[str, dict[str, Any]]) -> None:
    for name, svc in _slrt_image_services(services).items():
        unknown = {k for k in _env(svc) if k.upper() not in SETTINGS_FIELDS}
        assert not unknown, f"{name} sets variables shared.settings ignores: {sorted(unknown)}"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_waits_for_its_parts(services: dict[str, dict[str, Any]], name: str) -> None:
    svc = services[name]
    assert svc["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
        "topics": {"condition": "service_completed_successfully"},
    }
    assert svc["restart"] == "unless-stopped"


def test_what_services_wait_on_can_get_there(services: dict[str, dict[str, Any]]) -> None:
    for name in INFRA:
        assert "test" in services[name]["healthcheck"], f"{name} needs a healthcheck"
    assert services["topics"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert services["topics"].get("restart", "no") == "no"


def test_kafka_is_kraft_without_auto_topic_creation(services: dict[str, dict[str, Any]]) -> None:
    env = _env(services["kafka"])
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    # A KRaft cluster id is a base64url-encoded UUID: 22 characters.
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"])


def test_one_image_built_from_the_repository_root(
    services: dict[str, dict[str, Any]],
) -> None:
    built = _slrt_image_services(services)
    assert set(built) == {"topics", *SERVICES}
    assert len({svc["image"] for svc in built.values()}) == 1
    for svc in built.values():
        context = (DEPLOY / svc["build"]["context"]).resolve()
        assert context == REPO_ROOT.resolve()
        assert (context / svc["build"]["dockerfile"]).is_file()


# ---- Dockerfile ------------------------------------------------------------------------


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    out: list[tuple[str, str]] = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_copy_sources_exist() -> None:
    copies = [rest for word, rest in _dockerfile_instructions() if word == "COPY"]
    assert copies
    checked = set()
    for rest in copies:
        args = shlex.split(rest)
        if any(a.startswith("--from=") for a in args):
            continue  # from another stage, not from the build context
        sources = [a for a in args if not a.startswith("--")][:-1]
        for src in sources:
            assert (REPO_ROOT / src).exists(), f"COPY {src}: not in the repository"
            checked.add(src.rstrip("/"))
    assert checked >= {"requirements.lock", "pyproject.toml", "shared", "services", "catalogue"}


def test_dockerfile_basics() -> None:
    instructions = _dockerfile_instructions()
    froms = [rest for w, rest in instructions if w == "FROM"]
    args = {
        rest.split("=", 1)[0]: rest.split("=", 1)[1]
        for w, rest in instructions
        if w == "ARG" and "=" in rest
    }
    assert args.get("PYTHON_IMAGE") == "python:3.11-slim"
    assert all(f.split()[0] == "${PYTHON_IMAGE}" for f in froms)
    assert ("EXPOSE", "8000") in instructions
    user = [rest for w, rest in instructions if w == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    healthcheck = next(rest for w, rest in instructions if w == "HEALTHCHECK")
    assert "urllib" in healthcheck and "/health" in healthcheck
    runs = " ".join(rest for w, rest in instructions if w == "RUN")
    assert "-r requirements.lock" in runs
    assert "--no-deps ." in runs


# ---- Kubernetes ------------------------------------------------------------------------


def _k8s_documents() -> dict[Path, list[dict[str, Any]]]:
    docs: dict[Path, list[dict[str, Any]]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        loaded = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert loaded, f"{path.name} is empty"
        docs[path] = loaded
    return docs


def _resources(kind: str) -> list[dict[str, Any]]:
    return [
        d
        for path, docs in _k8s_documents().items()
        if path.name != "kustomization.yaml"
        for d in docs
        if d.get("kind") == kind
    ]


def test_every_manifest_parses_and_has_a_kind() -> None:
    docs = _k8s_documents()
    assert docs
    for path, loaded in docs.items():
        for doc in loaded:
            assert isinstance(doc, dict), path.name
            assert doc.get("apiVersion") and doc.get("kind"), path.name
            if doc["kind"] != "Kustomization":
                assert doc.get("metadata", {}).get("name"), path.name


def test_kustomization_lists_existing_files_and_no_example_secret() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    resources = kustomization["resources"]
    for res in resources:
        assert (K8S / res).is_file(), res
    assert "secret.example.yaml" not in resources
    listed = {K8S / r for r in resources}
    unlisted = {p.name for p in K8S.glob("*.yaml")} - {p.name for p in listed}
    assert unlisted == {"kustomization.yaml", "secret.example.yaml"}


def test_one_deployment_and_service_per_slrt_service() -> None:
    deployments = {d["metadata"]["name"]: d for d in _resources("Deployment")}
    k8s_services = {s["metadata"]["name"]: s for s in _resources("Service")}
    expected = {f"slrt-{name}" for name in SERVICES}
    assert set(deployments) == expected
    assert set(k8s_services) == expected
    for name in expected:
        selector = deployments[name]["spec"]["selector"]["matchLabels"]
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items()
        assert k8s_services[name]["spec"]["selector"] == selector


def _containers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = resource["spec"]["template"]["spec"]["containers"]
    return found


def test_each_deployment_runs_an_existing_service_module() -> None:
    seen = set()
    for deployment in _resources("Deployment"):
        (container,) = _containers(deployment)
        module = _service_module(container["command"])
        _assert_module_exists(f"{module}.__main__")
        seen.add(module)
        assert deployment["metadata"]["name"] == "slrt-" + module.removeprefix("services.")
    assert seen == {f"services.{name}" for name in SERVICES}


def test_deployments_probe_health_and_ask_for_resources() -> None:
    for deployment in _resources("Deployment"):
        (container,) = _containers(deployment)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"http": 8000}
        for probe in ("readinessProbe", "livenessProbe"):
            get = container[probe]["httpGet"]
            assert (get["path"], get["port"]) == ("/health", "http")
        requests = container["resources"]["requests"]
        assert requests["cpu"] and requests["memory"]


def test_k8s_environment_is_known_settings_and_secrets_are_referenced() -> None:
    (config,) = _resources("ConfigMap")
    assert {k for k in config["data"] if k not in SETTINGS_FIELDS} == set()
    assert config["data"]["KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    assert config["data"]["SLRT_HTTP_PORT"] == "8000"
    (secret,) = _resources("Secret")  # the example, the only Secret in the folder
    secret_keys = set(secret["stringData"])
    assert secret_keys == {"DATABASE_URL", "SLRT_JWT_PUBLIC_KEY"}
    for deployment in _resources("Deployment"):
        (container,) = _containers(deployment)
        assert {"configMapRef": {"name": config["metadata"]["name"]}} in container["envFrom"]
        from_secret = {
            e["name"]: e["valueFrom"]["secretKeyRef"]
            for e in container["env"]
            if "secretKeyRef" in e.get("valueFrom", {})
        }
        assert set(from_secret) == secret_keys
        for name, ref in from_secret.items():
            assert ref == {"name": secret["metadata"]["name"], "key": name}
        assert not any("value" in e for e in container["env"]), (
            "plain values belong in the ConfigMap"
        )


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_renders_the_base() -> None:
    out = subprocess.run(  # noqa: S603  (fixed arguments)
        ["kubectl", "kustomize", str(K8S)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(out.stdout) if d]
    assert kinds.count("Deployment") == len(SERVICES)
    assert kinds.count("Service") == len(SERVICES)
