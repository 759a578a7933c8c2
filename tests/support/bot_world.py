"""Test support for driving the real bot through simcord (a fake Discord harness)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import simcord.interactions as simcord_interactions

from fanbot.clock import FixedClock


@dataclass
class BotWorld:
    """The real bot driven through simcord (the ``world`` fixture): a guild with a general
    channel, two fans (alice, bob), and the bot's clock."""

    env: Any
    guild: Any
    channel: Any
    alice: Any
    bob: Any
    clock: FixedClock


def force_locale(monkeypatch: pytest.MonkeyPatch, locale: str, guild_locale: str | None = None) -> None:
    """simcord sends every interaction as en-US; rewrite its payload (a private hook,
    pinned with simcord's exact version) so handlers see another locale."""
    original = simcord_interactions.base_payload

    def patched(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        record, payload = original(*args, **kwargs)
        payload["locale"] = locale
        if "guild_locale" in payload and payload["guild_locale"] is not None:
            payload["guild_locale"] = guild_locale or locale
        return record, payload

    monkeypatch.setattr(simcord_interactions, "base_payload", patched)


def fields(result: Any) -> dict[str, str]:
    embed = result.response.embeds[0]
    return {f.name: f.value for f in embed.fields}


def timestamp(iso: str, style: str = "F") -> str:
    from fanbot.domain.localtime import parse_instant

    return f"<t:{int(parse_instant(iso).timestamp())}:{style}>"
