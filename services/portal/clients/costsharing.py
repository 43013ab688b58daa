"""The cost-sharing API: what a booking would cost whom."""

from __future__ import annotations

from typing import Any

from services.portal.clients.base import ApiClient


class CostsharingClient(ApiClient):
    service = "costsharing"

    def estimate(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post("/estimates", body))

    def estimates_batch(self, items: list[dict[str, Any]]) -> Any:
        return self.post("/estimates/batch", {"items": items})
