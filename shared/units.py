"""Each police unit's home safety region: where a use counts when its request named no region.

A police unit (eenheid) covers several safety regions; its home region is the one holding the
unit's seat (headquarters). Booking shows it as a request's region of use and cost-sharing
counts uses and orders under it, both from this one table, so the two always agree.
Organisations not listed (Defence, the finance office, an organisation an administrator added
later) have no home region: their uses count under the asset's first region, their orders
under none.
"""

from __future__ import annotations

HOME_REGIONS: dict[str, str] = {
    "politie-noord-nederland": "VR01",  # Groningen
    "politie-oost-nederland": "VR06",  # Apeldoorn
    "politie-midden-nederland": "VR09",  # Utrecht
    "politie-noord-holland": "VR12",  # Haarlem
    "politie-amsterdam": "VR13",  # Amsterdam
    "politie-den-haag": "VR15",  # Den Haag
    "politie-rotterdam": "VR17",  # Rotterdam
    "politie-zeeland-west-brabant": "VR20",  # Breda
    "politie-oost-brabant": "VR22",  # Eindhoven
    "politie-limburg": "VR24",  # Maastricht
    "politie-landelijke-eenheid": "VR09",  # Driebergen
}


def home_region(org: str) -> str | None:
    """The unit's home safety region (None: the organisation has none)."""
    return HOME_REGIONS.get(org)


def region_of_use(named: str | None, requester_org: str) -> str | None:
    """Where a use counts: the region its request named, else the requesting unit's home
    region (None: neither is known)."""
    return named or home_region(requester_org)
