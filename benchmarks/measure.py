"""Run one measured thing in its own process: wall time, peak RSS and what it printed."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Sample:
    """One process run: wall and CPU seconds, peak resident set (MB) and its standard output.

    CPU seconds (user + system) barely move when other work shares the cores, unlike the
    wall time, so they show a start-up regression even on a busy machine.
    """

    seconds: float
    peak_mb: float
    stdout: str
    cpu_seconds: float


@dataclass
class Series:
    """Repeated runs of one command; ``inner`` holds times the process reported itself."""

    samples: list[Sample] = field(default_factory=list)
    inner: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def cpu_median(self) -> float:
        return statistics.median(s.cpu_seconds for s in self.samples)

    @property
    def inner_median(self) -> float:
        return statistics.median(self.inner)

    @property
    def peak_mb(self) -> float:
        return max(s.peak_mb for s in self.samples)


#: Runs the command after its first argument (a file descriptor) and writes the command's
#: wall time, peak RSS and CPU time to that descriptor.
#: Run from a small interpreter because Linux carries the peak RSS of the process that
#: forked across ``exec``: spawned straight from this (large) process, every child
#: would report at least this process's size.
_LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - start
cpu = usage.ru_utime + usage.ru_stime
os.write(int(sys.argv[1]), f"{seconds} {usage.ru_maxrss} {cpu}".encode())
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run(command: Sequence[str], env: Mapping[str, str] | None = None) -> Sample:
    """Run ``command`` to completion; raise with its stderr if it fails.

    A small launcher process starts the command and reaps it with ``os.wait4``, so the
    time excludes the launcher and ``ru_maxrss`` is the command's own, separate from
    every other measured process.
    """
    read_end, write_end = os.pipe()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.run(
            [PYTHON, "-S", "-c", _LAUNCHER, str(write_end), *command],
            stdout=out,
            stderr=err,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            pass_fds=(write_end,),
            check=False,
        )
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            report = pipe.read().decode().split()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0 or len(report) != 3:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    # Linux reports ru_maxrss in KiB.
    return Sample(float(report[0]), int(report[1]) / 1024, stdout, float(report[2]))


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
