"""The data licences the processors' publishers grant, one constant each.

A licence is stated once, so every processor under it gives the same name, path and
title: the package's ``licenses`` list, its pages and the STAC catalogue then name it
one way, whichever datasets a package holds.
"""

from __future__ import annotations

from autopkg.domain.metadata import License

CC_BY_4_0 = License(
    name="CC-BY-4.0",
    path="https://creativecommons.org/licenses/by/4.0/",
    title="Creative Commons Attribution 4.0 International",
)
CC0_1_0 = License(
    name="CC0-1.0",
    path="https://creativecommons.org/publicdomain/zero/1.0/",
    title="Creative Commons CC0 1.0 Universal",
)
ODBL_1_0 = License(
    name="ODbL-1.0",
    path="https://opendefinition.org/licenses/odc-odbl",
    title="Open Data Commons Open Database License 1.0",
)
#: Natural Earth's own terms: its data is in the public domain.
NATURAL_EARTH = License(
    name="other-pd",
    path="https://www.naturalearthdata.com/about/terms-of-use/",
    title="Natural Earth terms of use (public domain)",
)
