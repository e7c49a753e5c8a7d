"""Which environment a configuration describes. Production mode (`MEGABIRD_ENV=production`,
SEC-09) is stricter everywhere it matters: sandboxes refused, webhooks only to public
addresses (SEC-08); anything else is development."""
from __future__ import annotations

from typing import Mapping


def is_production(config: Mapping) -> bool:
    return str(config.get("MEGABIRD_ENV") or "development").strip().lower() == "production"
