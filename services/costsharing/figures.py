"""The national figures as use cases: the efficiency figures and the evaluation report of a
period, each read in its own unit of work (the computing is in efficiency.py and
evaluation.py)."""

from __future__ import annotations

from typing import Any

from services.costsharing import efficiency, evaluation
from services.costsharing.commands import EfficiencyOf, EvaluationOf
from services.costsharing.domain import parse_period
from shared.db import UnitOfWork


def efficiency_figures(uow: UnitOfWork, *, query_in: EfficiencyOf) -> dict[str, Any]:
    """Utilisation, joint use, avoided cost, procurement savings and response, per group."""
    parse_period(query_in.period)  # a malformed period is a 422 before anything is read
    with uow:
        return efficiency.efficiency(
            uow.session, period=query_in.period, group_by=query_in.group_by
        )


def evaluation_report(uow: UnitOfWork, *, query_in: EvaluationOf) -> dict[str, Any]:
    """A baseline period and a later one side by side, per safety region."""
    with uow:
        return evaluation.evaluation(
            uow.session, baseline=query_in.baseline, period=query_in.period
        )
