"""The catalog API: reference data and assets."""

from __future__ import annotations

from typing import Any

from services.portal.clients.base import ApiClient


class CatalogClient(ApiClient):
    service = "catalog"

    def categories(self) -> list[dict[str, Any]]:
        return self.every("/categories")

    def regions(self) -> list[dict[str, Any]]:
        return self.every("/regions")

    def organisations(self) -> list[dict[str, Any]]:
        return self.every("/organisations")

    def asset(self, asset_id: str) -> dict[str, Any]:
        return dict(self.get(f"/assets/{asset_id}"))

    def contract(self, contract_id: str) -> dict[str, Any]:
        return dict(self.get(f"/contracts/{contract_id}"))

    # -- the owner's side: their assets, tariffs, availability, blackouts --------------------
    def assets(self, **params: Any) -> dict[str, Any]:
        return dict(self.get("/assets", **params))

    def asset_with_etag(self, asset_id: str) -> tuple[dict[str, Any], str]:
        """The asset and its ETag, to send back as If-Match with a change."""
        response = self.call("GET", f"/assets/{asset_id}")
        return dict(response.json()), response.headers.get("ETag", "")

    def update_asset(self, asset_id: str, changes: dict[str, Any], etag: str) -> dict[str, Any]:
        """PATCH with If-Match: a change made meanwhile by someone else is a 412."""
        response = self.call(
            "PATCH", f"/assets/{asset_id}", json=changes, headers={"If-Match": etag}
        )
        return dict(response.json())

    def retire(self, asset_id: str, reason: str) -> dict[str, Any]:
        return dict(self.post(f"/assets/{asset_id}/retire", {"reason": reason}))

    def add_tariff(self, asset_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post(f"/assets/{asset_id}/tariffs", body))

    def windows(self, asset_id: str) -> list[dict[str, Any]]:
        """The published one-off windows and weekly rules, as stored."""
        return self.every(f"/assets/{asset_id}/availability", limit=200)

    def available_intervals(self, asset_id: str, start: str, end: str) -> list[dict[str, Any]]:
        """The concrete windows in [start, end): the rules expanded, minus blackouts."""
        return self.every(f"/assets/{asset_id}/availability", **{"from": start, "to": end})

    def publish_window(self, asset_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post(f"/assets/{asset_id}/availability", body))

    def withdraw_window(self, asset_id: str, window_id: str) -> None:
        self.call("DELETE", f"/assets/{asset_id}/availability/{window_id}")

    def blackouts(self, asset_id: str) -> list[dict[str, Any]]:
        return self.every(f"/assets/{asset_id}/blackouts", limit=200)

    def add_blackout(self, asset_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.post(f"/assets/{asset_id}/blackouts", body))

    def remove_blackout(self, asset_id: str, blackout_id: str) -> None:
        self.call("DELETE", f"/assets/{asset_id}/blackouts/{blackout_id}")

    # -- administrators: organisations and safety regions -----------------------------------
    def add_organisation(self, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return dict(self.post("/organisations", body, headers={"Idempotency-Key": idempotency_key}))

    def rename_organisation(self, organisation_id: str, name: str) -> dict[str, Any]:
        return dict(
            self.call("PATCH", f"/organisations/{organisation_id}", json={"name": name}).json()
        )

    def add_region(self, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return dict(self.post("/regions", body, headers={"Idempotency-Key": idempotency_key}))

    def rename_region(self, code: str, name: str) -> dict[str, Any]:
        return dict(self.call("PATCH", f"/regions/{code}", json={"name": name}).json())

    def reference_changes(self, **params: Any) -> dict[str, Any]:
        """Newest first: ``items`` and ``next_cursor`` (subject, subject_id, cursor, limit)."""
        return dict(self.get("/reference-changes", **params))
