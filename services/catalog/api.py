"""Catalog HTTP entry points: request → use case → schema. Thin."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.catalog import service
from services.catalog.domain import BOOKING_MODE, CATEGORY_LABELS
from services.catalog.schemas import (
    AssetCreate,
    AssetQuery,
    AssetRead,
    CategoryRead,
    OrganisationRead,
    RegionRead,
)
from shared.auth import current_principal, require_roles
from shared.idempotency import run_idempotent
from shared.web import json_response, request_uow

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="What Defence can lend")


@blp.route("/organisations")
class Organisations(MethodView):
    @require_roles()
    @blp.response(200, OrganisationRead(many=True))
    def get(self) -> Any:
        """List organisations (police units, Defence owners, finance, joint)"""
        with request_uow() as uow:
            return service.list_organisations(uow)


@blp.route("/regions")
class Regions(MethodView):
    @require_roles()
    @blp.response(200, RegionRead(many=True))
    def get(self) -> Any:
        """List the 25 safety regions (veiligheidsregio's)"""
        with request_uow() as uow:
            return service.list_regions(uow)


@blp.route("/categories")
class Categories(MethodView):
    @require_roles()
    @blp.response(200, CategoryRead(many=True))
    def get(self) -> Any:
        """List asset categories and how each is booked"""
        return [
            {"code": c.value, "label": CATEGORY_LABELS[c], "booking_mode": m.value}
            for c, m in BOOKING_MODE.items()
        ]


@blp.route("/assets")
class Assets(MethodView):
    @require_roles()
    @blp.arguments(AssetQuery, location="query")
    @blp.response(200, AssetRead(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """List assets"""
        with request_uow() as uow:
            return service.list_assets(uow, **query)

    @require_roles()
    @blp.arguments(AssetCreate)
    @blp.response(201, AssetRead)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}])
    def post(self, asset_in: dict[str, Any]) -> Any:
        """Register an asset of your own organisation (owner)"""
        principal = current_principal()

        def action(uow: Any) -> dict[str, Any]:
            asset = service.register_asset(uow, principal=principal, asset_in=asset_in)
            return dict(AssetRead().dump(asset))

        body, _ = run_idempotent(request_uow, actor=principal.sub, body=asset_in, action=action)
        return json_response(body, 201)


@blp.route("/assets/<uuid:asset_id>")
class AssetById(MethodView):
    @require_roles()
    @blp.response(200, AssetRead)
    def get(self, asset_id: uuid.UUID) -> Any:
        """Get one asset with its tariffs"""
        with request_uow() as uow:
            return service.get_asset(uow, asset_id=asset_id)
