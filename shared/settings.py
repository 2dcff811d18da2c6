"""Settings from the environment, one model for every process.

Nothing here has a broker or database address written in: with none set, the local
launcher (`shared.infra`) starts embedded ones and passes their addresses down.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent

# Where deploy/ mounts secrets as files, one per setting, named after it (`slrt_lapor_secret`):
# compose's `secrets:`, a Kubernetes Secret volume. A variable of the same name wins.
SECRETS_DIR = Path("/run/secrets")

# The settings that are secrets: deploy/ provides them from a Secret (never a ConfigMap or a
# plain value in compose), and `shared.production` refuses their development defaults.
SECRET_SETTINGS: tuple[str, ...] = (
    "database_url",
    "slrt_jwt_private_key",
    "slrt_meta_app_secret",
    "slrt_meta_verify_token",
    "slrt_twitter_consumer_secret",
    "slrt_lapor_secret",
    "slrt_letter_link_secret",
    "slrt_check_code_secret",
    "slrt_survey_link_secret",
    "slrt_internal_api_key",
    "slrt_audit_key",
    "slrt_data_kek",
    "slrt_blind_index_key",
    "slrt_whatsapp_token",
    "kafka_sasl_password",
    # notifications' own settings (services/notifications/config.py)
    "slrt_channels",
    "slrt_staff_emails",
    # the migrate job's (shared/dbroles.py): analytics' pseudonym key, the analyst's login
    "slrt_analytics_pepper",
    "slrt_analyst_password",
)
# Keys SLRT signs, seals or checks with: in production at least 32 bytes, and never the
# public development default.
KEY_SETTINGS: tuple[str, ...] = (
    "slrt_meta_app_secret",
    "slrt_meta_verify_token",
    "slrt_twitter_consumer_secret",
    "slrt_lapor_secret",
    "slrt_letter_link_secret",
    "slrt_check_code_secret",
    "slrt_survey_link_secret",
    "slrt_internal_api_key",
    "slrt_audit_key",
    "slrt_data_kek",
    "slrt_blind_index_key",
)
MIN_KEY_BYTES = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="",
        extra="ignore",
        case_sensitive=False,
        secrets_dir=SECRETS_DIR if SECRETS_DIR.is_dir() else None,
    )

    database_url: str | None = Field(default=None, description="PostgreSQL URI (asyncpg).")
    kafka_bootstrap_servers: str | None = Field(default=None, description="host:port,...")
    # Apache Kafka wants the idempotent producer; Tansu (the embedded broker) refuses
    # InitProducerId, so the local launcher turns it off.
    kafka_enable_idempotence: bool = True
    kafka_linger_ms: int = 0
    # One by default: a stack of one process per service (a laptop, CI, the embedded broker)
    # gains nothing from more, and the embedded broker pays for each partition in every
    # fetch it answers (issue 15: lower latency at 1 than at 3 or 12, README). A deployment
    # that runs replicas of a consumer sets at least as many (compose 3, k8s 6).
    kafka_topic_partitions: int = Field(
        default=1,
        ge=1,
        description="Partitions of the topics `slrt topics` creates: at least the replicas "
        "of any one consuming service.",
    )
    kafka_topic_replication_factor: int = Field(
        default=1,
        ge=1,
        description="Replication factor of the topics `slrt topics` creates: 1 for one "
        "broker (the embedded one, compose), 3 for a production cluster.",
    )
    # Prepended to every topic and consumer-group name: lets several stacks (or tests)
    # share one broker without seeing each other's events.
    kafka_topic_prefix: str = ""
    # Consumer-group timing. A restarted member waits for its old self's session to expire
    # before the group settles, so tests and the laptop stack use shorter values.
    kafka_session_timeout_ms: int = 10_000
    kafka_heartbeat_interval_ms: int = 3_000
    # How long a consumer's fetch may wait at the broker for new records. A broker that
    # does not answer a waiting fetch as soon as records arrive (the embedded one) adds up
    # to this much to every hop. Shorter is not faster there: each answered fetch is a
    # batch, and a batch's fixed cost (round trips, offset commit, relay) at 50 ms kept
    # both cores busy at a quarter of the system's maximum rate; 200 ms cut the CPU per
    # case by a fifth and raised the pace by a third (README, "Batches").
    kafka_fetch_max_wait_ms: int = Field(default=200, ge=1, le=500)
    # How long a consumer's offsets may wait to be committed after its batch's transaction
    # (shared/offsets.py): a commit per batch was a broker round trip and write per batch
    # in every service. A crash or rebalance gives up to this much again, met as applied.
    # 0: after every batch.
    kafka_commit_interval_ms: int = Field(default=1000, ge=0, le=60_000)
    # Under a steady stream of commits, a service's outbox relay starts its drains at least
    # this far apart; the first wake after a quiet spell drains at once (shared/outbox.py).
    # 0: a drain on every wake.
    outbox_drain_interval_ms: int = Field(default=50, ge=0, le=5_000)
    # How long an idle batch consumer waits for records from the client's buffer before it
    # looks again. It takes records the moment they are fetched (`shared.kafka.
    # wait_for_records_without_sleeping`: no sleep after an empty look), so this only sets
    # how often an idle consumer wakes.
    kafka_batch_wait_ms: int = Field(default=500, ge=1, le=5000)
    # Authentication to the broker (deploy/: Apache Kafka with SASL/SCRAM, one user per
    # process, ACLs from shared/kafka_acls.py). PLAINTEXT only for the embedded broker,
    # which has none; the production guard refuses it.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="PLAINTEXT (the embedded broker), SASL_PLAINTEXT or SASL_SSL.",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = Field(
        default=None, description="This process's SCRAM user (`slrt-<service>` in deploy/)."
    )
    kafka_sasl_password: str | None = Field(default=None, description="Its SCRAM password.")
    kafka_ssl_cafile: str | None = Field(
        default=None,
        description="SASL_SSL: the CA that signed the broker's certificate (default: the "
        "system's trusted CAs).",
    )

    # Staff tokens are signed with Ed25519 (EdDSA). Only the processes that sign in staff
    # (the dashboard, `slrt token`) hold the private key; the five services hold the public
    # key alone and cannot mint. Each key is a PEM text or a path to a PEM file.
    slrt_jwt_private_key: str | None = Field(
        default=None, description="Ed25519 private key (PEM) that signs staff tokens."
    )
    slrt_jwt_private_key_file: Path | None = Field(
        default=None, description="Path to the Ed25519 private key (PEM)."
    )
    slrt_jwt_public_key: str | None = Field(
        default=None, description="Ed25519 public key (PEM) that verifies staff tokens."
    )
    slrt_jwt_public_key_file: Path | None = Field(
        default=None, description="Path to the Ed25519 public key (PEM)."
    )
    slrt_jwt_issuer: str = "slrt"
    slrt_token_ttl_minutes: int = 8 * 60
    slrt_log_format: Literal["auto", "json", "console"] = "auto"
    slrt_log_level: str = "INFO"
    slrt_data_dir: Path = REPO_ROOT / ".slrt"
    slrt_http_host: str = "127.0.0.1"
    slrt_http_port: int | None = None
    slrt_catalogue_dir: Path | None = None
    slrt_environment: Literal["development", "production", "test"] = "development"
    # Load a small synthetic DTKS extract into eligibility when its registry is empty.
    slrt_demo_data: bool = False

    # Channel adapters (intake). Each webhook proves its origin with the channel's secret;
    # the development defaults are public and must be replaced in production.
    slrt_meta_app_secret: str = Field(
        default="dev-meta-app-secret",
        description="App secret of the Meta app (WhatsApp Cloud API, Facebook, Instagram): "
        "X-Hub-Signature-256 is an HMAC-SHA256 of the body with it.",
    )
    slrt_meta_verify_token: str = Field(
        default="dev-meta-verify-token",
        description="Echoed by Meta when it checks the webhook URL (hub.verify_token).",
    )
    slrt_twitter_consumer_secret: str = Field(
        default="dev-twitter-consumer-secret",
        description="X (Twitter) app consumer secret: signs webhooks and CRC answers.",
    )
    slrt_lapor_secret: str = Field(
        default="dev-lapor-secret",
        description="Shared secret with the SP4N-LAPOR connector (HMAC-SHA256 of the body).",
    )
    # One-time download links for signed letters (shared.letter_links): notifications
    # mints them, documents checks them; both need the same key.
    slrt_letter_link_secret: str = Field(
        default="dev-letter-link-secret-change-me",
        description="HMAC key of the one-time letter download codes. Set a real one in "
        "production (the same for notifications and documents).",
    )
    # The citizen's check code (shared.check_codes): intake issues and verifies it,
    # notifications opens the sealed copy for the first message.
    slrt_check_code_secret: str = Field(
        default="dev-check-code-secret-change-me",
        description="Key of the check codes: the pepper of their stored hash and the "
        "AES-GCM key of the sealed copy for the first message. Set a real one in "
        "production (the same for intake and notifications).",
    )
    # The citizen's one-time link to the satisfaction survey (shared.survey_links):
    # notifications mints it, the portal checks it.
    slrt_survey_link_secret: str = Field(
        default="dev-survey-link-secret-change-me",
        description="HMAC key of the survey links (the same for notifications and portal).",
    )
    # Internal read APIs between services (the portal's lookups, notifications' status
    # answers): a shared key in the X-SLRT-Internal-Key header (shared.internal_api).
    slrt_internal_api_key: str = Field(
        default="dev-internal-api-key-change-me",
        description="Key of the internal read APIs (intake, casework). Set a real one in "
        "production, the same for every service.",
    )
    # The audit log names a person looked up by NIK by a keyed hash of it, never the NIK:
    # an auditor asks for one NIK and the service computes the same hash.
    slrt_audit_key: str = Field(
        default="dev-audit-key-change-me",
        description="HMAC key of the identity numbers in the audit log. Set a real one in "
        "production, the same for every service.",
    )
    # Crypto-shredding (shared/personal.py, shared/eventstore/subjects.py): each person's
    # data key is wrapped by this key-encryption key; the blind index of a NIK (one person,
    # one subject) is an HMAC with the second key.
    slrt_data_kek: str = Field(
        default="dev-data-key-encryption-key-change-me",
        description="Key-encryption key of the per-person data keys (any string of at least "
        "32 bytes; the AES-256 key is derived from it). The same for every service; losing "
        "it loses every person's data.",
    )
    slrt_blind_index_key: str = Field(
        default="dev-blind-index-key-change-me",
        description="HMAC key of the NIK blind index (the same NIK, the same subject).",
    )
    slrt_encrypt_personal_data: bool = Field(
        default=True,
        description="Bench and tests only: false stores personal fields in clear (to measure "
        "the cost of encryption). Refused in production.",
    )
    # Where the services find each other's internal APIs (the launcher sets them).
    slrt_intake_url: str = "http://127.0.0.1:8101"
    slrt_casework_url: str = "http://127.0.0.1:8104"
    # The public portal (status page, survey form): links in messages start here.
    slrt_portal_url: str = "http://127.0.0.1:8107"
    # WhatsApp media (Cloud API): intake fetches each image/document a citizen sent from
    # `<base>/<media id>` (JSON with a `url`), then that url, both with the app's token.
    slrt_whatsapp_api_base: str = Field(
        default="https://graph.facebook.com/v21.0",
        description="Graph API base, with its version. Tests point it at a local server.",
    )
    slrt_whatsapp_token: str = Field(
        default="",
        description="The WhatsApp app's access token. Empty = not configured: media are "
        "kept as references and recorded as failed with reason not_configured.",
    )
    slrt_whatsapp_media_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest media file fetched and kept."
    )
    # The SMTP endpoint that receives the offices' e-mail (None = not started).
    slrt_smtp_host: str = "127.0.0.1"
    slrt_smtp_port: int | None = None
    # Intake's HTTP door on several processes (shared/workers.py); worker 0 alone runs the
    # once-only parts (SMTP door, Kafka consumer).
    slrt_intake_workers: int = Field(
        default_factory=lambda: min(2, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="Intake processes serving its port: two where there are two cores or more.",
    )

    # Readiness (`/health/ready`, shared.health): a service answers 503 naming the failing
    # checks when its database does not answer within the timeout, its consumer has not
    # joined, or its outbox backlog or consumer lag is past these limits.
    slrt_ready_db_timeout_seconds: float = Field(
        default=1.0, gt=0, description="How long readiness waits for `SELECT 1`."
    )
    slrt_ready_max_outbox_backlog: int = Field(
        default=10_000, ge=0, description="Unpublished outbox events allowed while ready."
    )
    slrt_ready_max_outbox_age_seconds: float = Field(
        default=300.0, ge=0, description="Age of the oldest unpublished outbox event allowed."
    )
    slrt_ready_max_consumer_lag: int = Field(
        default=10_000, ge=0, description="Events in the store not yet applied, allowed."
    )
    slrt_ready_max_consumer_lag_seconds: float = Field(
        default=300.0, ge=0, description="Age of the oldest event not yet applied, allowed."
    )
    # One structured line per HTTP request (shared.access_log).
    slrt_access_log: bool = Field(default=True, description="Log one line per HTTP request.")


def topic_name(settings: Settings, topic: str) -> str:
    return f"{settings.kafka_topic_prefix}{topic}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


# Fixed local ports: one per service, so `make up` can print where each one is.
DEFAULT_PORTS: dict[str, int] = {
    "intake": 8101,
    "eligibility": 8102,
    "documents": 8103,
    "casework": 8104,
    "notifications": 8105,
    "dashboard": 8106,  # the staff web app
    "portal": 8107,
}
