"""Settings every process shares (env prefix ADMINT_); each service subclasses them in its config.py.

Defaults serve the local stack started by `make up`; outside development, default secrets are refused.
"""

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from admint.contracts.stages import PIPELINE

DEV_S3_ACCESS_KEY = "admint"
DEV_S3_SECRET_KEY = "admint-dev-secret"


class CoreSettings(BaseSettings):
    """Where the servers are, how work is retried and drained: nothing about models or media."""

    model_config = SettingsConfigDict(env_prefix="ADMINT_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", description="production refuses default secrets."
    )
    service_name: str = Field(default="admint", description="Name used in logs, metrics and event producers.")
    log_level: str = Field(default="INFO", description="Python log level.")
    log_format: Literal["json", "text"] = Field(
        default="json", description="Structured JSON logs by default."
    )

    nats_url: str = Field(default="nats://127.0.0.1:4222", description="NATS server URL(s), comma-separated.")
    stream_name: str = Field(default="ADMINT", description="JetStream stream holding every event.")
    stream_max_age_s: float = Field(default=7 * 24 * 3600, description="How long events are kept.")
    stream_duplicate_window_s: float = Field(
        default=300, description="Nats-Msg-Id de-duplication window.", ge=120
    )
    stream_replicas: int = Field(default=1, description="JetStream replicas (3 in a production cluster).")

    mongo_url: str = Field(default="mongodb://127.0.0.1:27017", description="MongoDB connection string.")
    mongo_db: str = Field(default="admint", description="Database name.")

    s3_endpoint: str = Field(default="127.0.0.1:8333", description="S3 endpoint host:port (no scheme).")
    s3_public_endpoint: str | None = Field(
        default=None,
        description="Host:port clients use for presigned URLs, when it differs from s3_endpoint.",
    )
    s3_access_key: str = Field(default=DEV_S3_ACCESS_KEY, description="S3 access key.")
    s3_secret_key: SecretStr = Field(default=SecretStr(DEV_S3_SECRET_KEY), description="S3 secret key.")
    s3_secure: bool = Field(default=False, description="Use https to reach S3.")
    s3_region: str = Field(default="us-east-1", description="S3 region (used for presigning).")
    s3_bucket: str = Field(default="admint", description="Bucket for every artifact.")
    presign_expiry_s: int = Field(
        default=24 * 3600, description="Lifetime of presigned links.", ge=60, le=7 * 24 * 3600
    )

    health_port: int = Field(
        default=0, description="Port of /healthz, /readyz, /metrics (0 = pick a free one)."
    )
    health_host: str = Field(default="127.0.0.1", description="Bind address of the health endpoint.")

    retry_base_s: float = Field(
        default=1.0, description="First retry delay; doubles per delivery (with jitter).", gt=0
    )
    retry_cap_s: float = Field(default=30.0, description="Longest retry delay.", gt=0)
    stage_budgets_s: dict[str, float] = Field(
        default_factory=lambda: dict(PIPELINE.budgets_s),
        description="Longest time a generation may spend in each stage before it is failed (JSON object).",
    )
    heal_after_s: float = Field(
        default=20.0, gt=0,
        description="A generation quiet this long whose stage inputs are all recorded gets its missing completion.",
    )
    approval_deadline_s: float = Field(
        default=7 * 24 * 3600, description="How long an interactive generation waits at a checkpoint for its owner "
        "(since it got there or was last acted on) before it ends as expired.", gt=0,
    )
    version_budget_s: float = Field(
        default=3600, description="Longest time a new version of a completed ad may take before it is failed.", gt=0
    )
    watchdog_interval_s: float = Field(
        default=15.0, description="How often each service sweeps for stuck work.", gt=0
    )
    ack_wait_s: float | None = Field(
        default=None, description="Override every consumer's ack wait (redelivery delay of crashed work).", gt=0
    )
    max_inflight: int = Field(
        default=2, description="Messages one worker process handles at once.", ge=1, le=64
    )
    process_nice: int = Field(
        default=0, ge=0, le=19,
        description="Added to the worker process's nice value when it starts (`python -m admint.<svc>`): work "
                    "beside the pipeline yields the CPU to the stages a generation waits for.",
    )
    tool_nice: int = Field(
        default=5, ge=0, le=19,
        description="Nice levels below the worker process that the media tools it starts (ffmpeg) run at: the "
                    "worker's event handling is not kept waiting behind its own encodes.",
    )
    render_processes: int = Field(
        default=0, ge=0, le=64,
        description="Processes that render offline media beside a worker that renders (chunker, storyboard), at "
                    "the tools' nice level (~105 MB each); 0 = one per usable core (the CPU affinity, capped by "
                    "the cgroup quota a Kubernetes CPU limit sets). Rendering in the worker's own threads held "
                    "its GIL, and events waited for their handler behind it.",
    )
    shutdown_grace_s: float = Field(default=60.0, description="Time to finish in-flight work on SIGTERM.")
    stale_upload_s: float = Field(
        default=3600.0, gt=0, description="Multipart uploads older than this are a crashed writer's: aborted at start.")
    workdir: str = Field(default="/tmp/admint", description="Scratch directory for media work.")

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> "CoreSettings":
        if self.environment == "production" and self.s3_secret_key.get_secret_value() == DEV_S3_SECRET_KEY:
            raise ValueError(
                "ADMINT_S3_SECRET_KEY must be set in production (the development default is public)"
            )
        return self
