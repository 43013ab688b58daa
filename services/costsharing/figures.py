"""The national figures as use cases: the efficiency figures and the evaluation report of a
period, each read in its own unit of work (the computing is in efficiency.py and
evaluation.py)."""

from __future__ import annotations

from typing import Any

from services.costsharing import efficiency, evaluation
from services.costsharing.commands import EfficiencyBatchOf, EfficiencyOf, EvaluationOf
from services.costsharing.domain import parse_period
from shared.db import UnitOfWork
from shared.errors import Invalid


def efficiency_figures(uow: UnitOfWork, *, query_in: EfficiencyOf) -> dict[str, Any]:
    """Utilisation, joint use, avoided cost, procurement savings and response, per group."""
    parse_period(query_in.period)  # a malformed period is a 422 before anything is read
    with uow:
        return efficiency.efficiency(
            uow.session, period=query_in.period, group_by=query_in.group_by
        )


def efficiency_batch(uow: UnitOfWork, *, query_in: EfficiencyBatchOf) -> dict[str, Any]:
    """The efficiency figures of several (period, grouping) pairs in one read, in the order
    asked: a period's sums are read once however many of its groupings are asked."""
    for index, item in enumerate(query_in.items):
        try:
            parse_period(item.period)
        except Invalid as exc:  # named as the item's field: items.3.period
            raise Invalid(
                exc.detail, errors={f"items.{index}.period": [f"Not a period: {item.period!r}"]}
            ) from exc
    with uow:
        asked = [(item.period, item.group_by) for item in query_in.items]
        return {"items": efficiency.efficiencies(uow.session, asked)}


def evaluation_report(uow: UnitOfWork, *, query_in: EvaluationOf) -> dict[str, Any]:
    """A baseline period and a later one side by side, per safety region."""
    with uow:
        return evaluation.evaluation(
            uow.session, baseline=query_in.baseline, period=query_in.period
        )
