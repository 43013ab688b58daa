"""What a use would cost and how it would split, before anyone requests it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from services.costsharing.agreements import applicable, terms_of
from services.costsharing.commands import EstimateBatch, EstimateUse
from services.costsharing.domain import split_cost
from services.costsharing.models import Agreement, AssetFacts
from shared.auth import Principal
from shared.db import UnitOfWork
from shared.errors import Invalid, ProblemError, problem_body
from shared.tariffs import priced_units, tariff_day, tariff_on


def estimate(uow: UnitOfWork, *, principal: Principal, command: EstimateUse) -> dict[str, Any]:
    """What one use would cost and how it would split; writes nothing."""
    with uow:
        return _estimate(uow, principal, command)


def _estimate(uow: UnitOfWork, principal: Principal, use: EstimateUse) -> dict[str, Any]:
    start, end = use.start, use.end
    if end <= start:
        raise Invalid("The end must be after the start.", errors={"end": ["After start."]})
    asset = uow.session.get(AssetFacts, use.asset_id)
    if asset is None:
        raise Invalid("Unknown asset.", errors={"asset_id": ["No such asset."]})
    requester = use.requester_org or principal.org
    # The tariff and the agreement of the Dutch date the use starts on (as booking and the
    # allocation of the use will count it), whatever offset the request gave.
    day = tariff_day(start)
    tariff = tariff_on(asset.tariffs, day)
    agreement = applicable(
        uow,
        legal_basis=use.legal_basis,
        category=asset.category,
        owner_org=asset.owner_org,
        requester_org=requester,
        on=day,
    )
    result: dict[str, Any] = {
        "asset_id": str(asset.asset_id),
        "asset_name": asset.name,
        "requester_org": requester,
        "owner_org": asset.owner_org,
        "tariff": tariff,
        "illustrative": True,
        "currency": "EUR",
    }
    if tariff is None or agreement is None:
        return {
            **result,
            "covered": False,
            "agreement": None,
            "total": None,
            "requester_amount": None,
            "owner_amount": None,
            "reason": "no tariff for that date"
            if tariff is None
            else "no agreement covers this use: finance decides",
        }
    return {**result, **_covered(agreement, tariff, end - start, use.quantity)}


def _covered(
    agreement: Agreement, tariff: Mapping[str, Any], duration: timedelta, quantity: int
) -> dict[str, Any]:
    """The price and split of a use that an agreement and a tariff cover."""
    hours = Decimal(duration.total_seconds()) / Decimal(3600)
    split = split_cost(
        usage=priced_units(tariff, hours, quantity),
        full_cost_rate=Decimal(tariff["full_cost_rate"]),
        marginal_cost_rate=Decimal(tariff["marginal_cost_rate"]),
        mobilisation_fee=Decimal(tariff["mobilisation_fee"]),
        terms=terms_of(agreement),
    )
    return {
        "covered": True,
        "agreement": {
            "id": str(agreement.id),
            "name": agreement.name,
            "version": agreement.version,
            "price_basis": agreement.price_basis,
            "requester_share_pct": str(agreement.requester_share_pct),
        },
        "total": str(split.total),
        "requester_amount": str(split.requester_amount),
        "owner_amount": str(split.owner_amount),
        "reason": None,
    }


def estimate_batch(
    uow: UnitOfWork, *, principal: Principal, command: EstimateBatch
) -> list[dict[str, Any]]:
    """Each item estimated as ``estimate`` would, in order, in one unit of work; an item that
    cannot be estimated (an unknown asset, an empty window) is a problem of its own and leaves
    the others their estimates."""
    results: list[dict[str, Any]] = []
    with uow:
        for index, use in enumerate(command.items):
            try:
                one = _estimate(uow, principal, use)
            except ProblemError as exc:
                results.append({"index": index, "estimate": None, "problem": problem_body(exc)})
            else:
                results.append({"index": index, "estimate": one, "problem": None})
    return results
