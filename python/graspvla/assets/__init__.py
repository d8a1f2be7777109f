"""Object assets: procedural library, user-mesh importer, convex decomposition, catalogue."""

from __future__ import annotations

__all__: list[str] = []
