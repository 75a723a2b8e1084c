"""Every setting of the service, read once from the environment (or a .env file)."""

from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.time_limits import LadderRules
from infra.time_limit_catalogue import SHIPPED_FILE
from projections.compliance.assessment import AssessmentRules
from projections.compliance.report import Weights


def _weight(default: float, description: str) -> Any:
    """A CASEWORK_WEIGHT_* setting: a fraction, by default the report's own."""
    return Field(default=default, ge=0, le=1, description=description)


def _hmac_key(used_for: str) -> Any:
    """A CASEWORK_*_KEY setting holding an HMAC key; unset, the service makes one once."""
    return Field(
        default=None,
        description=f"base64, at least 32 bytes: the HMAC key {used_for}; "
        "unset: one generated once and kept in the database (development only)",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CASEWORK_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "CASEWORK_DATABASE_URL"),
        description="postgresql://... of an external PostgreSQL; unset: an embedded one",
    )
    data_dir: Path = Field(
        default=Path("var"), description="where the embedded PostgreSQL keeps its data"
    )
    timezone: str = Field(default="Asia/Shanghai", description="the zone days are counted in")
    time_limits_file: Path = Field(
        default=SHIPPED_FILE, description="the time-limit catalogue (JSON) per kind and category"
    )
    calendar_refresh_seconds: float = Field(
        default=30.0,
        ge=0,
        description="how often a running service reads again the yearly calendars loaded",
    )
    pool_size: int = Field(default=5, ge=1, description="event store connections per process")
    group_commit: bool = Field(
        default=True,
        description="appends made at the same time by one process share one transaction",
    )
    pool_max_overflow: int = Field(default=5, ge=0)
    db_timeout_seconds: float = Field(
        default=1.5,
        gt=0,
        description="how long a request waits for a database connection before a 503",
    )
    read_wait_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="how long a query with min_position waits for the read models",
    )
    lookup_key: SecretStr | None = _hmac_key("residents' phones are matched by")
    master_key: SecretStr | None = Field(
        default=None,
        description="base64, 32 bytes: wraps each resident's data key; unset: data keys are "
        "stored unwrapped (development only)",
    )
    key_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="how long a process keeps a resident's data key in memory; other "
        "processes stop using an erased key within this time",
    )
    auth_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="how long a process trusts a token it has checked; a token revoked by "
        "another process stops working within this time",
    )
    areas_cache_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="how long a process keeps the areas it has looked up; areas loaded by "
        "another process are seen within this time",
    )
    run_projections: bool = Field(
        default=True, description="casework serve keeps the read models up to date itself"
    )
    redo_on_not_solved: bool = Field(
        default=True,
        description="a valid call-back saying not solved and dissatisfied reopens the case "
        "for redo (重办) by itself",
    )
    rating_link_on_closure: bool = Field(
        default=True,
        description="a closure issues a rating link (回访 without a call) to the resident by "
        "itself; a clerk or supervisor may always ask for one",
    )
    rating_link_days: float = Field(
        default=7, gt=0, le=90, description="how many days a rating link may be answered"
    )
    rating_link_key: SecretStr | None = _hmac_key("rating links are signed with")
    weight_response: float = _weight(
        Weights.response, "the response rate's weight in the composite score"
    )
    weight_resolution: float = _weight(
        Weights.resolution, "the resolution rate's weight in the composite score"
    )
    weight_satisfaction: float = _weight(
        Weights.satisfaction, "the satisfaction rate's weight in the composite score"
    )
    weight_partly_solved: float = _weight(
        Weights.partly_solved, "what a partly solved call-back counts as solved"
    )
    weight_basically_satisfied: float = _weight(
        Weights.basically_satisfied,
        "what a basically satisfied call-back counts as satisfied (some cities: 0.9)",
    )
    assessment_floor: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="the 3456 assessment's floor of grid time: visit minutes / working "
        "minutes (Hubei: 0.667)",
    )
    assessment_hours_per_day: float = Field(
        default=8.0, gt=0, le=24, description="working hours of a working day, for the floor"
    )
    assessment_weight_grid_time: float = _weight(0.3, "the grid-time score's weight in the total")
    assessment_weight_residents: float = _weight(
        0.3, "the residents' verdicts' (composite score's) weight in the total"
    )
    assessment_weight_community: float = _weight(0.2, "the community's score's weight in the total")
    assessment_weight_street: float = _weight(
        0.2, "the street office's score's weight in the total"
    )
    run_supervision: bool = Field(
        default=True,
        description="casework serve runs the supervision ladder itself (urge, supervise, "
        "public notice); false where `casework supervise run` runs it",
    )
    supervision_interval_seconds: float = Field(
        default=5.0, gt=0, le=600, description="how often the ladder looks for steps due"
    )
    supervision_threads: int = Field(
        default=8,
        ge=1,
        le=64,
        description="cases the ladder decides at once (their saves share one commit): 10,000 "
        "crossing at once took 25 s with 8, 50 s with 2 (BENCHMARKS.md)",
    )
    ladder_yellow_working_days: int = Field(
        default=1,
        ge=1,
        le=10,
        description="a case with a limit in days turns yellow (urged, 催办) with this many "
        "working days left, counting its deadline's day",
    )
    ladder_yellow_hours_fraction: float = Field(
        default=0.25,
        gt=0,
        lt=1,
        description="a case with a limit in hours turns yellow with this share of it left",
    )
    ladder_public_notice_working_days: int = Field(
        default=5,
        ge=0,
        le=60,
        description="a case still open this many working days after its deadline's day is "
        "publicly noted (通报)",
    )
    run_webhooks: bool = Field(
        default=True,
        description="casework serve sends webhook deliveries itself; false where "
        "`casework webhooks run` sends them",
    )
    webhook_retry_seconds: float = Field(
        default=10.0,
        gt=0,
        description="the wait after a delivery's first failed attempt; doubled after each",
    )
    webhook_retry_max_seconds: float = Field(
        default=3600.0, gt=0, description="the longest wait between two attempts"
    )
    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, description="how long a receiver may take to answer"
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="how often the dispatcher looks for deliveries due"
    )
    notification_poll_seconds: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="how often an open notification stream looks for new notifications",
    )
    access_log: bool = Field(
        default=False,
        description="casework serve logs a line per request (uvicorn's access log); off by "
        "default: it costs about a twentieth of a command's CPU, and a proxy in front usually "
        "logs the same",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str | None = Field(
        default=None,
        description="where people reach the service, e.g. https://casework.example.org: the "
        "start of the sign-in links `casework users link` prints (unset: http://HOST:PORT) "
        "and of the rating links sent to residents (unset: the address the request came to)",
    )
    workers: int = Field(default=1, ge=1)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def assessment_rules(self) -> AssessmentRules:
        weights = {
            part: getattr(self, f"assessment_weight_{part}")
            for part in ("grid_time", "residents", "community", "street")
        }
        return AssessmentRules(
            floor=self.assessment_floor, hours_per_day=self.assessment_hours_per_day, **weights
        )

    @property
    def ladder_rules(self) -> LadderRules:
        return LadderRules(
            yellow_working_days=self.ladder_yellow_working_days,
            yellow_hours_fraction=self.ladder_yellow_hours_fraction,
            public_notice_working_days=self.ladder_public_notice_working_days,
        )

    @property
    def weights(self) -> Weights:
        """The compliance report's weights, from the CASEWORK_WEIGHT_* settings."""
        return Weights(**{f.name: getattr(self, f"weight_{f.name}") for f in fields(Weights)})


@lru_cache
def get_settings() -> Settings:
    return Settings()
