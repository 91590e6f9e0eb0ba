"""Processor options: validation, canonical form, and the files they select."""

from __future__ import annotations

from typing import Literal

import pytest

from autopkg.domain.options import NoOptions, options_key
from autopkg.errors import UnprocessableError
from autopkg.processors.datasets.isimp_drought.version_1 import IsimipOptions, source_file_names
from autopkg.processors.datasets.storm.global_mosaics_version_1 import StormOptions
from autopkg.processors.datasets.storm.global_mosaics_version_1 import (
    source_file_names as storm_names,
)
from autopkg.processors.datasets.wri_aqueduct.version_2 import AqueductOptions
from autopkg.processors.options import Selections, canonical_options, every
from tests.fixtures.standin_aqueduct import kept_names

AQUEDUCT = "wri_aqueduct.version_2"


def test_defaults_spelled_out_or_not_are_the_same_request() -> None:
    assert canonical_options(AQUEDUCT, AqueductOptions, {}) == {}
    spelled = {"hazards": ["coastal", "riverine"], "return_periods": [1000, 1.5, 2, 5, 10, 25,
               50, 100, 250, 500]}  # fmt: skip
    assert canonical_options(AQUEDUCT, AqueductOptions, spelled) == {}
    assert options_key({}) == ""


def test_a_selection_is_kept_in_one_order_once() -> None:
    one = canonical_options(AQUEDUCT, AqueductOptions, {"years": ["2080", "baseline", "2080"]})
    other = canonical_options(AQUEDUCT, AqueductOptions, {"years": ["baseline", "2080"]})
    assert one == other == {"years": ["baseline", "2080"]}
    assert options_key(one) == options_key(other) != ""


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"colour": "blue"}, r"options of wri_aqueduct\.version_2: colour: Extra inputs"),
        ({"hazards": ["volcanic"]}, r"options of wri_aqueduct\.version_2: hazards\.0: Input"),
        ({"hazards": []}, r"hazards: Value error, choose at least one hazard"),
        ({"return_periods": [3]}, r"return_periods: Value error, unknown return period: 3\.0"),
    ],
)
def test_bad_options_name_the_processor_and_the_field(raw: dict[str, object], message: str) -> None:
    with pytest.raises(UnprocessableError, match=message):
        canonical_options(AQUEDUCT, AqueductOptions, raw)


def test_a_processor_without_options_accepts_none() -> None:
    assert canonical_options("x.v1", NoOptions, {}) == {}
    with pytest.raises(UnprocessableError, match=r"options of x\.v1: anything: Extra inputs"):
        canonical_options("x.v1", NoOptions, {"anything": 1})


@pytest.mark.parametrize(
    ("options", "count"),
    [
        ({}, 379),
        ({"hazards": ["riverine"]}, 279),
        ({"hazards": ["coastal"]}, 100),
        ({"hazards": ["coastal"], "years": ["baseline"]}, 10),
        ({"return_periods": [1.5]}, 10),
        ({"scenarios": ["historical"], "return_periods": [100]}, 1 + 4),
        ({"scenarios": ["rcp8p5"], "years": ["2050"], "hazards": ["riverine"]}, 5 * 9),
    ],
)
def test_aqueduct_options_select_from_the_file_name_grammars(
    options: dict[str, object], count: int
) -> None:
    chosen = AqueductOptions.model_validate(options)
    assert sum(chosen.selects(name) for name in kept_names()) == count


def test_storm_and_isimip_options_select_their_files() -> None:
    assert len(storm_names()) == 140
    picked = storm_names(StormOptions(models=("constant",), return_periods=(100, 10)))
    assert picked == (
        "STORM_FIXED_RETURN_PERIODS_constant_10_YR_RP.tif",
        "STORM_FIXED_RETURN_PERIODS_constant_100_YR_RP.tif",
    )
    assert len(source_file_names()) == 245
    heat = source_file_names(IsimipOptions(variables=("heatwave",)))
    assert len(heat) == 4 * 7 and all("_leh_" in name for name in heat)
    futures = source_file_names(IsimipOptions(scenarios=("rcp26",), epochs=("2050", "baseline")))
    assert len(futures) == 35 and all("_rcp26_" in n and "_2050_" in n for n in futures)


class _Pets(Selections):
    """Two fields choosing from fixed lists, the second named in the plural with ``_``."""

    animals: tuple[str, ...] = ("cat", "dog", "hen")
    feeding_times: tuple[int, ...] = (7, 12, 19)


class _Sky(Selections):
    """A field whose values are a ``Literal``'s, stated once."""

    colours: tuple[Literal["red", "blue", "grey"], ...] = every(
        Literal["red", "blue", "grey"], "What colour."
    )


def test_every_value_of_a_literal_is_the_default_in_its_order() -> None:
    assert _Sky().colours == ("red", "blue", "grey")
    assert _Sky.model_fields["colours"].description == "What colour."
    assert _Sky.model_validate({"colours": ["grey", "red"]}).colours == ("red", "grey")
    with pytest.raises(UnprocessableError, match=r"colours\.0: Input should be 'red', 'blue'"):
        canonical_options("p", _Sky, {"colours": ["pink"]})


def test_every_field_of_a_selection_is_kept_in_its_default_order() -> None:
    chosen = _Pets.model_validate({"animals": ["hen", "cat", "hen"], "feeding_times": [19, 7]})
    assert chosen.animals == ("cat", "hen")
    assert chosen.feeding_times == (7, 19)
    assert canonical_options("p", _Pets, {"animals": ["dog", "hen", "cat"]}) == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"animals": ["cow"]}, r"animals: Value error, unknown animal: cow; choose from"),
        ({"feeding_times": [8]}, r"feeding_times: Value error, unknown feeding time: 8;"),
        ({"animals": []}, r"animals: Value error, choose at least one animal$"),
    ],
)
def test_a_selection_names_its_field_in_the_singular(raw: dict[str, object], message: str) -> None:
    with pytest.raises(UnprocessableError, match=message):
        canonical_options("p", _Pets, raw)
