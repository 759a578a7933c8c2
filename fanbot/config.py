"""Settings, from the environment or a ``.env`` file (see ``.env.example``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"
# What FANBOT_DATABASE_URL may start with (the store's backend for them: fanbot.store.postgres).
POSTGRES_URL_SCHEMES = ("postgresql://", "postgres://")


class ConfigError(ValueError):
    """A setting that cannot be used; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    token: str | None = None
    database: Path = Path("fanbot.sqlite3")
    # A PostgreSQL database instead of the SQLite file (several processes, several machines).
    database_url: str | None = None
    dev_guild_id: int | None = None
    owner_ids: frozenset[int] = field(default_factory=frozenset)
    api_base_url: str = DEFAULT_API_BASE
    gateway_url: str = DEFAULT_GATEWAY
    log_level: str = "INFO"
    # How long a reminder claim holds before another process may take it over
    # (after a crash). Long enough for Discord's retries; short for end-to-end tests.
    reminder_lease_seconds: float = 60.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, *, dotenv: bool = True) -> Settings:
        if env is None:
            if dotenv:
                load_dotenv(Path.cwd() / ".env", override=False)
            env = dict(os.environ)
        return cls(
            token=(env.get("DISCORD_TOKEN") or "").strip() or None,
            database=Path(env.get("FANBOT_DB") or "fanbot.sqlite3"),
            database_url=_database_url(env, "FANBOT_DATABASE_URL"),
            dev_guild_id=_optional_id(env, "FANBOT_DEV_GUILD_ID"),
            owner_ids=frozenset(_id_list(env, "FANBOT_OWNER_IDS")),
            api_base_url=(env.get("DISCORD_API_BASE_URL") or DEFAULT_API_BASE).rstrip("/"),
            gateway_url=env.get("DISCORD_GATEWAY_URL") or DEFAULT_GATEWAY,
            log_level=(env.get("FANBOT_LOG_LEVEL") or "INFO").upper(),
            reminder_lease_seconds=_seconds(env, "FANBOT_REMINDER_LEASE_SECONDS", 60.0),
        )

    @property
    def store_target(self) -> str | Path:
        """What ``Store.open`` takes: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.database_url or self.database


def _database_url(env: dict[str, str], name: str) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not raw.startswith(POSTGRES_URL_SCHEMES):
        # The value is not repeated: it may hold a password.
        raise ConfigError(
            f"{name} must be a PostgreSQL URL starting with postgresql://, like "
            "postgresql://fanbot@db.example.net:5432/fanbot (for a SQLite file, set FANBOT_DB instead)"
        )
    return raw


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 1.0 <= value <= 3600.0:
        raise ConfigError(f"{name} must be a number of seconds between 1 and 3600, not {raw!r}")
    return value


def _optional_id(env: dict[str, str], name: str) -> int | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a Discord id (digits only), not {raw!r}")
    return int(raw)


def _id_list(env: dict[str, str], name: str) -> list[int]:
    raw = (env.get(name) or "").replace(" ", "")
    ids = []
    for part in filter(None, raw.split(",")):
        if not part.isdigit():
            raise ConfigError(f"{name} must be comma-separated Discord ids, not {part!r}")
        ids.append(int(part))
    return ids


def catalog_path() -> Path:
    """The shipped catalog: inside an installed wheel, or ``data/`` in a checkout."""
    packaged = Path(__file__).parent / "_data" / "catalog.json"
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parent.parent / "data" / "catalog.json"
