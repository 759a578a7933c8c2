"""Settings, from the environment or a ``.env`` file (see ``.env.example``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"
# What FANBOT_DATABASE_URL may start with (the store's backend for them: fanbot.store.postgres).
POSTGRES_URL_SCHEMES = ("postgresql://", "postgres://")
# A bound on FANBOT_SHARD_COUNT that no bot reaches (Discord asks for one shard per 2,500
# guilds at most), so that a typo with extra digits is told rather than attempted.
MAX_SHARDS = 65_536


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
    # Sharding (``FANBOT_SHARD_COUNT``, ``FANBOT_SHARD_IDS``): how many shards the whole bot
    # has, and which of them this process runs. None: one process, unsharded, as before.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    # The optional web server (subscription links, /healthz, /metrics): off unless a port is set.
    http_host: str = "127.0.0.1"
    http_port: int | None = None
    # How members reach it (the links /calendar link gives), e.g. https://fanbot.example.net;
    # defaults to http://host:port.
    http_public_url: str | None = None
    # Feeds a server subscribes to may be on private addresses (tests, private deployments only).
    feeds_allow_private: bool = False
    # A published copy of the catalog file to follow (fetched on start and daily).
    catalog_url: str | None = None

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
            **_shards(env),
            http_host=(env.get("FANBOT_HTTP_HOST") or "").strip() or "127.0.0.1",
            http_port=_port(env, "FANBOT_HTTP_PORT"),
            http_public_url=(env.get("FANBOT_HTTP_PUBLIC_URL") or "").strip().rstrip("/") or None,
            feeds_allow_private=_flag(env, "FANBOT_FEEDS_ALLOW_PRIVATE"),
            catalog_url=(env.get("FANBOT_CATALOG_URL") or "").strip() or None,
        )

    @property
    def http_base_url(self) -> str | None:
        """Where members' links point: the public URL, else the address the server listens on."""
        if self.http_port is None:
            return None
        if self.http_public_url:
            return self.http_public_url
        host = f"[{self.http_host}]" if ":" in self.http_host else self.http_host
        return f"http://{host}:{self.http_port}"

    @property
    def sharded(self) -> bool:
        """Whether this process runs a group of shards (``AutoShardedBot``) rather than
        the one unsharded connection of a bot run as a single process."""
        return self.shard_count is not None

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


def _port(env: dict[str, str], name: str) -> int | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and 0 <= int(raw) <= 65535):
        raise ConfigError(f"{name} must be a TCP port from 0 to 65535 (0: any free port), not {raw!r}")
    return int(raw)


def _flag(env: dict[str, str], name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0, not {raw!r}")


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


def _shards(env: dict[str, str]) -> dict[str, Any]:
    """``shard_count`` and ``shard_ids`` from ``FANBOT_SHARD_COUNT`` and ``FANBOT_SHARD_IDS``.

    The count alone runs every shard in this one process; ids without a count cannot say
    which guilds are whose, so they are refused rather than guessed."""
    raw_count = (env.get("FANBOT_SHARD_COUNT") or "").strip()
    raw_ids = (env.get("FANBOT_SHARD_IDS") or "").replace(" ", "")
    if not raw_count:
        if raw_ids:
            raise ConfigError(
                f"FANBOT_SHARD_IDS ({raw_ids!r}) needs FANBOT_SHARD_COUNT, the number of shards of "
                "the whole bot across every process (like FANBOT_SHARD_COUNT=4 FANBOT_SHARD_IDS=0-1)"
            )
        return {}
    if not raw_count.isdigit() or not 1 <= int(raw_count) <= MAX_SHARDS:
        raise ConfigError(
            f"FANBOT_SHARD_COUNT must be a whole number of shards from 1 to {MAX_SHARDS}, not {raw_count!r}"
        )
    count = int(raw_count)
    if not raw_ids:
        return {"shard_count": count, "shard_ids": tuple(range(count))}
    return {"shard_count": count, "shard_ids": _shard_ids(raw_ids, count)}


def _shard_ids(raw: str, count: int) -> tuple[int, ...]:
    """``0-3``, ``4,5`` or ``0-1,6``: each id once, each below ``count``."""
    ids: set[int] = set()
    for part in raw.split(","):
        first, dash, last = part.partition("-")
        if not first.isdigit() or (dash and not last.isdigit()):
            raise ConfigError(
                f"FANBOT_SHARD_IDS must list shard numbers and ranges like 0-3, 4,5 or 0-1,6, not {raw!r}"
            )
        low, high = int(first), int(last) if dash else int(first)
        if low > high:
            raise ConfigError(f"FANBOT_SHARD_IDS: the range {part} runs backwards (write {high}-{low})")
        if high >= count:
            raise ConfigError(
                f"FANBOT_SHARD_IDS: shard {high} does not exist with FANBOT_SHARD_COUNT={count} "
                f"(shards are numbered 0 to {count - 1})"
            )
        twice = ids.intersection(range(low, high + 1))
        if twice:
            raise ConfigError(f"FANBOT_SHARD_IDS lists shard {min(twice)} twice ({raw!r})")
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


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
