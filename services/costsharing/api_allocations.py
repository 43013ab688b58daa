"""HTTP entry points of allocations: the lists finance works from, one allocation with its
ledger lines and review steps, and the review itself (approve, dispute, resolve)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask.views import MethodView

from services.costsharing import queries, reviews
from services.costsharing.blueprint import blp
from services.costsharing.commands import AllocationFilter, PageRequest
from services.costsharing.schemas import (
    AllocationPage,
    AllocationQuery,
    AllocationRead,
    LedgerEntryPage,
    PageQuery,
    ResolveIn,
    ReviewIn,
    ReviewPage,
)
from shared.auth import current_principal, require_roles
from shared.web import request_uow


@blp.route("/allocations")
class Allocations(MethodView):
    @require_roles()
    @blp.arguments(AllocationQuery, location="query")
    @blp.response(200, AllocationPage)
    def get(self, query: AllocationFilter) -> Any:
        """List the allocations you may see, oldest first, paged by `next_cursor`"""
        return queries.list_allocations(
            request_uow(), principal=current_principal(), query_in=query
        )


@blp.route("/allocations/<uuid:allocation_id>")
class AllocationById(MethodView):
    @require_roles()
    @blp.response(200, AllocationRead)
    def get(self, allocation_id: uuid.UUID) -> Any:
        """One allocation, linked to its booking and the event that caused it"""
        return queries.get_allocation(
            request_uow(), principal=current_principal(), allocation_id=allocation_id
        )


@blp.route("/allocations/<uuid:allocation_id>/ledger")
class AllocationLedger(MethodView):
    @require_roles()
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, LedgerEntryPage)
    def get(self, page: PageRequest, allocation_id: uuid.UUID) -> Any:
        """The ledger entries an allocation wrote (originals, reversals, corrections)"""
        return queries.allocation_ledger(
            request_uow(), principal=current_principal(), allocation_id=allocation_id, page_in=page
        )


@blp.route("/allocations/<uuid:allocation_id>/reviews")
class AllocationReviews(MethodView):
    @require_roles()
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, ReviewPage)
    def get(self, page: PageRequest, allocation_id: uuid.UUID) -> Any:
        """Who reviewed the allocation, how and why"""
        return queries.allocation_reviews(
            request_uow(), principal=current_principal(), allocation_id=allocation_id, page_in=page
        )


def _register_review(action: str, schema: type, use_case: Callable[..., Any], summary: str) -> None:
    @blp.route(f"/allocations/<uuid:allocation_id>/{action}", endpoint=f"allocation_{action}")
    class _Review(MethodView):
        @require_roles()
        @blp.arguments(schema)
        @blp.response(200, AllocationRead)
        def post(self, body: Any, allocation_id: uuid.UUID) -> Any:
            return use_case(
                request_uow(),
                principal=current_principal(),
                allocation_id=allocation_id,
                command=body,
            )

    _Review.post.__doc__ = summary


_register_review("approve", ReviewIn, reviews.approve, "Approve a proposed allocation (finance)")
_register_review(
    "dispute", ReviewIn, reviews.dispute, "Dispute a proposed allocation with a reason (finance)"
)
_register_review(
    "resolve",
    ResolveIn,
    reviews.resolve,
    "Resolve by reversing and correcting: reprice by an agreement or set the "
    "requester's share (finance)",
)
