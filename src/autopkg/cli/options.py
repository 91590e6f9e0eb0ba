"""Options shared by the commands that make packages: ``--options-json``, ``--buffer-m``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from autopkg.errors import InvalidInputError

OptionsJsonOption = Annotated[
    str | None,
    typer.Option(
        "--options-json",
        help='Processor options as JSON, e.g. \'{"wri_aqueduct.version_2": '
        '{"hazards": ["coastal"]}}\' (see each processor\'s options_schema).',
    ),
]

BufferOption = Annotated[
    int | None,
    typer.Option(
        "--buffer-m",
        min=1,
        help="Grow the boundary by this many metres (on the ellipsoid); the package "
        "is then the buffered area's, <boundary>-buffer-<m>m.",
    ),
]


def parse_options_json(text: str | None) -> dict[str, dict[str, Any]] | None:
    """The options ``--options-json`` gives: an object of processor ids to objects.

    Raises:
        InvalidInputError: the text is not such a JSON object.
    """
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise InvalidInputError(f"--options-json is not JSON: {exc}") from None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise InvalidInputError(
            "--options-json must be an object of processor ids to objects of options"
        )
    return value
