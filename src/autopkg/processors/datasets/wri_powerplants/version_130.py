"""WRI Global Power Plant Database v1.3.0: plants inside the boundary as GeoPackage points."""

from __future__ import annotations

from typing import ClassVar

from autopkg.domain.attributes import Kind
from autopkg.domain.licences import CC_BY_4_0
from autopkg.domain.metadata import Metadata
from autopkg.domain.reference import Reference, authors
from autopkg.domain.sources import Source
from autopkg.processors.zipped import ZippedLayer

# The SHA-1 of the published zip, as recorded by the ancestor's package; WRI gives no size.
_SOURCE = Source(
    url="https://wri-dataportal-prod.s3.amazonaws.com/manual/global_power_plant_database_v_1_3.zip",
    filename="global_power_plant_database_v_1_3.zip",
    checksum="sha1:083f11452efc1ed0e8fb1494f0ce49e5c37718e2",
)
_REFERENCE = Reference(
    authors=authors(
        "Global Energy Observatory; Google; KTH Royal Institute of Technology in Stockholm; "
        "Enipedia; World Resources Institute"
    ),
    year=2018,
    version="1.3.0",
    url="https://datasets.wri.org/dataset/globalpowerplantdatabase",
    publisher="World Resources Institute",
)
# GDAL's CSV driver makes points from the coordinate columns and keeps them as
# attributes; types are detected over the whole file (about 35k rows) so that a
# column is never typed from its first rows only.
_CSV_OPTIONS = {
    "X_POSSIBLE_NAMES": "longitude",
    "Y_POSSIBLE_NAMES": "latitude",
    "KEEP_GEOM_COLUMNS": "YES",
    "AUTODETECT_TYPE": "YES",
    "AUTODETECT_SIZE_LIMIT": "0",
    "EMPTY_STRING_AS_NULL": "YES",
}
# The 36 columns of v1.3.0 and their kinds (WRI's datapackage.json for the release), in
# order. Priors: the CSV's own columns are kept as GDAL types them over the whole file,
# so a column holding one value that is not a number ("1,234.5") is text; what differs
# is logged and recorded in provenance.
COLUMNS: dict[str, Kind] = {
    "country": "string", "country_long": "string", "name": "string", "gppd_idnr": "string",
    "capacity_mw": "real", "latitude": "real", "longitude": "real",
    "primary_fuel": "string", "other_fuel1": "string", "other_fuel2": "string",
    "other_fuel3": "string", "commissioning_year": "real", "owner": "string",
    "source": "string", "url": "string", "geolocation_source": "string",
    "wepp_id": "string", "year_of_capacity_data": "real",
    **{f"generation_gwh_{year}": "real" for year in range(2013, 2020)},
    "generation_data_source": "string",
    **{f"estimated_generation_gwh_{year}": "real" for year in range(2013, 2018)},
    **{f"estimated_generation_note_{year}": "string" for year in range(2013, 2018)},
}  # fmt: skip


class WriPowerplantsProcessor(ZippedLayer):
    """Clip the WRI Global Power Plant Database (v1.3.0) to the boundary."""

    metadata = Metadata(
        name="wri_powerplants",
        version="version_130",
        data_group="infrastructure",
        description=(
            "WRI Global Power Plant Database v1.3.0: the power plants inside the boundary, "
            "as points in a GeoPackage with every attribute of the database."
        ),
        data_author="World Resources Institute",
        data_title="Global Power Plant Database",
        data_title_long="Global Power Plant Database, version 1.3.0",
        data_summary=(
            "The Global Power Plant Database is a comprehensive, open source database of "
            "about 35,000 power plants in 167 countries, covering thermal plants (coal, gas, "
            "oil, nuclear, biomass, waste, geothermal) and renewables (hydro, wind, solar).\n\n"
            "Each plant is geolocated and carries its **capacity** (MW), **primary and other "
            "fuels**, owner, commissioning year, reported generation (2013-2019) and "
            "estimated generation (2013-2017) with the method of estimation.\n\n"
            "Points are in EPSG:4326; all 36 columns of the published CSV are kept."
        ),
        data_citation=(
            f"{_REFERENCE.credit}. {_REFERENCE.year}. Global Power Plant Database. Published on "
            "Resource Watch and Google Earth Engine; http://resourcewatch.org/ "
            "https://earthengine.google.com/"
        ),
        data_license=CC_BY_4_0,
        data_formats=("GeoPackage",),
        data_reference=_REFERENCE,
    )
    sources: ClassVar[tuple[Source, ...]] = (_SOURCE,)
    member = "global_power_plant_database.csv"
    title = "Power plants (Global Power Plant Database v1.3.0), clipped"
    columns = COLUMNS
    open_options = _CSV_OPTIONS
    # Size estimates: the 34,936 plants of v1.3.0 spread over land by area, about 700
    # bytes each in the GeoPackage (37 columns, mostly short text and numbers). See
    # autopkg.processors.sizing for the method and its error.
    features = 34_936
    bytes_per_feature = 700
