"""The catalog API: reference data and assets."""

from __future__ import annotations

from typing import Any

from services.portal.clients.base import ApiClient


class CatalogClient(ApiClient):
    service = "catalog"

    def categories(self) -> list[dict[str, Any]]:
        return list(self.get("/categories"))

    def regions(self) -> list[dict[str, Any]]:
        return list(self.get("/regions"))

    def organisations(self) -> list[dict[str, Any]]:
        return list(self.get("/organisations"))

    def asset(self, asset_id: str) -> dict[str, Any]:
        return dict(self.get(f"/assets/{asset_id}"))

    def contract(self, contract_id: str) -> dict[str, Any]:
        return dict(self.get(f"/contracts/{contract_id}"))
