"""A test processor that reports progress, then fails with a readable message."""

from __future__ import annotations

from autopkg.domain.estimate import Estimate
from autopkg.domain.licences import CC0_1_0
from autopkg.domain.metadata import Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.domain.publishers import AUTOPKG
from autopkg.errors import ProcessorError
from autopkg.processors.base import EstimateContext, Processor, RunContext


class FailingTestProcessor(Processor):
    """Always fails after a first progress report (exercises failure handling)."""

    test_only = True
    metadata = Metadata(
        name="test_fail_processor",
        version="version_1",
        description="A test processor that always fails.",
        data_title="Failing test processor",
        data_title_long="A test processor that fails on purpose",
        data_summary="Fails after reporting 50% progress, to test failure handling.",
        data_citation="None: test data.",
        data_license=CC0_1_0,
        data_reference=AUTOPKG,
    )

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """Nothing: the run fails before writing any file."""
        return Estimate(bytes=0, files=0)

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Report 50% progress, then raise ``ProcessorError``."""
        ctx.progress(50, "about to fail")
        raise ProcessorError(
            f"{self.metadata.id} failed on purpose for boundary {ctx.boundary.name}"
        )
