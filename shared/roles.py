"""The roles of DOMAIN.md "Who uses it", as the tokens name them.

A pure module (no framework imports), so domain rules may name roles without importing the
web kit; `shared.auth` checks them on requests.
"""

from __future__ import annotations

PLANNER = "politie-planner"
OWNER = "defensie-beheerder"
FINANCE = "financien"
ADMIN = "beheerder-functioneel"
ALL_ROLES = (PLANNER, OWNER, FINANCE, ADMIN)
