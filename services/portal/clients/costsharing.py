"""The cost-sharing API: what a booking would cost whom; finance's allocations, reviews and
statements; administrators' agreements."""

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

    # -- finance: allocations and their review ---------------------------------------------
    def allocations(self, **params: Any) -> dict[str, Any]:
        """A page of allocations, oldest first: ``{items, next_cursor}``. Filters: state (one
        or a list), org, category, period, booking_id; limit, cursor."""
        return dict(self.get("/allocations", **params))

    def allocation(self, allocation_id: str) -> dict[str, Any]:
        return dict(self.get(f"/allocations/{allocation_id}"))

    def ledger(self, allocation_id: str) -> list[dict[str, Any]]:
        return self.every(f"/allocations/{allocation_id}/ledger", limit=200)

    def reviews(self, allocation_id: str) -> list[dict[str, Any]]:
        return self.every(f"/allocations/{allocation_id}/reviews", limit=200)

    def review(self, allocation_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """approve, dispute or resolve (the API enforces the four-eyes rule)."""
        return dict(self.post(f"/allocations/{allocation_id}/{action}", body))

    # -- finance: statements ---------------------------------------------------------------
    def statement(self, org: str, period: str) -> dict[str, Any]:
        return dict(self.get("/statements", org=org, period=period))

    def statement_csv(self, org: str, period: str) -> requests.Response:
        """The API's own CSV (and its Content-Disposition), to pass on as it came."""
        return self.call(
            "GET",
            "/statements",
            params={"org": org, "period": period},
            headers={"Accept": "text/csv"},
        )

    def close_statement(self, org: str, period: str) -> dict[str, Any]:
        return dict(self.post("/statements/close", {"org": org, "period": period}))

    # -- administrators: agreements ----------------------------------------------------------
    def agreements(self) -> list[dict[str, Any]]:
        """Every agreement, by legal basis and name."""
        return self.every("/agreements", limit=200)

    def agreement_with_etag(self, agreement_id: str) -> tuple[dict[str, Any], str]:
        response = self.call("GET", f"/agreements/{agreement_id}")
        return dict(response.json()), response.headers.get("ETag", "")

    def preview_agreement(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post("/agreements/preview", body))

    def create_agreement(self, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return dict(self.post("/agreements", body, headers={"Idempotency-Key": idempotency_key}))

    def new_agreement_version(
        self, agreement_id: str, changes: dict[str, Any], etag: str
    ) -> dict[str, Any]:
        """PATCH with If-Match: a version made meanwhile by someone else is a 412."""
        response = self.call(
            "PATCH", f"/agreements/{agreement_id}", json=changes, headers={"If-Match": etag}
        )
        return dict(response.json())

    # -- the national picture: efficiency figures and the evaluation report ----------------
    def efficiency(self, period: str, group_by: str) -> dict[str, Any]:
        return dict(self.get("/efficiency", period=period, group_by=group_by))

    def efficiency_batch(self, asked: list[tuple[str, str]]) -> list[dict[str, Any]]:
        """Several (period, grouping) answers of /efficiency in one call, in that order."""
        items = [{"period": period, "group_by": group_by} for period, group_by in asked]
        return list(self.post("/efficiency/batch", {"items": items})["items"])

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
