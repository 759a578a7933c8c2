"""Threads and forum posts,
as Discord documents them (DISCORD-PLATFORM.md in the shared docs)."""

from __future__ import annotations

from .rest import RouteSpec
from .state import FakeDiscordState


class ThreadRoutes(FakeDiscordState):
    def _feature_routes(self) -> list[RouteSpec]:
        return [*super()._feature_routes()]
