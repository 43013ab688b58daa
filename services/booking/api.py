"""Booking HTTP entry points. Thin: parse (the schemas build the commands), call one use case,
return what it gives for ``@blp.response`` to dump. Use cases commit their own unit of work;
a creating request with an Idempotency-Key runs in the key's unit of work
(shared/idempotency.run_idempotent), which commits it with the key's answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView

from services.booking import (
    board,
    calendar,
    crisis,
    orders,
    public,
    queries,
    requesting,
    series,
)
from services.booking.action_views import register_actions
from services.booking.commands import (
    ListBookings,
    ListDroneDeployments,
    PageRequest,
    PlaceOrder,
    ReadBoard,
    ReadCalendarFeed,
    RequestBooking,
    RequestSeries,
    SearchAvailability,
    SetDecisionTime,
)
from services.booking.domain import check_search_window
from services.booking.national_schemas import (
    BoardQuery,
    BoardRead,
    PublicDeploymentPage,
    PublicDeploymentQuery,
)
from services.booking.schemas import (
    AvailabilitySearch,
    BookingCreate,
    BookingPage,
    BookingQuery,
    BookingRead,
    ContractQuery,
    ContractViewPage,
    DecisionTimeIn,
    DecisionTimePage,
    DecisionTimeQuery,
    DecisionTimeRead,
    FeedQuery,
    FeedRead,
    FreeAssetPage,
    FreeAssetRead,
    HistoryQuery,
    OrderCreate,
    OrderPage,
    OrderQuery,
    OrderRead,
    PendingQuery,
    PendingRead,
    SeriesCreate,
    SeriesRead,
    TransitionPage,
)
from services.booking.search import search_page
from services.booking.visibility import one_seen_by, order_seen_by
from shared.auth import current_principal, require_roles
from shared.db import UnitOfWork
from shared.idempotency import idempotent_request, run_idempotent
from shared.web import Blueprint, json_response, request_uow, service_context

blp = Blueprint("bookings", __name__, url_prefix="/api/v1", description="Find, request, decide")

# An instance, not the class: webargs builds a schema per request from a class (~0.3 ms).
_BOOKING_CREATE = BookingCreate()
_FREE_ASSETS = FreeAssetRead(many=True)

IDEMPOTENCY_HEADER = {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"}}


def _create_once(body: Any, use_case: Callable[[UnitOfWork], dict[str, Any]]) -> Response:
    """Run a creating use case once per Idempotency-Key; answer 201 with its body (the first
    answer is stored as dumped, so a repeat gets the very same body)."""
    principal = current_principal()
    answer, _ = run_idempotent(request_uow, actor=principal.sub, body=vars(body), action=use_case)
    return json_response(answer, 201)


@blp.route("/availability")
class Availability(MethodView):
    @require_roles()
    @blp.arguments(AvailabilitySearch, location="query")
    @blp.response(200, FreeAssetPage)
    def get(self, query: SearchAvailability) -> Any:
        """Search by time first: assets free for the whole window, with a cost estimate; those
        serving the region first, then the cheapest; paged by `next_cursor`"""
        check_search_window(query.start, query.end)
        with request_uow() as uow:
            page = search_page(uow.session, **vars(query))
        # Dumped here, not by @blp.response: the search is a benchmarked hot path
        # (docs/benchmarks.md, bench/booking.py) and the results are plain dicts already.
        items = _FREE_ASSETS.dump(page.items)
        return json_response({"items": items, "next_cursor": page.next_cursor})


@blp.route("/board")
class CapacityBoard(MethodView):
    @require_roles()
    @blp.arguments(BoardQuery, location="query")
    @blp.response(200, BoardRead)
    def get(self, query: ReadBoard) -> Any:
        """The national capacity board (any signed-in role): per safety region and category,
        assets free now and in the next 24 hours, bookings requested and in use — counts only"""
        with request_uow() as uow:
            return board.capacity_board(uow.session, query)


@blp.route("/bookings")
class Bookings(MethodView):
    @require_roles()
    @blp.arguments(BookingQuery, location="query")
    @blp.response(200, BookingPage)
    def get(self, query: ListBookings) -> Any:
        """List the bookings you may see (filter by state, asset, organisation, period), by
        planned start, paged by `next_cursor`"""
        with request_uow() as uow:
            return queries.list_bookings(uow, principal=current_principal(), query_in=query)

    @require_roles()
    @blp.arguments(_BOOKING_CREATE)
    @blp.response(201, BookingRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, command: RequestBooking) -> Any:
        """Request an asset for a window (police planner); the request holds it at once"""
        principal = current_principal()
        body = requesting.request_booking(
            request_uow,
            principal=principal,
            command=command,
            idempotency=idempotent_request(actor=principal.sub, body=vars(command)),
        )
        # Written by the use case, not dumped by @blp.response: the hot path
        # (docs/benchmarks.md) builds the answer it also stores for the Idempotency-Key.
        return json_response(body, 201)


@blp.route("/bookings/<uuid:booking_id>")
class BookingById(MethodView):
    @require_roles()
    @blp.response(200, BookingRead)
    def get(self, booking_id: uuid.UUID) -> Any:
        """Get one booking"""
        principal = current_principal()
        with request_uow() as uow:
            booking = queries.get_booking(uow, principal=principal, booking_id=booking_id)
            return one_seen_by(uow, principal, booking)


@blp.route("/bookings/<uuid:booking_id>/history")
class BookingHistory(MethodView):
    @require_roles()
    @blp.arguments(HistoryQuery, location="query")
    @blp.response(200, TransitionPage)
    def get(self, query: PageRequest, booking_id: uuid.UUID) -> Any:
        """The audit trail of a booking: who did what, when and why; oldest first, paged by
        `next_cursor`"""
        principal = current_principal()
        with request_uow() as uow:
            return queries.history(uow, principal=principal, booking_id=booking_id, page_in=query)


register_actions(blp)


@blp.route("/decision-times")
class DecisionTimes(MethodView):
    @require_roles()
    @blp.arguments(DecisionTimeQuery, location="query")
    @blp.response(200, DecisionTimePage)
    def get(self, query: PageRequest) -> Any:
        """How long owners have to decide an acute request, per category (others: 30 min);
        paged by `next_cursor`"""
        with request_uow() as uow:
            return crisis.list_decision_times(uow, page_in=query)


@blp.route("/decision-times/<string:category>")
class DecisionTimeByCategory(MethodView):
    @require_roles()
    @blp.arguments(DecisionTimeIn)
    @blp.response(200, DecisionTimeRead)
    def put(self, command: SetDecisionTime, category: str) -> Any:
        """Set a category's decision time for acute requests (administrator)"""
        with request_uow() as uow:
            return crisis.set_decision_time(
                uow, principal=current_principal(), category=category, command=command
            )


@blp.route("/approvals/pending")
class PendingApprovals(MethodView):
    @require_roles()
    @blp.arguments(PendingQuery, location="query")
    @blp.response(200, PendingRead)
    def get(self, query: PageRequest) -> Any:
        """The owner's queue of undecided requests, most urgent first, with counts; paged by
        `next_cursor`"""
        with request_uow() as uow:
            return queries.pending_approvals(uow, principal=current_principal(), page_in=query)


@blp.route("/series")
class SeriesView(MethodView):
    @require_roles()
    @blp.arguments(SeriesCreate)
    @blp.response(201, SeriesRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, command: RequestSeries) -> Any:
        """Request a recurring series; occurrences that conflict are reported, not dropped"""
        principal = current_principal()

        def use_case(uow: UnitOfWork) -> dict[str, Any]:
            result = series.request_series(uow, principal=principal, command=command)
            created = [one_seen_by(uow, principal, b) for b in result["created"]]
            return dict(SeriesRead().dump({**result, "created": created}))

        return _create_once(command, use_case)


@blp.route("/contracts")
class Contracts(MethodView):
    @require_roles()
    @blp.arguments(ContractQuery, location="query")
    @blp.response(200, ContractViewPage)
    def get(self, query: PageRequest) -> Any:
        """Framework contracts with their remaining volume, by reference; paged by
        `next_cursor`"""
        with request_uow() as uow:
            return orders.list_contracts(uow, page_in=query)


@blp.route("/orders")
class Orders(MethodView):
    @require_roles()
    @blp.arguments(OrderQuery, location="query")
    @blp.response(200, OrderPage)
    def get(self, query: PageRequest) -> Any:
        """Orders you may see, newest first; paged by `next_cursor`"""
        with request_uow() as uow:
            return orders.list_orders(uow, principal=current_principal(), page_in=query)

    @require_roles()
    @blp.arguments(OrderCreate)
    @blp.response(201, OrderRead)
    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    def post(self, command: PlaceOrder) -> Any:
        """Order items against a framework contract (police planner)"""
        principal = current_principal()

        def use_case(uow: UnitOfWork) -> dict[str, Any]:
            order = orders.place_order(uow, principal=principal, command=command)
            return dict(OrderRead().dump(order_seen_by(principal, order)))

        return _create_once(command, use_case)


@blp.route("/orders/<uuid:order_id>")
class OrderById(MethodView):
    @require_roles()
    @blp.response(200, OrderRead)
    def get(self, order_id: uuid.UUID) -> Any:
        """One order"""
        principal = current_principal()
        with request_uow() as uow:
            order = orders.get_order(uow, principal=principal, order_id=order_id)
        return order_seen_by(principal, order)


@blp.route("/calendar")
class CalendarFeed(MethodView):
    @require_roles()
    @blp.response(200, FeedRead)
    def get(self) -> Any:
        """Your organisation's secret iCalendar feed URL (keep it secret: it needs no login)"""
        principal = current_principal()
        key = calendar.feed_key(service_context().settings.calendar_feed_secret, principal.org)
        url = f"{request.host_url.rstrip('/')}/api/v1/calendar/{principal.org}.ics?key={key}"
        return {"url": url}


@blp.route("/calendar/<string:org>.ics")
class CalendarIcs(MethodView):
    @blp.arguments(FeedQuery, location="query")
    @blp.response(200, content_type="text/calendar")
    @blp.doc(security=[])
    def get(self, query: ReadCalendarFeed, org: str) -> Any:
        """The organisation's bookings as iCalendar (authorised by the secret key in the URL)"""
        secret = current_app.config["SLAGKRACHT_SETTINGS"].calendar_feed_secret
        with service_context().uow() as uow:
            body = calendar.feed_ics(uow, query, org=org, secret=secret, now=datetime.now(UTC))
        return Response(body, mimetype="text/calendar")


@blp.route("/public/drone-deployments")
class PublicDroneDeployments(MethodView):
    # Public on purpose: no require_roles, and no Authorization header is read (a token sent
    # along is ignored, so the answer is the same for everyone and may be cached). It says only
    # what services/booking/public.py selects; a page is at most 100 uses.
    @blp.arguments(PublicDeploymentQuery, location="query")
    @blp.response(200, PublicDeploymentPage)
    @blp.doc(security=[])
    def get(self, query: ListDroneDeployments) -> Any:
        """The public register of drone deployments: every completed use of a Defence drone
        for the police, once it has ended (date, safety region, purpose class, legal basis,
        operator); no token, newest first, cursor paging"""
        with service_context().uow() as uow:
            page = public.drone_deployments(uow.session, query)
        return page, 200, {"Cache-Control": "public, max-age=60"}
