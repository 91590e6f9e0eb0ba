"""What each dataset is to the summary: exposure (people, buildings, plants, lines) or hazard.

A processor is known here by its name (any version): the summary reads the files a
package lists, so a dataset it does not know is simply not summarised. A hazard file's
scenario, epoch and return period come from its publisher's file-name grammar, kept in
the file's ``<sub>`` (the source file's stem, lower-cased).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Population:
    """A grid of persons per cell (GHS-POP)."""


@dataclass(frozen=True)
class BuiltUp:
    """A grid of settlement classes (GHS-BUILT-C MSZ); classes from ``first_built`` are built."""

    file_marker: str = "msz"
    first_built: int = 11


@dataclass(frozen=True)
class Points:
    """Point features counted, and their capacity summed, by a category column."""

    category: str
    capacity: str


@dataclass(frozen=True)
class Lines:
    """Line features measured by a category column (``None``: one category, empty)."""

    category: str | None


@dataclass(frozen=True)
class HazardKey:
    """What a hazard file's name says: its series (every part but the return period)."""

    series: str
    scenario: str = ""
    epoch: str = ""
    return_period: float | None = None


@dataclass(frozen=True)
class Hazard:
    """A hazard grid whose cells above a threshold count as reached."""

    unit: str
    thresholds: tuple[float, ...]
    grammar: tuple[re.Pattern[str], ...]

    def key(self, sub: str) -> HazardKey:
        """Parse a file's ``<sub>``; a name outside the grammar is its own series."""
        for pattern in self.grammar:
            match = pattern.fullmatch(sub)
            if match is not None:
                return _key(sub, match)
        return HazardKey(series=sub)


Role = Population | BuiltUp | Points | Lines | Hazard

# Aqueduct: inunriver_<scenario>_<model>_<year>_rp<00100>, and
# inuncoast_<scenario>_<subsidence>_<year>_rp<0100>_<tenths>[_perc_..]; STORM:
# storm_fixed_return_periods_<model>_<rp>_yr_rp (``constant`` is today's climate, the
# four models RCP8.5 around 2050); ISIMIP: lange2020_..._<scenario>_<soc>_co2_<var>_
# global_annual_<span>_<epoch>_occurrence (no return period: annual occurrence).
_AQUEDUCT = (
    re.compile(r"inunriver_(?P<scenario>[a-z0-9]+)_[^_]+_(?P<epoch>[a-z0-9]+)_(?P<rp>rp\d+)"),
    re.compile(
        r"inuncoast_(?P<scenario>[a-z0-9]+)_[a-z]+_(?P<epoch>[a-z0-9]+)_(?P<rp>rp\d+_\d)(?:_.*)?"
    ),
)
_STORM = (re.compile(r"storm_fixed_return_periods_(?P<model>.+)_(?P<rp>\d+_yr_rp)"),)
_ISIMIP = (
    re.compile(
        r"lange2020_.+_ewembi_(?P<scenario>[a-z0-9]+)_.+_global_annual_\d+_\d+_(?P<epoch>[a-z0-9]+)"
        r"_occurrence"
    ),
)

ROLES: dict[str, Role] = {
    "jrc_ghsl_population": Population(),
    "jrc_ghsl_built_c": BuiltUp(),
    "wri_powerplants": Points(category="primary_fuel", capacity="capacity_mw"),
    "natural_earth_vector": Lines(category="type"),
    "gri_osm": Lines(category="asset_type"),
    "gridfinder": Lines(category=None),
    "wri_aqueduct": Hazard(unit="m", thresholds=(0.0, 0.5, 1.5), grammar=_AQUEDUCT),
    "storm": Hazard(unit="m/s", thresholds=(33.0, 50.0, 70.0), grammar=_STORM),
    "isimp_drought": Hazard(unit="fraction", thresholds=(0.1, 0.5), grammar=_ISIMIP),
}


def role_of(processor_id: str) -> Role | None:
    """The role of processor version ``<name>.<version>``, or ``None``."""
    return ROLES.get(processor_id.partition(".")[0])


def _key(sub: str, match: re.Match[str]) -> HazardKey:
    """Build a hazard key from a grammar match: the series is the name without its RP."""
    groups = match.groupdict()
    token = groups.get("rp")
    rp = None
    series = sub
    if token is not None:
        digits = re.findall(r"\d+", token)
        rp = float(digits[0]) + (float(digits[1]) / 10 if len(digits) > 1 else 0.0)
        series = sub[: match.start("rp")] + "rp*" + sub[match.end("rp") :]
    scenario = groups.get("scenario") or ""
    epoch = groups.get("epoch") or ""
    if "model" in groups:
        # STORM: one climate today, four models of RCP8.5 around 2050.
        constant = groups["model"] == "constant"
        scenario, epoch = ("historical", "") if constant else ("rcp8p5", "2050")
    return HazardKey(series=series, scenario=scenario, epoch=epoch, return_period=rp)
