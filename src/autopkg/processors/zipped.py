"""Datasets that are one file inside one zip: the module declares it, these bases run it.

Most publishers serve a dataset as a zip holding one GeoTIFF or one vector layer. A
processor for one subclasses :class:`ZippedRaster` or :class:`ZippedLayer` and states
only what is its own (metadata, the zip, the member, the priors, the output's title);
fetching, reading the member, clipping, progress and the estimate are done here the one
way, from download (0-40 %) to ``done``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from typing import Any, ClassVar

from autopkg.domain.attributes import Kind
from autopkg.domain.estimate import Estimate
from autopkg.domain.facts import SourceFacts
from autopkg.domain.outputs import OutputFile
from autopkg.domain.sources import RasterPrior, Source
from autopkg.errors import SourceError
from autopkg.processors.base import EstimateContext, Processor, RunContext, Span
from autopkg.processors.rasters import observe
from autopkg.processors.sizing import known_facts, raster_estimate, vector_estimate
from autopkg.processors.vectors import read_layer_info

#: The share of the run spent downloading the zip; the clip takes the rest to 99.
_DOWNLOAD: Span = (0, 40)
_CLIP: Span = (40, 99)


class ZippedRaster(Processor):
    """One GeoTIFF (``member``) inside the zip ``sources[0]``, clipped on the grid it has.

    ``prior`` is the grid the estimates assume until a run has read the file, ``ratio``
    the share of its raw bytes a clip deflates to. With ``split`` (the default) a grid
    that cannot wrap gives one COG per side of ±180° (see ``Processor.clip_to_cogs``);
    without, one COG whatever the boundary.
    """

    member: ClassVar[str]
    prior: ClassVar[SourceFacts]
    ratio: ClassVar[float]
    title: ClassVar[str]
    split: ClassVar[bool] = True

    def raster_prior(self, source: Source) -> RasterPrior | None:
        """The grid of the estimates, for the GeoTIFF in the zip."""
        return RasterPrior(self.prior, self.member) if source in self.sources else None

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """The boundary's window of the grid last seen (or the prior)."""
        grid = known_facts(ctx, self.sources[0], self.prior, self.member)
        return raster_estimate(grid, ctx.boundary.geometry, ratio=self.ratio, split=self.split)

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Fetch the zip, read the GeoTIFF's facts (see ``rasters.observe``) and clip it.

        Raises:
            SourceError: the zip holds no ``member``, or it cannot be read as a raster.
        """
        source = self.sources[0]
        archive = self.fetch(ctx, source, span=_DOWNLOAD)
        with zipfile.ZipFile(archive) as members:
            names = members.namelist()
        if self.member not in names:
            tifs = [name for name in names if name.lower().endswith(".tif")]
            raise SourceError(
                f"the publisher's file {source.filename} holds no {self.member} "
                f"(GeoTIFFs found: {tifs})"
            )
        src = f"/vsizip/{archive}/{self.member}"
        observe(self, ctx, src, name=self.member, prior=self.prior, cached=archive,
                member=self.member)  # fmt: skip
        outputs = self.clip_to_cogs(ctx, src, title=self.title, span=_CLIP, split=self.split)
        ctx.progress(100, "done")
        return outputs


class ZippedLayer(Processor):
    """One vector layer (``member``) inside the zip ``sources[0]``, clipped to a GeoPackage.

    ``columns`` are the attributes expected, as priors (see
    ``Processor.clip_to_geopackage``); ``open_options`` the GDAL options the layer is
    opened with. Estimates spread the layer's ``features`` over the world's land by area,
    ``bytes_per_feature`` each (see ``sizing.vector_estimate``).
    """

    member: ClassVar[str]
    title: ClassVar[str]
    columns: ClassVar[Mapping[str, Kind]]
    open_options: ClassVar[Mapping[str, str] | None] = None
    features: ClassVar[int]
    bytes_per_feature: ClassVar[int]

    def check(self, info: dict[str, Any]) -> None:
        """Refuse the layer from its description (``pyogrio.read_info``); any by default.

        Raises:
            SourceError: the layer is not what the processor can use.
        """

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """The features expected inside the boundary, by its share of the world's land."""
        return vector_estimate(
            ctx.boundary.geometry,
            global_features=self.features,
            bytes_per_feature=self.bytes_per_feature,
        )

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Fetch the zip, open the layer (so a zip without it fails in one sentence), clip it.

        Raises:
            SourceError: the layer cannot be read, or :meth:`check` refuses it.
        """
        source = self.sources[0]
        archive = self.fetch(ctx, source, span=_DOWNLOAD)
        path = f"/vsizip/{archive}/{self.member}"
        options = self.open_options or {}
        self.check(read_layer_info(path, filename=source.filename, member=self.member, **options))
        output = self.clip_to_geopackage(
            ctx, path, title=self.title, span=_CLIP, open_options=self.open_options,
            expected=self.columns,
        )  # fmt: skip
        ctx.progress(100, "done")
        return [output]
