"""Roles: creating them, and giving and taking them from members,
as Discord documents them (DISCORD-PLATFORM.md in the shared docs)."""

from __future__ import annotations

from .rest import RouteSpec
from .state import FakeDiscordState


class RoleRoutes(FakeDiscordState):
    def _feature_routes(self) -> list[RouteSpec]:
        return [*super()._feature_routes()]
