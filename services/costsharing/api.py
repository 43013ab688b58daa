"""Cost-sharing HTTP entry points."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.costsharing import service
from services.costsharing.schemas import (
    AgreementCreate,
    AgreementRead,
    AllocationQuery,
    AllocationRead,
    LedgerEntryRead,
)
from shared.auth import current_principal, require_roles
from shared.db import UnitOfWork
from shared.idempotency import run_idempotent
from shared.web import json_response, request_uow

blp = Blueprint("costsharing", __name__, url_prefix="/api/v1", description="Who pays what")


@blp.route("/agreements")
class Agreements(MethodView):
    @require_roles()
    @blp.response(200, AgreementRead(many=True))
    def get(self) -> Any:
        """List cost-sharing agreements"""
        with request_uow() as uow:
            return service.list_agreements(uow)

    @require_roles()
    @blp.arguments(AgreementCreate)
    @blp.response(201, AgreementRead)
    def post(self, agreement_in: dict[str, Any]) -> Any:
        """Record an agreement (administrator)"""
        principal = current_principal()

        def action(uow: UnitOfWork) -> dict[str, Any]:
            row = service.create_agreement(uow, principal=principal, agreement_in=agreement_in)
            return dict(AgreementRead().dump(row))

        body, _ = run_idempotent(request_uow, actor=principal.sub, body=agreement_in, action=action)
        return json_response(body, 201)


@blp.route("/allocations")
class Allocations(MethodView):
    @require_roles()
    @blp.arguments(AllocationQuery, location="query")
    @blp.response(200, AllocationRead(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """List the allocations you may see"""
        with request_uow() as uow:
            return service.list_allocations(uow, principal=current_principal(), **query)


@blp.route("/allocations/<uuid:allocation_id>")
class AllocationById(MethodView):
    @require_roles()
    @blp.response(200, AllocationRead)
    def get(self, allocation_id: uuid.UUID) -> Any:
        """Get one allocation"""
        with request_uow() as uow:
            return service.get_allocation(
                uow, principal=current_principal(), allocation_id=allocation_id
            )


@blp.route("/allocations/<uuid:allocation_id>/ledger")
class AllocationLedger(MethodView):
    @require_roles()
    @blp.response(200, LedgerEntryRead(many=True))
    def get(self, allocation_id: uuid.UUID) -> Any:
        """The ledger entries an allocation wrote"""
        with request_uow() as uow:
            service.get_allocation(uow, principal=current_principal(), allocation_id=allocation_id)
            return service.ledger_of(uow, allocation_id=allocation_id)
