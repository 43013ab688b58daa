"""The portal's tests share one running stack (tests/portal/stack.py)."""

from tests.portal.owner_support import dhc_owner, rotterdam_planner  # noqa: F401 - fixtures
from tests.portal.stack import portal_db_urls, portal_stack  # noqa: F401 - fixtures
