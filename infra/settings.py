"""Every setting of the service, read once from the environment (or a .env file)."""

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.time_limit_catalogue import SHIPPED_FILE


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
    lookup_key: SecretStr | None = Field(
        default=None,
        description="base64, at least 32 bytes: the HMAC key residents' phones are matched by; "
        "unset: one generated once and kept in the database (development only)",
    )
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
    rating_link_key: SecretStr | None = Field(
        default=None,
        description="base64, at least 32 bytes: the HMAC key rating links are signed with; "
        "unset: one generated once and kept in the database (development only)",
    )
    public_url: str | None = Field(
        default=None,
        description="the address residents reach the service at (https://...), for the "
        "rating links sent to them; unset: the address the request came to",
    )
    weight_response: float = Field(
        default=0.1, ge=0, le=1, description="the response rate's weight in the composite score"
    )
    weight_resolution: float = Field(
        default=0.5, ge=0, le=1, description="the resolution rate's weight in the composite score"
    )
    weight_satisfaction: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description="the satisfaction rate's weight in the composite score",
    )
    weight_partly_solved: float = Field(
        default=0.0, ge=0, le=1, description="what a partly solved call-back counts as solved"
    )
    weight_basically_satisfied: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="what a basically satisfied call-back counts as satisfied (some cities: 0.9)",
    )
    run_supervision: bool = Field(
        default=True,
        description="casework serve runs the supervision ladder itself (urge, supervise, "
        "public notice); false where `casework supervise run` runs it",
    )
    supervision_interval_seconds: float = Field(
        default=5.0, gt=0, le=600, description="how often the ladder looks for steps due"
    )
    access_log: bool = Field(
        default=False,
        description="casework serve logs a line per request (uvicorn's access log); off by "
        "default: it costs about a twentieth of a command's CPU, and a proxy in front usually "
        "logs the same",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=1, ge=1)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache
def get_settings() -> Settings:
    return Settings()
