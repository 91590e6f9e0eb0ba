"""Search keys for boundary names: accent- and case-free text, and a sort key.

``cote`` must find "Côte d'Ivoire" and "aland" "Åland", so names are folded
(decomposed, combining marks dropped, case-folded) once when stored and again for
each query. Letters that Unicode does not decompose (ø, ł, æ…) are spelled out the
way an English keyboard would type them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

_SPELLED_OUT = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "\u0131": "i",  # dotless i
        "\u2019": "'",
        "\u2018": "'",
        "`": "'",
    }
)


def fold(text: str) -> str:
    """Return ``text`` without accents, case-folded, with spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPELLED_OUT))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())


def search_text(names: Iterable[str]) -> str:
    """The stored search text of a boundary: its folded names, one per line, no repeats."""
    folded = dict.fromkeys(fold(name) for name in names if name and name.strip())
    return "\n".join(folded)


def sort_key(name_long: str, name: str) -> tuple[str, str]:
    """Order boundaries as a reader expects: "Åland" beside "Aland", not after "Zambia"."""
    return fold(name_long), name
