"""How every asset is catalogued in the UI: its owners, and the tags that filter it (domain,
layer, tier), declared once per domain so the asset catalogue reads the same everywhere.

Layers: `source` (systems the platform reads but does not write), `reference`, `raw` (as
received), `bronze`, `silver`, `gold` (what people and dashboards read), `bi` (dashboards).
Tier 1: a dashboard or a decision reads it every day; tier 2: the platform's own steps.
Plain data, no Dagster: a domain package's `__init__` declares its `Domain`, and the pure
modules beside it stay importable without Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LAYERS = ("source", "reference", "raw", "bronze", "silver", "gold", "bi")


@dataclass(frozen=True)
class Domain:
    name: str
    owners: tuple[str, ...]

    def attributes(self, layer: str, tier: int) -> dict[str, Any]:
        """`owners` and `tags` for an asset decorator or `AssetSpec` of this domain."""
        if layer not in LAYERS or tier not in (1, 2):
            raise ValueError(f"layer {layer!r} / tier {tier}: use one of {LAYERS}, tier 1 or 2")
        return {
            "owners": list(self.owners),
            "tags": {"domain": self.name, "layer": layer, "tier": str(tier)},
        }
