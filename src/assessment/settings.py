"""Settings, from the environment or a TOML file (pydantic-settings).

Sources, the first that gives a value wins:

1. environment variables (``DATABASE_URL``, ``ASSESSMENT_MODE``, ``ASSESSMENT_DATA_DIR``,
   ``ASSESSMENT_GRIDS_DIR``, ``ASSESSMENT_SESSION_TTL_MINUTES``,
   ``ASSESSMENT_SESSION_MAX_DAYS``, ``ASSESSMENT_MIN_GROUP_SIZE``,
   ``ASSESSMENT_NATIONAL_BODY_NAME``, ``ASSESSMENT_LOG_LEVEL``); an empty
   variable counts as unset;
2. the settings file: the path in ``ASSESSMENT_SETTINGS``, else ``assessment.toml``
   in the working directory when it exists (keys: ``database_url``, ``mode``,
   ``data_dir``, ``grids_dir``, ``session_ttl_minutes``, ``session_max_days``,
   ``min_group_size``, ``national_body_name``, ``log_level``);
3. the defaults below.

pydantic-settings reads and types the environment and orders the sources; the
file is read here (``tomllib``) so that a missing or unreadable file, an
unknown key or a bad value each get one French message naming it.  Relative
paths are relative to the working directory.  OpenID Connect secrets are
Streamlit's own (``.streamlit/secrets.toml``, ``[auth]``).
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assessment.errors import UserError

SETTINGS_FILE_NAME = "assessment.toml"
SQLITE_FILE_NAME = "assessment.sqlite3"
ENV_PREFIX = "ASSESSMENT_"


class SettingsError(UserError, ValueError):
    """A settings file or variable that cannot be used (French message)."""


class Settings(BaseSettings):
    """Every setting of the product."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="forbid", frozen=True
    )

    database_url: str | None = Field(
        default=None,
        # Unprefixed, as hosting platforms set it; ``database_url`` in the file.
        validation_alias=AliasChoices("database_url", "DATABASE_URL"),
        description="SQLAlchemy URL; None means the SQLite file in data_dir. "
        "postgres:// and postgresql:// URLs are normalised to the psycopg driver.",
    )
    mode: Literal["demo", "production"] = "demo"
    data_dir: Path = Path("data")
    grids_dir: Path = Path("guide")
    session_ttl_minutes: int = Field(
        default=8 * 60, ge=1, description="A web session ends after this long without use"
    )
    session_max_days: int = Field(
        default=30, ge=1, description="A web session ends this long after sign-in, used or not"
    )
    min_group_size: int = Field(
        default=5, ge=2, description="Smallest group of organisations an aggregate may show"
    )
    national_body_name: str = Field(
        default="ESS France",
        min_length=1,
        max_length=100,
        description="The national body's name, shown in the national role's label "
        "(CNCRESS was absorbed into ESS France in 2020)",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Level of the JSON log lines written on standard error"
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / SQLITE_FILE_NAME

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use (the default SQLite file when none is set)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.sqlite_path}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file's values, which come in as init values.
        return (env_settings, init_settings)


def environment_variable(field: str) -> str:
    """The environment variable of a setting (``mode`` → ``ASSESSMENT_MODE``)."""
    if field == "database_url":
        return "DATABASE_URL"
    return ENV_PREFIX + field.upper()


def load_settings(cwd: Path | None = None) -> Settings:
    """Read the settings now (no cache); see the module docstring for the sources."""
    base = Path.cwd() if cwd is None else cwd
    values: dict[str, Any] = {}
    explicit = os.environ.get("ASSESSMENT_SETTINGS")
    path = Path(explicit) if explicit else base / SETTINGS_FILE_NAME
    if not path.is_absolute():
        path = base / path
    if explicit and not path.is_file():
        raise SettingsError(f"Fichier de réglages introuvable : {path}")
    if path.is_file():
        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"Fichier de réglages illisible ({path}) : {exc}") from exc
    try:
        settings = Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))} : {e['msg']}" for e in exc.errors())
        raise SettingsError(f"Réglages invalides : {problems}") from exc
    updates: dict[str, Path] = {}
    for key in ("data_dir", "grids_dir"):
        value: Path = getattr(settings, key)
        if not value.is_absolute():
            updates[key] = base / value
    return settings.model_copy(update=updates)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (call ``get_settings.cache_clear()`` to re-read)."""
    return load_settings()
