"""Catalog HTTP entry points: request → use case → schema. Thin."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response
from flask.views import MethodView

from services.catalog import availability, contracts, service
from services.catalog.domain import BOOKING_MODE, CATEGORY_LABELS
from services.catalog.schemas import (
    AssetCreate,
    AssetListQuery,
    AssetPage,
    AssetRead,
    AssetUpdate,
    AvailabilityQuery,
    BlackoutIn,
    BlackoutRead,
    CategoryRead,
    ContractCreate,
    ContractRead,
    IntervalRead,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    ReferenceChangePage,
    ReferenceChangeQuery,
    RegionCreate,
    RegionRead,
    RegionUpdate,
    RetireIn,
    TariffIn,
    TariffRead,
    WindowIn,
    WindowRead,
)
from shared.auth import ADMIN, current_principal, require_roles
from shared.db import UnitOfWork
from shared.idempotency import run_idempotent
from shared.web import Blueprint, if_match_version, json_response, request_uow, with_etag

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="What Defence can lend")

IDEMPOTENCY_HEADER = {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}
LIST_QUERY = AssetListQuery()
LIST_ITEM_KEYS = service.LIST_ITEM_KEYS


def _asset_response(asset: Any, status: int = 200) -> Response:
    return with_etag(json_response(AssetRead().dump(asset), status), asset.version)


def _create(body_in: dict[str, Any], use_case: Any, schema: Any) -> Response:
    """Run a creating use case once per Idempotency-Key and answer 201 with its dump."""
    principal = current_principal()

    def action(uow: UnitOfWork) -> dict[str, Any]:
        return dict(schema.dump(use_case(uow, principal)))

    body, _ = run_idempotent(request_uow, actor=principal.sub, body=body_in, action=action)
    return json_response(body, 201)


def _change(use_case: Any, schema: Any | None = None, status: int = 200) -> Response:
    principal = current_principal()
    with request_uow() as uow:
        result = use_case(uow, principal)
        body = schema.dump(result) if schema is not None else None
        uow.commit()
    return json_response(body, status) if body is not None else Response(status=204)


@blp.route("/organisations")
class Organisations(MethodView):
    @require_roles()
    @blp.response(200, OrganisationRead(many=True))
    def get(self) -> Any:
        """List organisations (police units, Defence owners, finance, joint)"""
        with request_uow() as uow:
            return service.list_organisations(uow)

    @require_roles(ADMIN)
    @blp.arguments(OrganisationCreate)
    @blp.response(201, OrganisationRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, organisation_in: dict[str, Any]) -> Any:
        """Add an organisation (administrator); an id that exists is 409"""
        return _create(
            organisation_in,
            lambda uow, p: service.create_organisation(
                uow, principal=p, organisation_in=organisation_in
            ),
            OrganisationRead(),
        )


@blp.route("/organisations/<string:organisation_id>")
class OrganisationById(MethodView):
    @require_roles(ADMIN)
    @blp.arguments(OrganisationUpdate)
    @blp.response(200, OrganisationRead)
    def patch(self, changes: dict[str, Any], organisation_id: str) -> Any:
        """Rename an organisation (administrator); its id and kind stay"""
        return _change(
            lambda uow, p: service.update_organisation(
                uow, principal=p, organisation_id=organisation_id, changes=changes
            ),
            OrganisationRead(),
        )


@blp.route("/regions")
class Regions(MethodView):
    @require_roles()
    @blp.response(200, RegionRead(many=True))
    def get(self) -> Any:
        """List the safety regions (veiligheidsregio's)"""
        with request_uow() as uow:
            return service.list_regions(uow)

    @require_roles(ADMIN)
    @blp.arguments(RegionCreate)
    @blp.response(201, RegionRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, region_in: dict[str, Any]) -> Any:
        """Add a safety region (administrator); a code that exists is 409"""
        return _create(
            region_in,
            lambda uow, p: service.create_region(uow, principal=p, region_in=region_in),
            RegionRead(),
        )


@blp.route("/regions/<string:region_code>")
class RegionByCode(MethodView):
    @require_roles(ADMIN)
    @blp.arguments(RegionUpdate)
    @blp.response(200, RegionRead)
    def patch(self, changes: dict[str, Any], region_code: str) -> Any:
        """Rename a safety region (administrator); its code stays"""
        return _change(
            lambda uow, p: service.update_region(
                uow, principal=p, region_code=region_code, changes=changes
            ),
            RegionRead(),
        )


@blp.route("/reference-changes")
class ReferenceChanges(MethodView):
    @require_roles(ADMIN)
    @blp.arguments(ReferenceChangeQuery, location="query")
    @blp.response(200, ReferenceChangePage)
    def get(self, query: dict[str, Any]) -> Any:
        """Who added or renamed an organisation or a region, when, and what changed
        (administrator); newest first, paged by `next_cursor`"""
        with request_uow() as uow:
            return service.reference_changes(uow, principal=current_principal(), **query)


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
    # An instance, not the class: webargs would build (deep-copy) the schema on every request.
    @blp.arguments(LIST_QUERY, location="query")
    @blp.response(200, AssetPage)
    def get(self, query: dict[str, Any]) -> Any:
        """Find assets: filter, free text on name, sort, and page with a stable cursor"""
        with request_uow() as uow:
            rows, next_cursor = service.list_assets(uow, **query)
        # Rows are dumped by hand: the list is the hot path and a schema costs ~50 µs a row.
        # zip stops before the trailing sort key; the keys are already in jsonify's sorted order.
        items = [dict(zip(LIST_ITEM_KEYS, row, strict=False)) for row in rows]
        return json_response({"items": items, "next_cursor": next_cursor})

    @require_roles()
    @blp.arguments(AssetCreate)
    @blp.response(201, AssetRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, asset_in: dict[str, Any]) -> Any:
        """Register an asset of your own organisation (owner)"""
        return _create(
            asset_in,
            lambda uow, p: service.register_asset(uow, principal=p, asset_in=asset_in),
            AssetRead(),
        )


@blp.route("/assets/<uuid:asset_id>")
class AssetById(MethodView):
    @require_roles()
    @blp.response(200, AssetRead, headers={"ETag": {"schema": {"type": "string"}}})
    def get(self, asset_id: uuid.UUID) -> Any:
        """Get one asset with its tariffs (ETag = its version)"""
        with request_uow() as uow:
            return _asset_response(service.get_asset(uow, asset_id=asset_id))

    @require_roles()
    @blp.arguments(AssetUpdate)
    @blp.response(200, AssetRead)
    @blp.doc(
        parameters=[
            {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}
        ]
    )
    def patch(self, changes: dict[str, Any], asset_id: uuid.UUID) -> Any:
        """Change an asset (owner); needs If-Match, a stale copy gets 412

        If-Match compares strongly: a weak tag (`W/"v3"`) never matches (412); `*` matches
        whatever version is current. A retired asset takes no changes (409).
        """
        expected = if_match_version(allow_any=True)
        principal = current_principal()
        with request_uow() as uow:
            asset = service.update_asset(
                uow,
                principal=principal,
                asset_id=asset_id,
                changes=changes,
                expected_version=expected,
            )
            response = _asset_response(asset)
            uow.commit()
        return response


@blp.route("/assets/<uuid:asset_id>/retire")
class RetireAsset(MethodView):
    @require_roles()
    @blp.arguments(RetireIn)
    @blp.response(200, AssetRead)
    def post(self, body: dict[str, Any], asset_id: uuid.UUID) -> Any:
        """Retire an asset (owner); refused while future bookings hold it"""
        return _change(
            lambda uow, p: service.retire_asset(uow, principal=p, asset_id=asset_id, **body),
            AssetRead(),
        )


@blp.route("/assets/<uuid:asset_id>/tariffs")
class Tariffs(MethodView):
    @require_roles()
    @blp.response(200, TariffRead(many=True))
    def get(self, asset_id: uuid.UUID) -> Any:
        """List an asset's tariff periods (illustrative prices in the demo)"""
        with request_uow() as uow:
            return json_response(
                TariffRead(many=True).dump(service.get_asset(uow, asset_id=asset_id).tariffs)
            )

    @require_roles()
    @blp.arguments(TariffIn)
    @blp.response(201, TariffRead)
    def post(self, tariff_in: dict[str, Any], asset_id: uuid.UUID) -> Any:
        """Set a tariff for a new period (owner); periods must not overlap"""
        return _change(
            lambda uow, p: service.add_tariff(
                uow, principal=p, asset_id=asset_id, tariff_in=tariff_in
            ),
            TariffRead(),
            201,
        )


@blp.route("/assets/<uuid:asset_id>/availability")
class Availability(MethodView):
    @require_roles()
    @blp.arguments(AvailabilityQuery, location="query")
    @blp.response(200, WindowRead(many=True))
    @blp.alt_response(200, schema=IntervalRead(many=True), description="with from and to")
    def get(self, query: dict[str, Any], asset_id: uuid.UUID) -> Any:
        """Published windows; with from/to: the concrete available intervals in that range

        Without from/to: the published one-off windows and weekly rules as stored, whatever
        the asset's status. With from (default now) and to (default from + 31 days, at most 366
        days): the intervals in which the asset can be booked. That is none while the asset is
        not active (in maintenance or retired), whatever its rules say; its status is in
        GET /assets/{id}.
        """
        with request_uow() as uow:
            if "start" in query or "end" in query:
                start = query.get("start") or datetime.now(UTC)
                end = query.get("end") or start + timedelta(days=31)
                intervals = availability.concrete_availability(
                    uow, asset_id=asset_id, start=start, end=end
                )
                return json_response(
                    IntervalRead(many=True).dump([{"start": s, "end": e} for s, e in intervals])
                )
            return json_response(
                WindowRead(many=True).dump(availability.list_windows(uow, asset_id=asset_id))
            )

    @require_roles()
    @blp.arguments(WindowIn)
    @blp.response(201, WindowRead)
    def post(self, window_in: dict[str, Any], asset_id: uuid.UUID) -> Any:
        """Publish a one-off window or a weekly rule in local time (owner)"""
        return _change(
            lambda uow, p: availability.publish_window(
                uow, principal=p, asset_id=asset_id, window_in=window_in
            ),
            WindowRead(),
            201,
        )


@blp.route("/assets/<uuid:asset_id>/availability/<uuid:window_id>")
class AvailabilityWindowById(MethodView):
    @require_roles()
    @blp.response(204)
    def delete(self, asset_id: uuid.UUID, window_id: uuid.UUID) -> Any:
        """Withdraw a published window (owner)"""
        return _change(
            lambda uow, p: availability.withdraw_window(
                uow, principal=p, asset_id=asset_id, window_id=window_id
            )
        )


@blp.route("/assets/<uuid:asset_id>/blackouts")
class Blackouts(MethodView):
    @require_roles()
    @blp.response(200, BlackoutRead(many=True))
    def get(self, asset_id: uuid.UUID) -> Any:
        """Defence's own use of the asset"""
        with request_uow() as uow:
            return json_response(
                BlackoutRead(many=True).dump(availability.list_blackouts(uow, asset_id=asset_id))
            )

    @require_roles()
    @blp.arguments(BlackoutIn)
    @blp.response(201, BlackoutRead)
    def post(self, blackout_in: dict[str, Any], asset_id: uuid.UUID) -> Any:
        """Block a period for Defence's own use (owner); overrides availability"""
        return _change(
            lambda uow, p: availability.add_blackout(
                uow, principal=p, asset_id=asset_id, blackout_in=blackout_in
            ),
            BlackoutRead(),
            201,
        )


@blp.route("/assets/<uuid:asset_id>/blackouts/<uuid:blackout_id>")
class BlackoutById(MethodView):
    @require_roles()
    @blp.response(204)
    def delete(self, asset_id: uuid.UUID, blackout_id: uuid.UUID) -> Any:
        """Remove a blackout (owner)"""
        return _change(
            lambda uow, p: availability.remove_blackout(
                uow, principal=p, asset_id=asset_id, blackout_id=blackout_id
            )
        )


@blp.route("/contracts")
class Contracts(MethodView):
    @require_roles()
    @blp.response(200, ContractRead(many=True))
    def get(self) -> Any:
        """Framework contracts for joint procurement"""
        with request_uow() as uow:
            return json_response(ContractRead(many=True).dump(contracts.list_contracts(uow)))

    @require_roles()
    @blp.arguments(ContractCreate)
    @blp.response(201, ContractRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, contract_in: dict[str, Any]) -> Any:
        """Publish a framework contract over your procurement items (owner, e.g. DMO)"""
        return _create(
            contract_in,
            lambda uow, p: contracts.create_contract(uow, principal=p, contract_in=contract_in),
            ContractRead(),
        )


@blp.route("/contracts/<uuid:contract_id>")
class ContractById(MethodView):
    @require_roles()
    @blp.response(200, ContractRead)
    def get(self, contract_id: uuid.UUID) -> Any:
        """One framework contract with its price tiers"""
        with request_uow() as uow:
            return json_response(
                ContractRead().dump(contracts.get_contract(uow, contract_id=contract_id))
            )
