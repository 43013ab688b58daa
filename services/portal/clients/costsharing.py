"""The cost-sharing API: what a booking would cost whom."""

from __future__ import annotations

from typing import Any

import requests

from services.portal.clients.base import ApiClient


class CostsharingClient(ApiClient):
    service = "costsharing"

    def estimate(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post("/estimates", body))

    def estimates_batch(self, items: list[dict[str, Any]]) -> Any:
        return self.post("/estimates/batch", {"items": items})

    # -- the national picture: efficiency figures and the evaluation report ----------------
    def efficiency(self, period: str, group_by: str) -> dict[str, Any]:
        return dict(self.get("/efficiency", period=period, group_by=group_by))

    def evaluation(self, baseline: str, period: str) -> dict[str, Any]:
        return dict(self.get("/evaluation", baseline=baseline, period=period))

    def evaluation_csv(self, baseline: str, period: str) -> requests.Response:
        """The API's own CSV (and its Content-Disposition), to pass on as it came."""
        return self.call(
            "GET",
            "/evaluation",
            params={"baseline": baseline, "period": period},
            headers={"Accept": "text/csv"},
        )
