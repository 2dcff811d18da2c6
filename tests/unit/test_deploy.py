"""deploy/ cannot be run here (no Docker engine, no cluster), so it is kept right by reading:
compose, the Caddyfile, the Dockerfile and the Kubernetes manifests must agree with the code.

The settings are found in the code, not listed here: every pydantic-settings class in
`shared/` and `services/*/config.py`, and for each process the fields its own code names.
A new setting therefore fails these tests until deploy/ provides it to the processes that
read it, or deploy/README.md lists it among those left at their defaults."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import shlex
import shutil
import subprocess
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from shared.dbroles import SCHEMA_SERVICES, DatabaseAdminSettings
from shared.kafka import SERVICES
from shared.kafka_acls import USERS as KAFKA_USERS
from shared.settings import KEY_SETTINGS, REPO_ROOT, SECRET_SETTINGS, Settings

DEPLOY = REPO_ROOT / "deploy"
K8S = DEPLOY / "k8s"
INFRA = ("kafka", "postgres")
PROCESSES = (*SERVICES, "dashboard", "portal")  # long-running, one Deployment each
CONSUMERS = (*SERVICES, "dashboard")  # on Kafka
JOBS = {"migrate": ("shared.dbroles", "migrate"), "topics": ("shared.cli", "topics")}
SECRETS = (
    {s.upper() for s in SECRET_SETTINGS}
    | {"SLRT_ADMIN_DATABASE_URL"}
    | {f"DATABASE_URL_{s.upper()}" for s in SCHEMA_SERVICES}
    | {f"KAFKA_SASL_{k}_{u.upper()}" for k in ("USERNAME", "PASSWORD") for u in KAFKA_USERS}
)
# Read by libraries, not by our settings classes.
THIRD_PARTY = {"FORWARDED_ALLOW_IPS"}  # uvicorn: whom to trust for X-Forwarded-For

# Settings read in `shared/` code on behalf of a process (its own code never names them):
# who needs each one provided. Every field `shared/` reads must be here or left at its
# documented default (checked below).
SHARED_READS: dict[str, tuple[str, ...]] = {
    "database_url": SCHEMA_SERVICES,
    "kafka_bootstrap_servers": (*CONSUMERS, "topics"),
    "kafka_enable_idempotence": CONSUMERS,
    # SASL/SCRAM, one user per process (shared/kafka_acls.py)
    "kafka_security_protocol": (*CONSUMERS, "topics"),
    "kafka_sasl_mechanism": (*CONSUMERS, "topics"),
    "kafka_sasl_username": (*CONSUMERS, "topics"),
    "kafka_sasl_password": (*CONSUMERS, "topics"),
    "kafka_topic_partitions": ("topics",),
    "kafka_topic_replication_factor": ("topics",),
    "slrt_jwt_public_key": CONSUMERS,
    "slrt_jwt_private_key": ("dashboard",),
    "slrt_internal_api_key": PROCESSES,
    "slrt_http_host": PROCESSES,
    "slrt_http_port": PROCESSES,
    "slrt_log_format": (*PROCESSES, *JOBS),
    "slrt_environment": PROCESSES,
}
NEVER = {"slrt_jwt_private_key": tuple(p for p in PROCESSES if p != "dashboard")}


# ---- the settings, from the code -------------------------------------------------------


def _classes_in(module_name: str) -> list[type[BaseSettings]]:
    module = importlib.import_module(module_name)
    return [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, BaseSettings) and c is not BaseSettings and c.__module__ == module_name
    ]


@cache
def settings_classes() -> dict[str, list[type[BaseSettings]]]:
    """Process -> the settings classes of its own (besides the shared `Settings`)."""
    found: dict[str, list[type[BaseSettings]]] = {"migrate": [DatabaseAdminSettings]}
    for name in PROCESSES:
        if importlib.util.find_spec(f"services.{name}.config") is not None:
            found[name] = _classes_in(f"services.{name}.config")
    return found


def all_fields() -> set[str]:
    names = set(Settings.model_fields)
    for classes in settings_classes().values():
        for c in classes:
            names |= set(c.model_fields)
    return names


def _code(folder: Path) -> str:
    return "\n".join(p.read_text() for p in folder.rglob("*.py"))


@cache
def reads() -> dict[str, set[str]]:
    """Process -> the settings it reads: its own classes' fields, the shared fields its code
    names, and what `shared/` reads on its behalf (SHARED_READS)."""
    shared_fields = set(Settings.model_fields)
    out: dict[str, set[str]] = {p: set() for p in (*PROCESSES, *JOBS)}
    for name in PROCESSES:
        code = _code(REPO_ROOT / "services" / name)
        out[name] |= {f for f in shared_fields if re.search(rf"\b{f}\b", code)}
    for name, classes in settings_classes().items():
        for c in classes:
            out[name] |= set(c.model_fields) - (shared_fields if c is not Settings else set())
    for field, readers in SHARED_READS.items():
        for p in readers:
            out[p].add(field)
    return out


def _documented(section: str) -> set[str]:
    """The variables in the table under `section` of deploy/README.md, lower-cased."""
    text = (DEPLOY / "README.md").read_text()
    start = text.index(section)
    end = text.find("\n## ", start + 1)
    return {
        m.lower()
        for m in re.findall(r"^\| `([A-Z0-9_]+)`", text[start : end if end > 0 else None], re.M)
    }


def left_at_default() -> set[str]:
    return _documented("### Left at their defaults")


def _provided(field: str, given: set[str]) -> bool:
    """Given (a setting `X` and its `X_FILE` stand for each other), or left at its default."""
    name = field.upper()
    return (
        name in given
        or f"{name}_FILE" in given
        or (name.endswith("_FILE") and name.removesuffix("_FILE") in given)
        or field in left_at_default()
    )


# ---- compose ---------------------------------------------------------------------------


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
    return {name: svc for name, svc in services.items() if "build" in svc}


def _env(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _secret_targets(svc: dict[str, Any]) -> set[str]:
    out = set()
    for item in svc.get("secrets", []):
        out.add(item if isinstance(item, str) else item.get("target", item["source"]))
    return {t.upper() for t in out}


def _compose_provides(svc: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(plain variables, secrets) a compose service is given; `X_FILE` pointing into
    /run/secrets counts as the secret X."""
    env = _env(svc)
    secrets = _secret_targets(svc)
    for k, v in env.items():
        if k.endswith("_FILE") and v.startswith("/run/secrets/"):
            secrets.add(k.removesuffix("_FILE"))
    return set(env), secrets


def _command(svc: dict[str, Any]) -> list[str]:
    cmd = svc["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def _assert_module_exists(module: str) -> None:
    assert importlib.util.find_spec(module) is not None, f"{module} is not in the repository"


def test_compose_has_the_infrastructure_every_process_the_jobs_and_the_proxy(
    services: dict[str, dict[str, Any]],
) -> None:
    assert set(services) == {*INFRA, *JOBS, *PROCESSES, "caddy", "kafka-acls"}
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["postgres"]["image"] == "postgres:17"
    assert services["caddy"]["image"].startswith("caddy:2")


@pytest.mark.parametrize("name", PROCESSES)
def test_each_process_runs_its_own_module(services: dict[str, dict[str, Any]], name: str) -> None:
    assert _command(services[name]) == ["python", "-m", f"services.{name}"]
    _assert_module_exists(f"services.{name}.__main__")


@pytest.mark.parametrize("job", JOBS)
def test_the_jobs_run_existing_commands(services: dict[str, dict[str, Any]], job: str) -> None:
    module, arg = JOBS[job]
    assert _command(services[job]) == ["python", "-m", module, arg]
    _assert_module_exists(module)
    assert services[job].get("restart", "no") == "no"


@pytest.mark.parametrize("name", [*PROCESSES, *JOBS])
def test_every_setting_a_process_reads_is_provided_by_compose(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    plain, secrets = _compose_provides(services[name])
    given = plain | secrets
    missing = {f for f in reads()[name] if not _provided(f, given)}
    assert not missing, f"compose gives {name} no {sorted(m.upper() for m in missing)}"
    as_plain = {k for k in plain if k in SECRETS}
    assert not as_plain, f"{name}: secrets as plain variables: {sorted(as_plain)}"
    for field, not_for in NEVER.items():
        if name in not_for:
            assert field.upper() not in given, f"{name} must not hold {field.upper()}"


def test_compose_sets_only_known_settings(services: dict[str, dict[str, Any]]) -> None:
    known = {f.upper() for f in all_fields()} | THIRD_PARTY
    known |= {f"{f.upper()}_FILE" for f in all_fields()}
    for name, svc in _slrt_image_services(services).items():
        plain, secrets = _compose_provides(svc)
        unknown = {k for k in plain | secrets if k not in known}
        assert not unknown, f"{name} sets what no settings class reads: {sorted(unknown)}"


def test_compose_secrets_are_files_the_script_makes(compose: dict[str, Any]) -> None:
    declared = compose["secrets"]
    script = (DEPLOY / "make-secrets.sh").read_text()
    for name, spec in declared.items():
        assert spec == {"file": f"./secrets/{name}"}, name
        made = (
            name in script
            or (name.startswith("database_url_") and "database_url_$service" in script)
            or (name.startswith("kafka_password_") and "kafka_password_$name" in script)
        )
        assert made, f"deploy/make-secrets.sh does not make {name}"
    assert "deploy/secrets/" in (REPO_ROOT / ".gitignore").read_text()


@pytest.mark.parametrize("name", PROCESSES)
def test_each_process_has_the_production_environment(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    env = _env(services[name])
    assert env["SLRT_HTTP_HOST"] == "0.0.0.0"  # noqa: S104  (inside a container)
    assert env["SLRT_HTTP_PORT"] == "8000"
    assert env["SLRT_LOG_FORMAT"] == "json"
    assert env["SLRT_ENVIRONMENT"] == "production"
    assert env["SLRT_PUBLIC_BASE_URL"].startswith("https://${SLRT_PUBLIC_HOST:?")
    if name in CONSUMERS:
        assert env["KAFKA_ENABLE_IDEMPOTENCE"] == "true"
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"


@pytest.mark.parametrize("name", SCHEMA_SERVICES)
def test_each_service_connects_as_its_own_database_role(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    refs = [
        s
        for s in services[name]["secrets"]
        if isinstance(s, dict) and s["target"] == "database_url"
    ]
    assert refs == [{"source": f"database_url_{name}", "target": "database_url"}]
    assert f"DATABASE_URL_{name.upper()}" in _secret_targets(services["migrate"])


def test_only_the_proxy_and_the_smtp_door_are_published(
    services: dict[str, dict[str, Any]],
) -> None:
    published: dict[str, list[str]] = {
        n: [str(p) for p in s.get("ports", [])] for n, s in services.items() if s.get("ports")
    }
    assert published.pop("caddy") == ["80:80", "443:443", "443:443/udp"]
    assert published.pop("intake") == ["25:8025"]
    assert _env(services["intake"])["SLRT_SMTP_PORT"] == "8025"
    for name, ports in published.items():  # tools on this machine only
        assert all(p.startswith("127.0.0.1:") for p in ports), (name, ports)
    assert not set(published) & {*PROCESSES, *JOBS}


@pytest.mark.parametrize("name", [*CONSUMERS])
def test_each_process_waits_for_its_parts(services: dict[str, dict[str, Any]], name: str) -> None:
    svc = services[name]
    assert svc["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
        "topics": {"condition": "service_completed_successfully"},
        "kafka-acls": {"condition": "service_completed_successfully"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert svc["restart"] == "unless-stopped"


def test_what_processes_wait_on_can_get_there(services: dict[str, dict[str, Any]]) -> None:
    for name in INFRA:
        assert "test" in services[name]["healthcheck"], f"{name} needs a healthcheck"
    assert services["topics"]["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "kafka-acls": {"condition": "service_completed_successfully"},
    }
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_kafka_is_kraft_without_auto_topic_creation(services: dict[str, dict[str, Any]]) -> None:
    env = _env(services["kafka"])
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "SASL://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", env["CLUSTER_ID"])


def test_topic_partitions_and_replication_come_from_settings(
    services: dict[str, dict[str, Any]],
) -> None:
    env = _env(services["topics"])
    assert env["KAFKA_TOPIC_PARTITIONS"].startswith("${KAFKA_TOPIC_PARTITIONS:-")
    assert env["KAFKA_TOPIC_REPLICATION_FACTOR"].startswith("${KAFKA_TOPIC_REPLICATION_FACTOR:-")
    assert (
        "replication_factor=settings.kafka_topic_replication_factor"
        in (REPO_ROOT / "shared" / "kafka.py").read_text()
    )


def test_eligibility_has_room_for_a_national_extract(
    services: dict[str, dict[str, Any]],
) -> None:
    assert "eligibility-tmp:/tmp" in services["eligibility"]["volumes"]


def test_one_image_built_from_the_repository_root(
    services: dict[str, dict[str, Any]],
) -> None:
    built = _slrt_image_services(services)
    assert set(built) == {*JOBS, *PROCESSES}
    assert len({svc["image"] for svc in built.values()}) == 1
    for svc in built.values():
        context = (DEPLOY / svc["build"]["context"]).resolve()
        assert context == REPO_ROOT.resolve()
        assert (context / svc["build"]["dockerfile"]).is_file()


# ---- the TLS proxy (Caddy) ---------------------------------------------------------------


def _caddy_sites() -> dict[str, str]:
    text = (DEPLOY / "Caddyfile").read_text()
    sites: dict[str, str] = {}
    for m in re.finditer(r"^\{\$(SLRT_\w+)\} \{\n(.*?)^\}", text, re.M | re.S):
        sites[m.group(1)] = m.group(2)
    return sites


def test_caddy_serves_the_public_routes_and_the_staff_app_only() -> None:
    sites = _caddy_sites()
    assert set(sites) == {"SLRT_PUBLIC_HOST", "SLRT_STAFF_HOST"}
    public, staff = sites["SLRT_PUBLIC_HOST"], sites["SLRT_STAFF_HOST"]
    assert set(re.findall(r"reverse_proxy (\w+):8000", public)) == {
        "documents",
        "intake",
        "portal",
    }
    assert re.findall(r"reverse_proxy (\w+):8000", staff) == ["dashboard"]
    # documents: only the verification page and the one-time download.
    assert "@documents path_regexp ^/v1/(verify/[^/]+|letters/[^/]+/download)$" in public
    # intake: only what the channels and the website send; staff doors are not public.
    (channels,) = re.findall(r"@channels path (.*)", public)
    assert {p.split("/")[3] for p in channels.split()} == {
        "lapor",
        "whatsapp",
        "facebook",
        "instagram",
        "twitter",
        "website",
    }
    assert "@closed path /v1/* /docs* /redoc* /openapi.json /metrics* /health*" in public
    assert "@closed path /metrics* /health*" in staff


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
    checked = set()
    for rest in copies:
        args = shlex.split(rest)
        if any(a.startswith("--from=") for a in args):
            continue
        for src in [a for a in args if not a.startswith("--")][:-1]:
            assert (REPO_ROOT / src).exists(), f"COPY {src}: not in the repository"
            checked.add(src.rstrip("/"))
    assert checked >= {"requirements-runtime.lock", "pyproject.toml", "shared", "services"}


def test_dockerfile_basics() -> None:
    instructions = _dockerfile_instructions()
    froms = [rest for w, rest in instructions if w == "FROM"]
    args = dict(rest.split("=", 1) for w, rest in instructions if w == "ARG" and "=" in rest)
    assert args.get("PYTHON_IMAGE") == "python:3.11-slim"
    assert all(f.split()[0] == "${PYTHON_IMAGE}" for f in froms)
    assert ("EXPOSE", "8000") in instructions
    user = [rest for w, rest in instructions if w == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0")
    healthcheck = next(rest for w, rest in instructions if w == "HEALTHCHECK")
    assert "urllib" in healthcheck and "/health/ready" in healthcheck
    runs = " ".join(rest for w, rest in instructions if w == "RUN")
    assert "-r requirements-runtime.lock" in runs
    assert "-r requirements.lock" not in runs
    assert "--no-deps ." in runs


# ---- the two locks ---------------------------------------------------------------------


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def _names(requirements: list[str]) -> set[str]:
    return {
        re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0]).lower()
        for r in requirements
    }


def test_the_runtime_lock_is_the_runtime_part_of_the_full_lock() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    runtime = _pins(REPO_ROOT / "requirements-runtime.lock")
    full = _pins(REPO_ROOT / "requirements.lock")
    assert {n: v for n, v in full.items() if n in runtime} == runtime  # same versions
    missing = _names(project["dependencies"]) - set(runtime)
    assert not missing, f"runtime dependencies not in requirements-runtime.lock: {missing}"
    extras = project["optional-dependencies"]
    not_runtime = (_names(extras["dev"]) | _names(extras["local"])) - _names(
        project["dependencies"]
    )
    assert not_runtime & set(runtime) == set(), "dev/local tools in the runtime lock"
    assert not_runtime <= set(full), "requirements.lock must keep the dev tools (make test)"


def test_the_makefile_installs_the_full_lock_and_locks_both() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "pip install --quiet -r requirements.lock" in makefile
    lock = makefile[makefile.index("\nlock:") :]
    assert "> requirements.lock" in lock and "> requirements-runtime.lock" in lock


# ---- Kubernetes ------------------------------------------------------------------------


def _k8s_documents() -> dict[Path, list[dict[str, Any]]]:
    docs: dict[Path, list[dict[str, Any]]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        loaded = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert loaded, f"{path.name} is empty"
        docs[path] = loaded
    return docs


def _resources(kind: str, *, example: bool = False) -> list[dict[str, Any]]:
    skip = {"kustomization.yaml"} | (set() if example else {"secret.example.yaml"})
    return [
        d
        for path, docs in _k8s_documents().items()
        if path.name not in skip
        for d in docs
        if d.get("kind") == kind
    ]


def test_every_manifest_parses_and_has_a_kind() -> None:
    for path, loaded in _k8s_documents().items():
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
    unlisted = {p.name for p in K8S.glob("*.yaml")} - set(resources)
    assert unlisted == {"kustomization.yaml", "secret.example.yaml"}


def _containers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = resource["spec"]["template"]["spec"]["containers"]
    return found


def _deployments() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"].removeprefix("slrt-"): d for d in _resources("Deployment")}


def _jobs() -> dict[str, dict[str, Any]]:
    """The jobs on SLRT's image (slrt-kafka-acls runs Kafka's own tools)."""
    return {
        j["metadata"]["name"].removeprefix("slrt-"): j
        for j in _resources("Job")
        if j["metadata"]["name"] != "slrt-kafka-acls"
    }


def test_one_deployment_and_service_per_process() -> None:
    deployments = _deployments()
    k8s_services = {s["metadata"]["name"]: s for s in _resources("Service")}
    assert set(deployments) == set(PROCESSES)
    assert {f"slrt-{p}" for p in PROCESSES} <= set(k8s_services)
    for name, deployment in deployments.items():
        (container,) = _containers(deployment)
        assert container["command"] == ["python", "-m", f"services.{name}"]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        assert k8s_services[f"slrt-{name}"]["spec"]["selector"] == selector
        assert k8s_services[f"slrt-{name}"]["spec"]["type"] == "ClusterIP"
    assert set(_jobs()) == set(JOBS)
    for name, job in _jobs().items():
        (container,) = _containers(job)
        assert container["command"] == ["python", "-m", *JOBS[name]]


def test_only_intake_smtp_leaves_the_cluster_besides_the_ingress() -> None:
    outside = [
        s for s in _resources("Service") if s["spec"].get("type", "ClusterIP") != "ClusterIP"
    ]
    assert [s["metadata"]["name"] for s in outside] == ["slrt-intake-smtp"]
    assert outside[0]["spec"]["ports"] == [{"name": "smtp", "port": 25, "targetPort": "smtp"}]


def test_deployments_probe_live_and_ready_and_ask_for_resources() -> None:
    for deployment in _deployments().values():
        (container,) = _containers(deployment)
        assert {p["name"]: p["containerPort"] for p in container["ports"]}["http"] == 8000
        paths = {p: container[p]["httpGet"]["path"] for p in ("livenessProbe", "readinessProbe")}
        assert paths == {"livenessProbe": "/health/live", "readinessProbe": "/health/ready"}
        assert container["startupProbe"]["httpGet"]["path"] == "/health/live"
        assert container["resources"]["requests"]["cpu"]


def _configmaps() -> dict[str, dict[str, str]]:
    return {c["metadata"]["name"]: c["data"] for c in _resources("ConfigMap")}


def _k8s_provides(resource: dict[str, Any]) -> tuple[set[str], set[str], str]:
    """(plain variables, secret variables, secret name) of a Deployment's or Job's container."""
    (container,) = _containers(resource)
    configmaps = _configmaps()
    plain: set[str] = set()
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, "secrets one by one (secretKeyRef), never envFrom"
        plain |= set(configmaps[source["configMapRef"]["name"]])
    secrets: set[str] = set()
    names = set()
    for e in container.get("env", []):
        assert "value" not in e, "plain values belong in a ConfigMap"
        ref = e["valueFrom"]["secretKeyRef"]
        secrets.add(e["name"])
        names.add(ref["name"])
    assert len(names) <= 1
    return plain, secrets, names.pop() if names else ""


def test_the_example_secret_has_every_key_a_container_takes() -> None:
    (secret,) = _resources("Secret", example=True)
    keys = set(secret["stringData"])
    assert keys <= SECRETS | {"SLRT_JWT_PUBLIC_KEY"}
    for resource in [*_deployments().values(), *_jobs().values()]:
        (container,) = _containers(resource)
        for e in container.get("env", []):
            ref = e["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret["metadata"]["name"]
            assert ref["key"] in keys, ref


@pytest.mark.parametrize("name", [*PROCESSES, *JOBS])
def test_every_setting_a_process_reads_is_provided_by_kubernetes(name: str) -> None:
    resource = {**_deployments(), **_jobs()}[name]
    plain, secrets, _ = _k8s_provides(resource)
    given = plain | secrets
    missing = {f for f in reads()[name] if not _provided(f, given)}
    assert not missing, f"k8s gives {name} no {sorted(m.upper() for m in missing)}"
    assert not plain & SECRETS, f"{name}: secrets in a ConfigMap: {sorted(plain & SECRETS)}"
    for field, not_for in NEVER.items():
        if name in not_for:
            assert field.upper() not in given


@pytest.mark.parametrize("name", SCHEMA_SERVICES)
def test_each_k8s_service_connects_as_its_own_role(name: str) -> None:
    (container,) = _containers(_deployments()[name])
    (db,) = [e for e in container["env"] if e["name"] == "DATABASE_URL"]
    assert db["valueFrom"]["secretKeyRef"]["key"] == f"DATABASE_URL_{name.upper()}"


def test_k8s_sets_only_known_settings() -> None:
    known = {f.upper() for f in all_fields()} | THIRD_PARTY
    for data in _configmaps().values():
        assert set(data) <= known, set(data) - known
    assert _configmaps()["slrt-config"]["KAFKA_TOPIC_REPLICATION_FACTOR"] == "3"


def test_eligibility_temp_space_holds_the_largest_upload() -> None:
    from services.eligibility.entrypoints.registry import UPLOAD_MAX_BYTES

    spec = _deployments()["eligibility"]["spec"]["template"]["spec"]
    (tmp,) = [v for v in spec["volumes"] if v["name"] == "tmp"]
    size = tmp["ephemeral"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"]
    assert size.endswith("Gi") and int(size[:-2]) << 30 >= UPLOAD_MAX_BYTES * 1.2


def test_the_ingress_routes_public_paths_and_the_staff_app_only() -> None:
    routes: dict[str, set[str]] = {}
    for ingress in _resources("Ingress"):
        assert ingress["spec"]["tls"], "TLS on every host"
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                routes.setdefault(path["backend"]["service"]["name"], set()).add(path["path"])
    assert routes == {
        "slrt-documents": {"/v1/verify/[^/]+$", "/v1/letters/[^/]+/download$"},
        "slrt-intake": {"/v1/channels/(lapor|whatsapp|facebook|instagram|twitter|website)/[^/]+$"},
        "slrt-portal": {"/(survei|[a-z0-9-]+/status)?$"},
        "slrt-dashboard": {"/"},
    }


# ---- documentation ---------------------------------------------------------------------


def test_every_setting_is_documented_for_the_operator() -> None:
    documented = _documented("## Environment variables")
    missing = {f for f in all_fields() if f not in documented}
    assert not missing, f"deploy/README.md does not document {sorted(missing)}"
    # Secrets and keys are never "left at their defaults".
    assert not left_at_default() & ({s.lower() for s in SECRETS} | set(KEY_SETTINGS))


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
    assert kinds.count("Deployment") == len(PROCESSES)


# ---- Kafka: SASL/SCRAM and ACLs (shared/kafka_acls.py) -----------------------------------


def test_compose_kafka_authenticates_and_authorises(services: dict[str, dict[str, Any]]) -> None:
    env = _env(services["kafka"])
    listeners = dict(
        pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    # What the processes reach is SASL; the one unauthenticated client listener is bound
    # to the container's own loopback (its super user is reachable from inside only).
    assert listeners["SASL"] == "SASL_PLAINTEXT"
    plain = {n for n, proto in listeners.items() if proto == "PLAINTEXT"} - {"CONTROLLER"}
    for listener in env["KAFKA_LISTENERS"].split(","):
        name, _, address = listener.partition("://")
        if name in plain:
            assert address.startswith("127.0.0.1:"), listener
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert not services["kafka"].get("ports"), "the broker is not published"


def test_compose_runs_the_generated_acl_script_with_every_users_password(
    services: dict[str, dict[str, Any]],
) -> None:
    from shared import kafka_acls

    job = services["kafka-acls"]
    assert job["network_mode"] == "service:kafka"
    assert job["volumes"] == ["./k8s/kafka-acls.sh:/slrt/kafka-acls.sh:ro"]
    assert kafka_acls.SCRIPT == K8S / "kafka-acls.sh"
    assert set(job["secrets"]) == {f"kafka_password_{u}" for u in kafka_acls.USERS}


@pytest.mark.parametrize("name", [*CONSUMERS, "topics"])
def test_each_kafka_client_is_its_own_scram_user(
    services: dict[str, dict[str, Any]], name: str
) -> None:
    svc = services[name]
    env = _env(svc)
    assert env["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert env["KAFKA_SASL_USERNAME"] == f"slrt-{name}"
    assert {"source": f"kafka_password_{name}", "target": "kafka_sasl_password"} in svc["secrets"]
    (container,) = _containers({**_deployments(), **_jobs()}[name])
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", [])}
    assert refs["KAFKA_SASL_USERNAME"] == f"KAFKA_SASL_USERNAME_{name.upper()}"
    assert refs["KAFKA_SASL_PASSWORD"] == f"KAFKA_SASL_PASSWORD_{name.upper()}"
    assert _configmaps()["slrt-config"]["KAFKA_SECURITY_PROTOCOL"].startswith("SASL_")


def test_kubernetes_runs_the_generated_acl_script() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    (generated,) = kustomization["configMapGenerator"]
    assert generated["files"] == ["kafka-acls.sh"]
    (job,) = [j for j in _resources("Job") if j["metadata"]["name"] == "slrt-kafka-acls"]
    (container,) = _containers(job)
    assert container["command"] == ["sh", "/slrt/kafka-acls.sh"]
