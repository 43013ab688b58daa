"""The booking API: search by time, bookings and their lifecycle, series, orders."""

from __future__ import annotations

from typing import Any

from services.portal.clients.base import ApiClient


class BookingClient(ApiClient):
    service = "booking"

    def availability(self, **params: Any) -> dict[str, Any]:
        """A page of free assets, ranked: ``{items, next_cursor}``."""
        return dict(self.get("/availability", **params))

    def bookings(self, **params: Any) -> dict[str, Any]:
        """A page of bookings: ``{items, next_cursor}`` (pass ``cursor`` for the next)."""
        return dict(self.get("/bookings", **params))

    def booking(self, booking_id: str) -> dict[str, Any]:
        return dict(self.get(f"/bookings/{booking_id}"))

    def history(self, booking_id: str) -> list[dict[str, Any]]:
        """The booking's audit trail (its first 200 steps: a booking has about ten)."""
        return list(self.get(f"/bookings/{booking_id}/history", limit=200)["items"])

    def request_booking(self, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return dict(self.post("/bookings", body, headers={"Idempotency-Key": idempotency_key}))

    def act(self, booking_id: str, action: str, body: dict[str, Any] | None = None) -> Any:
        """A lifecycle action: approve, reject, cancel, accept-counter-offer, ..."""
        return self.post(f"/bookings/{booking_id}/{action}", body or {})

    def pending_approvals(self, **params: Any) -> Any:
        """The owner's queue: ``{counts, items, next_cursor}``."""
        return self.get("/approvals/pending", **params)

    def create_series(self, body: dict[str, Any], idempotency_key: str) -> Any:
        return self.post("/series", body, headers={"Idempotency-Key": idempotency_key})

    def contracts(self, **params: Any) -> dict[str, Any]:
        """A page of framework contracts: ``{items, next_cursor}``."""
        return dict(self.get("/contracts", **params))

    def orders(self, **params: Any) -> dict[str, Any]:
        """A page of orders, newest first: ``{items, next_cursor}``."""
        return dict(self.get("/orders", **params))

    def place_order(self, body: dict[str, Any], idempotency_key: str) -> Any:
        return self.post("/orders", body, headers={"Idempotency-Key": idempotency_key})

    def calendar(self) -> Any:
        return self.get("/calendar")

    def public_drone_deployments(self, **params: Any) -> Any:
        """The public drone register (booking asks for no token: call it with an anonymous
        context, see views/public)."""
        return self.get("/public/drone-deployments", **params)

    def board(self, **params: Any) -> dict[str, Any]:
        """The national capacity board: counts per safety region and category."""
        return dict(self.get("/board", **params))
