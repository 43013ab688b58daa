"""Cost-sharing HTTP entry points, one module per resource, all on one blueprint: agreements,
allocations and their review, statements and the ledger export, estimates and figures.

Each view parses its input into a typed command, calls one use case (which checks access and
commits its own unit of work) and returns what the use case answers for ``@blp.response``."""

from __future__ import annotations

from services.costsharing import api_agreements, api_allocations, api_figures, api_statements
from services.costsharing.blueprint import blp

ROUTE_MODULES = (api_agreements, api_allocations, api_statements, api_figures)

__all__ = ["ROUTE_MODULES", "blp"]
