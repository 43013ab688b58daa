"""Pieces the planner's pages share: reference data, estimates, rendering helpers."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

from flask import request

from services.portal.cache import shared_cache
from services.portal.clients import ApiProblem, ApiUnavailable, apis
from services.portal.labels import CATEGORIES


def is_htmx() -> bool:
    """An htmx swap asks for the fragment; htmx restoring history after a cache miss asks for
    the whole page (it replaces the body with the answer)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def new_idempotency_key() -> str:
    """One per rendered form: a double click or a retry of that form creates one request."""
    return uuid.uuid4().hex


def bookable_categories() -> list[tuple[str, str]]:
    """Categories booked by time (not procurement items), with their label in our language."""
    return [
        (c["code"], str(CATEGORIES.get(c["code"], c.get("label", c["code"]))))
        for c in shared_cache().get_or_load("categories", apis().catalog.categories)
        if c.get("booking_mode") != "quantity"
    ]


def regions() -> list[tuple[str, str]]:
    return [
        (r["code"], r["name"])
        for r in shared_cache().get_or_load("regions", apis().catalog.regions)
    ]


def estimates_for(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any] | None], bool]:
    """Cost-sharing's estimate for each item (one batch call), and whether prices could be had.

    Prices are helpful, not essential: an unreachable cost-sharing leaves the results shown
    without them (and says so) rather than failing the search."""
    if not items:
        return [], True
    try:
        answer = apis().costsharing.estimates_batch(items)
    except (ApiUnavailable, ApiProblem):
        return [None] * len(items), False
    by_index = {row["index"]: row.get("estimate") for row in answer.get("items", [])}
    return [by_index.get(i) for i in range(len(items))], True


def _asset_name(asset_id: str) -> str:
    return str(apis().catalog.asset(asset_id)["name"])


def asset_names(asset_ids: list[str]) -> dict[str, str]:
    """Names of assets by id (catalog), for pages that show bookings or contract items."""
    names: dict[str, str] = {}
    for asset_id in dict.fromkeys(a for a in asset_ids if a):
        try:
            names[asset_id] = shared_cache().get_or_load(
                ("asset-name", asset_id), partial(_asset_name, asset_id)
            )
        except ApiProblem:
            names[asset_id] = asset_id
    return names
