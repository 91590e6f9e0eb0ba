"""Run one measured thing in its own process: wall time, peak RSS and what it printed."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Sample:
    """One process run: wall seconds, peak resident set (MB) and its standard output."""

    seconds: float
    peak_mb: float
    stdout: str


@dataclass
class Series:
    """Repeated runs of one command; ``inner`` holds times the process reported itself."""

    samples: list[Sample] = field(default_factory=list)
    inner: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def inner_median(self) -> float:
        return statistics.median(self.inner)

    @property
    def peak_mb(self) -> float:
        return max(s.peak_mb for s in self.samples)


def run(command: Sequence[str], env: Mapping[str, str] | None = None) -> Sample:
    """Run ``command`` to completion; raise with its stderr if it fails.

    The child is reaped with ``os.wait4`` so its own ``ru_maxrss`` is read, separate
    from every other measured process.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command), stdout=out, stderr=err, env={**os.environ, **(env or {})}, cwd=ROOT
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    # Linux reports ru_maxrss in KiB.
    return Sample(seconds, usage.ru_maxrss / 1024, stdout)


def repeat(
    command: Sequence[str],
    times: int,
    env: Mapping[str, str] | None = None,
    before: Callable[[], None] | None = None,
) -> Series:
    """Run ``command`` ``times`` times; collect ``{"seconds": [...]}`` it prints, if any.

    ``before`` runs ahead of each repetition, untimed (removing the previous output).
    """
    series = Series()
    for _ in range(times):
        if before is not None:
            before()
        sample = run(command, env)
        series.samples.append(sample)
        last = sample.stdout.strip().splitlines()[-1:] or [""]
        if last[0].startswith("{"):
            series.inner.extend(json.loads(last[0])["seconds"])
    return series


def worker(*args: str) -> list[str]:
    """Command line running :mod:`benchmarks.worker` with ``args``."""
    return [PYTHON, "-m", "benchmarks.worker", *args]
