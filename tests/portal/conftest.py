"""The portal's tests share one running stack (tests/portal/stack.py) and, for the browser
tests, one chromium (tests/portal/browser_support.py)."""

from tests.portal.browser_support import browser_fixture  # noqa: F401 - fixture `browser`
from tests.portal.national_support import national_seeded  # noqa: F401 - fixture
from tests.portal.owner_support import dhc_owner, rotterdam_planner  # noqa: F401 - fixtures
from tests.portal.stack import portal_db_urls, portal_stack  # noqa: F401 - fixtures
