"""Finance's pages (financien; the joint controller too): the review queue of allocations,
an allocation with its facts, ledger and review steps (approve, dispute, resolve), and the
statements per organisation and period (figures, CSV, closing). The cost-sharing API decides
who sees what and enforces the four-eyes rule; its refusals are shown where they happened."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("finance", __name__, url_prefix="/finance")

from services.portal.views.finance import (  # noqa: E402,F401 - routes register on bp
    allocations,
    statements,
)
