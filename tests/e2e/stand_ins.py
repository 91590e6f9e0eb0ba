"""A stand-in processor that never finishes, registered as a third party would register it.

A deployment's processes find it through the ``autopkg.processors`` entry point of a
distribution folder put on their ``PYTHONPATH`` (:func:`stand_in_plugin`). Its option
``behaviour`` chooses how it misbehaves:

- ``repeat``: reports the same progress over and over (stuck in a loop that goes
  nowhere): the stall rule gives it up;
- ``move``: reports growing progress for ever: the soft time limit stops it;
- ``defy``: like ``move``, but ignores the soft limit's request to stop: the hard
  limit gives it up.

Each stops as soon as a report tells it the run is no longer its own.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

from autopkg.domain.estimate import Estimate
from autopkg.domain.metadata import License, Metadata
from autopkg.domain.options import ProcessorOptions
from autopkg.domain.outputs import OutputFile
from autopkg.domain.reference import Organisation, Reference
from autopkg.errors import ProcessorError, RunTimeLimitError
from autopkg.processors.base import EstimateContext, Processor, RunContext

STAND_IN = "stand_in_hang.version_1"
# Long enough for any limit of the tests; a stand-in never outlives its test by more.
_GIVE_UP_SECS = 300.0
_STEP_SECS = 0.2


class HangOptions(ProcessorOptions):
    """How the stand-in misbehaves."""

    behaviour: Literal["repeat", "move", "defy"] = "move"


class HangingStandIn(Processor):
    """Works for ever in one of three ways (see the module)."""

    test_only = True
    options_model = HangOptions
    metadata = Metadata(
        name="stand_in_hang",
        version="version_1",
        description="A stand-in that never finishes, for the execution policy's tests.",
        data_author="autopkg",
        data_title="Hanging stand-in",
        data_title_long="A stand-in processor that never finishes",
        data_summary="Reports progress for ever, in one of three ways.",
        data_citation="None: test stand-in.",
        data_license=License(
            name="CC0-1.0",
            path="https://creativecommons.org/publicdomain/zero/1.0/",
            title="Creative Commons CC0 1.0 Universal",
        ),
        data_origin_url="https://github.com/nismod/irv-autopkg",
        data_formats=("GeoTIFF",),
        data_reference=Reference(
            authors=(Organisation(name="autopkg"),),
            year=2026,
            version="1",
            url="https://github.com/nismod/irv-autopkg",
        ),
    )

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """Nothing: it never writes a file."""
        return Estimate(bytes=0, files=0)

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Report progress in the chosen way until told to stop."""
        behaviour = HangOptions.model_validate(ctx.options).behaviour
        pause = threading.Event()
        steps = int(_GIVE_UP_SECS / _STEP_SECS)
        for step in range(steps):
            percent = 1.0 if behaviour == "repeat" else 1 + 90 * step / steps
            try:
                ctx.progress(percent, "working")
            except RunTimeLimitError:
                if behaviour != "defy":
                    raise
            pause.wait(_STEP_SECS)
        raise ProcessorError(f"{STAND_IN} was never stopped")


def stand_in_plugin(folder: Path) -> Path:
    """Write a distribution's metadata declaring this module's processors; return the folder.

    Put on ``PYTHONPATH`` (with the repository's root, so ``tests`` imports), it makes
    ``importlib.metadata`` list the entry point, as an installed plugin would.
    """
    dist = folder / "autopkg_stand_ins-0.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: autopkg-stand-ins\nVersion: 0\n")
    (dist / "entry_points.txt").write_text(
        "[autopkg.processors]\nstand_in_hang = tests.e2e.stand_ins\n"
    )
    return folder
