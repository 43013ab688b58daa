"""Catalog HTTP entry points: assets, tariffs, availability, blackouts, contracts (reference
data's are in ``reference_api``, on the same blueprint). A view parses (its schemas build the
command), calls one use case, which commits its own unit of work, and returns what
``@blp.response`` dumps."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import Schema

from services.catalog import assets, availability, contracts, listing
from services.catalog.commands import (
    AddBlackout,
    AssetQuery,
    ChangeAsset,
    PageQuery,
    PublishContract,
    PublishWindow,
    RegisterAsset,
    RetireAsset,
)
from services.catalog.commands import AvailabilityQuery as AvailabilityRange
from services.catalog.domain import Tariff
from services.catalog.models import Asset
from services.catalog.schemas import (
    AssetCreate,
    AssetListQuery,
    AssetPage,
    AssetRead,
    AssetUpdate,
    AvailabilityQuery,
    BlackoutIn,
    BlackoutPage,
    BlackoutRead,
    ContractCreate,
    ContractPage,
    ContractRead,
    IntervalPage,
    RetireIn,
    TariffIn,
    TariffPage,
    TariffRead,
    WindowIn,
    WindowPage,
    WindowRead,
)
from services.catalog.schemas import PageQuery as PageQuerySchema
from shared.auth import current_principal, require_roles
from shared.db import UnitOfWork
from shared.idempotency import run_idempotent
from shared.web import Blueprint, if_match_version, json_response, request_uow

blp = Blueprint("catalog", __name__, url_prefix="/api/v1", description="What Defence can lend")

IDEMPOTENCY_HEADER = {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}
ETAG_HEADER = {"ETag": {"schema": {"type": "string"}}}
# Instances, not classes: webargs would build (deep-copy) the schema on every request.
LIST_QUERY = AssetListQuery()
PAGE_QUERY = PageQuerySchema()
INTERVAL_PAGE = IntervalPage()


def create_once(command: Any, use_case: Callable[..., Any], schema: Schema) -> Response:
    """Run a creating use case once per Idempotency-Key and answer 201 with its dump.

    The use case's unit of work joins the transaction that stores the key (its commit only
    flushes; run_idempotent commits both), so a retry always finds the first answer. That
    answer is stored as sent and replayed as is: dumped here, not by ``@blp.response``."""
    principal = current_principal()

    def action(uow: UnitOfWork) -> dict[str, Any]:
        joined = UnitOfWork.within(
            uow.session,
            producer=uow.producer,
            topic_for=uow.topic_for,
            actor=uow.actor,
            trace_id=uow.trace_id,
        )
        return dict(schema.dump(use_case(joined, principal=principal, command=command)))

    body, _ = run_idempotent(request_uow, actor=principal.sub, body=asdict(command), action=action)
    return json_response(body, 201)


def _etag(asset: Asset) -> dict[str, str]:
    """Strong ETag from the asset's version (cheap, and exact for If-Match)."""
    return {"ETag": f'"v{asset.version}"'}


@blp.route("/assets")
class Assets(MethodView):
    @require_roles()
    @blp.arguments(LIST_QUERY, location="query")
    @blp.response(200, AssetPage)
    def get(self, query: AssetQuery) -> Any:
        """Find assets: filter, free text on name, sort, and page with a stable cursor"""
        with request_uow() as uow:
            page = listing.list_assets(uow, query=query)
        # Dumped by hand, not by AssetPage: the list is the hot path and a schema costs ~50 µs a
        # row (docs/benchmarks.md, "Catalog"). zip stops before the trailing sort key; the keys
        # are already in jsonify's sorted order.
        items = [dict(zip(listing.LIST_ITEM_KEYS, row, strict=False)) for row in page.items]
        return json_response({"items": items, "next_cursor": page.next_cursor})

    @require_roles()
    @blp.arguments(AssetCreate)
    @blp.response(201, AssetRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, command: RegisterAsset) -> Any:
        """Register an asset of your own organisation (owner)"""
        return create_once(command, assets.register_asset, AssetRead())


@blp.route("/assets/<uuid:asset_id>")
class AssetById(MethodView):
    @require_roles()
    @blp.response(200, AssetRead, headers=ETAG_HEADER)
    def get(self, asset_id: uuid.UUID) -> Any:
        """Get one asset with its tariffs (ETag = its version)"""
        with request_uow() as uow:
            asset = assets.get_asset(uow, asset_id=asset_id)
        return asset, _etag(asset)

    @require_roles()
    @blp.arguments(AssetUpdate)
    @blp.response(200, AssetRead, headers=ETAG_HEADER)
    @blp.doc(
        parameters=[
            {"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}
        ]
    )
    def patch(self, command: ChangeAsset, asset_id: uuid.UUID) -> Any:
        """Change an asset (owner); needs If-Match, a stale copy gets 412

        If-Match compares strongly: a weak tag (`W/"v3"`) never matches (412); `*` matches
        whatever version is current. A retired asset takes no changes (409).
        """
        expected = if_match_version(allow_any=True)
        with request_uow() as uow:
            asset = assets.update_asset(
                uow,
                principal=current_principal(),
                asset_id=asset_id,
                command=command,
                expected_version=expected,
            )
        return asset, _etag(asset)


@blp.route("/assets/<uuid:asset_id>/retire")
class AssetRetirement(MethodView):
    @require_roles()
    @blp.arguments(RetireIn)
    @blp.response(200, AssetRead)
    def post(self, command: RetireAsset, asset_id: uuid.UUID) -> Any:
        """Retire an asset (owner); refused while future bookings hold it"""
        with request_uow() as uow:
            return assets.retire_asset(
                uow, principal=current_principal(), asset_id=asset_id, command=command
            )


@blp.route("/assets/<uuid:asset_id>/tariffs")
class Tariffs(MethodView):
    @require_roles()
    @blp.response(200, TariffPage)
    def get(self, asset_id: uuid.UUID) -> Any:
        """List an asset's tariff periods (illustrative prices in the demo); one page"""
        with request_uow() as uow:
            return assets.list_tariffs(uow, asset_id=asset_id)

    @require_roles()
    @blp.arguments(TariffIn)
    @blp.response(201, TariffRead)
    def post(self, tariff: Tariff, asset_id: uuid.UUID) -> Any:
        """Set a tariff for a new period (owner); periods must not overlap"""
        with request_uow() as uow:
            return assets.add_tariff(
                uow, principal=current_principal(), asset_id=asset_id, tariff=tariff
            )


@blp.route("/assets/<uuid:asset_id>/availability")
class Availability(MethodView):
    @require_roles()
    @blp.arguments(AvailabilityQuery, location="query")
    @blp.response(200, WindowPage)
    @blp.alt_response(200, schema=IntervalPage, description="with from and to")
    def get(self, query: AvailabilityRange, asset_id: uuid.UUID) -> Any:
        """Published windows; with from/to: the concrete available intervals in that range

        Without from/to: the published one-off windows and weekly rules as stored, whatever
        the asset's status, a page at a time. With from (default now) and to (default from +
        31 days, at most 366 days): the intervals in which the asset can be booked, all in one
        page. That is none while the asset is not active (in maintenance or retired), whatever
        its rules say; its status is in GET /assets/{id}.
        """
        with request_uow() as uow:
            if not query.concrete:
                page = PageQuery(cursor=query.cursor, limit=query.limit)
                return availability.list_windows(uow, asset_id=asset_id, page=page)
            intervals = availability.concrete_availability(
                uow, asset_id=asset_id, start=query.start, end=query.end
            )
        # The alternative response: @blp.response dumps with the first schema only.
        return json_response(INTERVAL_PAGE.dump(intervals))

    @require_roles()
    @blp.arguments(WindowIn)
    @blp.response(201, WindowRead)
    def post(self, command: PublishWindow, asset_id: uuid.UUID) -> Any:
        """Publish a one-off window or a weekly rule in local time (owner)"""
        with request_uow() as uow:
            return availability.publish_window(
                uow, principal=current_principal(), asset_id=asset_id, command=command
            )


@blp.route("/assets/<uuid:asset_id>/availability/<uuid:window_id>")
class AvailabilityWindowById(MethodView):
    @require_roles()
    @blp.response(204)
    def delete(self, asset_id: uuid.UUID, window_id: uuid.UUID) -> Response:
        """Withdraw a published window (owner)"""
        with request_uow() as uow:
            availability.withdraw_window(
                uow, principal=current_principal(), asset_id=asset_id, window_id=window_id
            )
        return Response(status=204)  # no body, so no media type either


@blp.route("/assets/<uuid:asset_id>/blackouts")
class Blackouts(MethodView):
    @require_roles()
    @blp.arguments(PAGE_QUERY, location="query")
    @blp.response(200, BlackoutPage)
    def get(self, page: PageQuery, asset_id: uuid.UUID) -> Any:
        """Defence's own use of the asset, earliest first, a page at a time"""
        with request_uow() as uow:
            return availability.list_blackouts(uow, asset_id=asset_id, page=page)

    @require_roles()
    @blp.arguments(BlackoutIn)
    @blp.response(201, BlackoutRead)
    def post(self, command: AddBlackout, asset_id: uuid.UUID) -> Any:
        """Block a period for Defence's own use (owner); overrides availability"""
        with request_uow() as uow:
            return availability.add_blackout(
                uow, principal=current_principal(), asset_id=asset_id, command=command
            )


@blp.route("/assets/<uuid:asset_id>/blackouts/<uuid:blackout_id>")
class BlackoutById(MethodView):
    @require_roles()
    @blp.response(204)
    def delete(self, asset_id: uuid.UUID, blackout_id: uuid.UUID) -> Response:
        """Remove a blackout (owner)"""
        with request_uow() as uow:
            availability.remove_blackout(
                uow, principal=current_principal(), asset_id=asset_id, blackout_id=blackout_id
            )
        return Response(status=204)  # no body, so no media type either


@blp.route("/contracts")
class Contracts(MethodView):
    @require_roles()
    @blp.arguments(PAGE_QUERY, location="query")
    @blp.response(200, ContractPage)
    def get(self, page: PageQuery) -> Any:
        """Framework contracts for joint procurement, by start of validity, a page at a time"""
        with request_uow() as uow:
            return contracts.list_contracts(uow, page=page)

    @require_roles()
    @blp.arguments(ContractCreate)
    @blp.response(201, ContractRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, command: PublishContract) -> Any:
        """Publish a framework contract over your procurement items (owner, e.g. DMO)"""
        return create_once(command, contracts.create_contract, ContractRead())


@blp.route("/contracts/<uuid:contract_id>")
class ContractById(MethodView):
    @require_roles()
    @blp.response(200, ContractRead)
    def get(self, contract_id: uuid.UUID) -> Any:
        """One framework contract with its price tiers"""
        with request_uow() as uow:
            return contracts.get_contract(uow, contract_id=contract_id)
