"""Packages published from real processor outputs: Mollweide and WGS84 rasters, a GPKG."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from autopkg.domain.boundary import Boundary
from autopkg.domain.outputs import OutputFile
from autopkg.packaging.publish import publish_processor
from autopkg.processors.base import Processor
from autopkg.processors.datasets.jrc_ghsl_population.r2022_epoch2020_1km import (
    JrcGhslPopulationProcessor,
)
from autopkg.processors.datasets.natural_earth_raster.version_1 import NaturalEarthRasterProcessor
from autopkg.processors.datasets.wri_powerplants.version_130 import WriPowerplantsProcessor
from autopkg.storage.base import Storage
from tests.unit.processors.test_datasets import Run

POPULATION = JrcGhslPopulationProcessor
RELIEF = NaturalEarthRasterProcessor
PLANTS = WriPowerplantsProcessor
PROCESSORS: tuple[type[Processor], ...] = (POPULATION, RELIEF, PLANTS)


@dataclass(frozen=True)
class Outputs:
    """The files each processor made for one boundary, ready to publish."""

    boundary: Boundary
    files: dict[str, list[OutputFile]]


def make_outputs(folder: Path, boundary: Boundary, mirror: str) -> Outputs:
    """Run the three processors for ``boundary`` on the stand-in sources."""
    files = {}
    for processor in PROCESSORS:
        run = Run(folder / processor.metadata.id, boundary, mirror)
        files[processor.metadata.id] = processor().run(run.ctx)
    return Outputs(boundary, files)


def publish_all(
    storage: Storage, outputs: Outputs, only: tuple[type[Processor], ...] = PROCESSORS
) -> None:
    """Publish the outputs of ``only`` into ``storage``, one processor at a time."""
    lock = threading.Lock()
    for processor in only:
        files = outputs.files[processor.metadata.id]
        publish_processor(storage, outputs.boundary, processor.metadata, files, lock=lock)
