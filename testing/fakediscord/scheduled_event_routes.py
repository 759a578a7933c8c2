"""Guild scheduled events (the server's Events tab),
as Discord documents them (DISCORD-PLATFORM.md in the shared docs)."""

from __future__ import annotations

from .rest import RouteSpec
from .state import FakeDiscordState


class ScheduledEventRoutes(FakeDiscordState):
    def _feature_routes(self) -> list[RouteSpec]:
        return [*super()._feature_routes()]
