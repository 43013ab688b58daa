"""Booking HTTP entry points. Thin: parse, call one use case, dump."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from services.booking import board, calendar, crisis, orders, public, series, service
from services.booking.domain import Action, check_search_window
from services.booking.schemas import (
    AvailabilitySearch,
    BoardQuery,
    BoardRead,
    BookingCreate,
    BookingPage,
    BookingQuery,
    BookingRead,
    CompleteIn,
    ContractQuery,
    ContractViewPage,
    CounterOfferIn,
    DecisionTimeIn,
    DecisionTimePage,
    DecisionTimeQuery,
    DecisionTimeRead,
    FeedQuery,
    FeedRead,
    FreeAssetRead,
    HistoryQuery,
    OrderCreate,
    OrderPage,
    OrderQuery,
    OrderRead,
    PendingQuery,
    PendingRead,
    PreemptIn,
    PublicDeploymentPage,
    PublicDeploymentQuery,
    SeriesCreate,
    SeriesRead,
    TransitionIn,
    TransitionPage,
)
from services.booking.search import find_free
from services.booking.visibility import one_seen_by, order_seen_by
from shared.auth import current_principal, require_roles
from shared.db import UnitOfWork
from shared.idempotency import idempotent_request, run_idempotent
from shared.web import Blueprint, json_response, request_uow, service_context

blp = Blueprint("bookings", __name__, url_prefix="/api/v1", description="Find, request, decide")

# An instance, not the class: webargs builds a schema per request from a class (~0.3 ms).
_BOOKING_CREATE = BookingCreate()

IDEMPOTENCY_HEADER = {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}


def _dump(uow: UnitOfWork, booking: Any) -> dict[str, Any]:
    """A booking as the caller may see it, as a body to keep (an idempotent answer)."""
    return dict(BookingRead().dump(one_seen_by(uow, current_principal(), booking)))


def _dump_order(order: Any) -> dict[str, Any]:
    """A call-off as its reader may see it, as a body to keep (an idempotent answer)."""
    return dict(OrderRead().dump(order_seen_by(current_principal(), order)))


def _create(body_in: dict[str, Any], use_case: Any) -> Response:
    """Run a creating use case once per Idempotency-Key; answer 201 with its body."""
    principal = current_principal()

    def action(uow: UnitOfWork) -> dict[str, Any]:
        return dict(use_case(uow, principal))

    body, _ = run_idempotent(request_uow, actor=principal.sub, body=body_in, action=action)
    return json_response(body, 201)


@blp.route("/availability")
class Availability(MethodView):
    @require_roles()
    @blp.arguments(AvailabilitySearch, location="query")
    @blp.response(200, FreeAssetRead(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """Search by time first: assets free for the whole window, with a cost estimate"""
        check_search_window(query["start"], query["end"])
        with request_uow() as uow:
            return json_response(FreeAssetRead(many=True).dump(find_free(uow.session, **query)))


@blp.route("/board")
class CapacityBoard(MethodView):
    @require_roles()
    @blp.arguments(BoardQuery, location="query")
    @blp.response(200, BoardRead)
    def get(self, query: dict[str, Any]) -> Any:
        """The national capacity board (any signed-in role): per safety region and category,
        assets free now and in the next 24 hours, bookings requested and in use — counts only"""
        at = query["at"] or datetime.now(UTC)
        with request_uow() as uow:
            return json_response(BoardRead().dump(board.capacity_board(uow.session, at=at)))


@blp.route("/bookings")
class Bookings(MethodView):
    @require_roles()
    @blp.arguments(BookingQuery, location="query")
    @blp.response(200, BookingPage)
    def get(self, query: dict[str, Any]) -> Any:
        """List the bookings you may see (filter by state, asset, organisation, period), by
        planned start, paged by `next_cursor`"""
        with request_uow() as uow:
            return service.list_bookings(uow, principal=current_principal(), **query)

    @require_roles()
    @blp.arguments(_BOOKING_CREATE)
    @blp.response(201, BookingRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, booking_in: dict[str, Any]) -> Any:
        """Request an asset for a window (police planner); the request holds it at once"""
        principal = current_principal()
        body = service.request_booking(
            request_uow,
            principal=principal,
            booking_in=booking_in,
            idempotency=idempotent_request(actor=principal.sub, body=booking_in),
        )
        return json_response(body, 201)


@blp.route("/bookings/<uuid:booking_id>")
class BookingById(MethodView):
    @require_roles()
    @blp.response(200, BookingRead)
    def get(self, booking_id: uuid.UUID) -> Any:
        """Get one booking"""
        principal = current_principal()
        with request_uow() as uow:
            booking = service.get_booking(uow, principal=principal, booking_id=booking_id)
            return one_seen_by(uow, principal, booking)


@blp.route("/bookings/<uuid:booking_id>/history")
class BookingHistory(MethodView):
    @require_roles()
    @blp.arguments(HistoryQuery, location="query")
    @blp.response(200, TransitionPage)
    def get(self, query: dict[str, Any], booking_id: uuid.UUID) -> Any:
        """The audit trail of a booking: who did what, when and why; oldest first, paged by
        `next_cursor`"""
        principal = current_principal()
        with request_uow() as uow:
            return service.history(uow, principal=principal, booking_id=booking_id, **query)


def _transition(booking_id: uuid.UUID, action: Action, body: dict[str, Any]) -> Any:
    principal = current_principal()
    if action is Action.PREEMPT:
        body = {**body, "hold_minutes": service_context().settings.booking_hold_minutes}
    with request_uow() as uow:
        booking = service.transition(
            uow, principal=principal, booking_id=booking_id, action=action, **body
        )
        result = _dump(uow, booking)
        uow.commit()
    return json_response(result)


def _register_transition(action: Action, schema: type, summary: str) -> None:
    @blp.route(
        f"/bookings/<uuid:booking_id>/{action.value}",
        endpoint=f"booking_{action.value.replace('-', '_')}",
    )
    class _Transition(MethodView):
        @require_roles()
        @blp.arguments(schema)
        @blp.response(200, BookingRead)
        def post(self, body: dict[str, Any], booking_id: uuid.UUID) -> Any:
            return _transition(booking_id, action, body)

    _Transition.post.__doc__ = summary


_register_transition(Action.APPROVE, TransitionIn, "Approve a request (asset owner)")
_register_transition(Action.REJECT, TransitionIn, "Reject a request with a reason (asset owner)")
_register_transition(
    Action.COUNTER_OFFER, CounterOfferIn, "Counter-offer another window or asset (asset owner)"
)
_register_transition(
    Action.ACCEPT_COUNTER_OFFER, TransitionIn, "Accept the owner's counter-offer (requesting unit)"
)
_register_transition(Action.CANCEL, TransitionIn, "Cancel with a reason (requesting unit)")
_register_transition(Action.START, TransitionIn, "Register the start of use (asset owner)")
_register_transition(Action.COMPLETE, CompleteIn, "Complete with actual use (asset owner)")
_register_transition(
    Action.PREEMPT,
    PreemptIn,
    "Preempt for an acute (priority 1) request of the same asset (asset owner); the best "
    "free alternative is held for the displaced unit (BOOKING_HOLD_MINUTES)",
)
_register_transition(
    Action.CONFIRM_HOLD,
    TransitionIn,
    "Confirm a hold placed after a preemption: it becomes a request the owner decides "
    "(requesting unit)",
)
_register_transition(
    Action.RELEASE_HOLD, TransitionIn, "Release a hold, freeing the slot (requesting unit)"
)


@blp.route("/decision-times")
class DecisionTimes(MethodView):
    @require_roles()
    @blp.arguments(DecisionTimeQuery, location="query")
    @blp.response(200, DecisionTimePage)
    def get(self, query: dict[str, Any]) -> Any:
        """How long owners have to decide an acute request, per category (others: 30 min);
        paged by `next_cursor`"""
        with request_uow() as uow:
            return crisis.list_decision_times(uow, **query)


@blp.route("/decision-times/<string:category>")
class DecisionTimeByCategory(MethodView):
    @require_roles()
    @blp.arguments(DecisionTimeIn)
    @blp.response(200, DecisionTimeRead)
    def put(self, body: dict[str, Any], category: str) -> Any:
        """Set a category's decision time for acute requests (administrator)"""
        with request_uow() as uow:
            row = crisis.set_decision_time(
                uow,
                principal=current_principal(),
                category=category,
                minutes=body["decision_minutes"],
            )
            result = DecisionTimeRead().dump(row)
            uow.commit()
        return json_response(result)


@blp.route("/approvals/pending")
class PendingApprovals(MethodView):
    @require_roles()
    @blp.arguments(PendingQuery, location="query")
    @blp.response(200, PendingRead)
    def get(self, query: dict[str, Any]) -> Any:
        """The owner's queue of undecided requests, most urgent first, with counts; paged by
        `next_cursor`"""
        with request_uow() as uow:
            return service.pending_approvals(uow, principal=current_principal(), **query)


@blp.route("/series")
class SeriesView(MethodView):
    @require_roles()
    @blp.arguments(SeriesCreate)
    @blp.response(201, SeriesRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, series_in: dict[str, Any]) -> Any:
        """Request a recurring series; occurrences that conflict are reported, not dropped"""

        def use_case(uow: UnitOfWork, p: Any) -> dict[str, Any]:
            result = series.create_series(uow, principal=p, series_in=series_in)
            return {
                "series_id": str(result["series_id"]),
                "created": [_dump(uow, b) for b in result["created"]],
                "conflicts": SeriesRead().dump({"conflicts": result["conflicts"]})["conflicts"],
            }

        return _create(series_in, use_case)


@blp.route("/contracts")
class Contracts(MethodView):
    @require_roles()
    @blp.arguments(ContractQuery, location="query")
    @blp.response(200, ContractViewPage)
    def get(self, query: dict[str, Any]) -> Any:
        """Framework contracts with their remaining volume, by reference; paged by
        `next_cursor`"""
        with request_uow() as uow:
            return orders.list_contracts(uow, **query)


@blp.route("/orders")
class Orders(MethodView):
    @require_roles()
    @blp.arguments(OrderQuery, location="query")
    @blp.response(200, OrderPage)
    def get(self, query: dict[str, Any]) -> Any:
        """Call-offs you may see, newest first; paged by `next_cursor`"""
        with request_uow() as uow:
            return orders.list_orders(uow, principal=current_principal(), **query)

    @require_roles()
    @blp.arguments(OrderCreate)
    @blp.response(201, OrderRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, order_in: dict[str, Any]) -> Any:
        """Call off items against a framework contract (police planner)"""
        return _create(
            order_in,
            lambda uow, p: _dump_order(orders.place_order(uow, principal=p, order_in=order_in)),
        )


@blp.route("/orders/<uuid:order_id>")
class OrderById(MethodView):
    @require_roles()
    @blp.response(200, OrderRead)
    def get(self, order_id: uuid.UUID) -> Any:
        """One call-off"""
        principal = current_principal()
        with request_uow() as uow:
            return order_seen_by(
                principal, orders.get_order(uow, principal=principal, order_id=order_id)
            )


@blp.route("/calendar")
class CalendarFeed(MethodView):
    @require_roles()
    @blp.response(200, FeedRead)
    def get(self) -> Any:
        """Your organisation's secret iCalendar feed URL (keep it secret: it needs no login)"""
        principal = current_principal()
        key = calendar.feed_key(service_context().settings.calendar_feed_secret, principal.org)
        url = f"{request.host_url.rstrip('/')}/api/v1/calendar/{principal.org}.ics?key={key}"
        return json_response({"url": url})


@blp.route("/calendar/<string:org>.ics")
class CalendarIcs(MethodView):
    @blp.arguments(FeedQuery, location="query")
    @blp.response(200, content_type="text/calendar")
    @blp.doc(security=[])
    def get(self, query: dict[str, Any], org: str) -> Any:
        """The organisation's bookings as iCalendar (authorised by the secret key in the URL)"""
        calendar.check_key(
            current_app.config["SLAGKRACHT_SETTINGS"].calendar_feed_secret, org, query["key"]
        )
        now = datetime.now(UTC)
        with service_context().uow() as uow:
            body = calendar.render_ics(org, calendar.bookings_for_feed(uow, org, now), now)
        return Response(body, mimetype="text/calendar")


@blp.route("/public/drone-deployments")
class PublicDroneDeployments(MethodView):
    # Public on purpose: no require_roles, and no Authorization header is read (a token sent
    # along is ignored, so the answer is the same for everyone and may be cached). It says only
    # what services/booking/public.py selects; a page is at most 100 uses.
    @blp.arguments(PublicDeploymentQuery, location="query")
    @blp.response(200, PublicDeploymentPage)
    @blp.doc(security=[])
    def get(self, query: dict[str, Any]) -> Any:
        """The public register of drone deployments: every completed use of a Defence drone
        for the police, once it has ended (date, safety region, purpose class, legal basis,
        operator); no token, newest first, cursor paging"""
        with service_context().uow() as uow:
            page = public.drone_deployments(uow.session, **query)
        response = json_response(PublicDeploymentPage().dump(page))
        response.headers["Cache-Control"] = "public, max-age=60"
        return response
