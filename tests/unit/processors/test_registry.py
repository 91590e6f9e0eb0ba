"""Processor discovery: built-in modules, entry points, test processors, failures at start."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest

from autopkg.domain.estimate import Estimate
from autopkg.domain.metadata import License, Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.domain.sources import Source
from autopkg.errors import ConfigurationError, InvalidInputError
from autopkg.processors.base import EstimateContext, Processor, RunContext
from autopkg.processors.datasets.natural_earth_raster.version_1 import NaturalEarthRasterProcessor
from autopkg.processors.datasets.wri_powerplants.version_130 import WriPowerplantsProcessor
from autopkg.processors.registry import Registry, discover

REAL = {"natural_earth_raster.version_1", "wri_powerplants.version_130"}
TEST = {"test_processor.version_1", "test_fail_processor.version_1"}
NO_GROUP = "autopkg.tests.no-such-group"


def test_discovery_hides_test_processors_unless_asked() -> None:
    public = Registry.discover(include_test=False)
    everything = discover(include_test=True)

    assert set(public.ids()) >= REAL and not TEST & set(public.ids())
    assert set(everything.ids()) == set(public.ids()) | TEST
    assert list(everything.ids()) == sorted(everything.ids())
    assert "test_processor.version_1" in everything
    assert "test_processor.version_1" not in public
    assert public.get("wri_powerplants.version_130") is WriPowerplantsProcessor
    assert len(everything) == len(public) + 2
    assert list(everything) == list(everything.ids())


@pytest.mark.parametrize("bad_id", ["nope.version_1", "wri_powerplants", "../etc", "x" * 200])
def test_unknown_id_is_invalid_input_naming_it(bad_id: str) -> None:
    registry = Registry.discover(include_test=False)
    with pytest.raises(InvalidInputError, match="unknown processor") as caught:
        registry.get(bad_id)
    assert repr(bad_id[:77]).rstrip("'") in caught.value.message
    assert "<name>.<version>" in caught.value.message
    assert bad_id not in registry


def test_test_processor_is_unknown_when_hidden() -> None:
    with pytest.raises(InvalidInputError, match=r"'test_processor\.version_1'"):
        Registry.discover(include_test=False).get("test_processor.version_1")


def test_metadata_of_the_real_processors() -> None:
    grouped = Registry.discover(include_test=False).by_name()
    assert list(grouped) == sorted(grouped)
    natural = grouped["natural_earth_raster"][0]
    assert natural.id == "natural_earth_raster.version_1"
    assert natural.data_license == License(
        name="other-pd",
        path="https://www.naturalearthdata.com/about/terms-of-use/",
        title="Natural Earth terms of use (public domain)",
    )
    assert natural.data_citation.startswith("Made with Natural Earth.")
    assert natural.data_formats == ("GeoTIFF",)
    power = grouped["wri_powerplants"][0]
    assert power.data_license.name == "CC-BY-4.0"
    assert power.data_citation == (
        "Global Energy Observatory, Google, KTH Royal Institute of Technology in Stockholm, "
        "Enipedia, World Resources Institute. 2018. Global Power Plant Database. Published "
        "on Resource Watch and Google Earth Engine; http://resourcewatch.org/ "
        "https://earthengine.google.com/"
    )
    assert power.data_formats == ("GeoPackage",)
    for meta in (natural, power):
        assert meta.status == "available"
        assert meta.data_title and meta.data_title_long and meta.data_summary and meta.data_author
        assert meta.data_origin_url.startswith("https://")
    assert [s.url for s in NaturalEarthRasterProcessor.sources] == [
        "https://naciscdn.org/naturalearth/50m/raster/NE2_50M_SR.zip"
    ]
    assert [s.url for s in WriPowerplantsProcessor.sources] == [
        "https://wri-dataportal-prod.s3.amazonaws.com/manual/global_power_plant_database_v_1_3.zip"
    ]
    # Nobody published checksums we could check offline: nothing is pinned on a guess.
    for processor in (NaturalEarthRasterProcessor, WriPowerplantsProcessor):
        assert all(s.size is None and s.sha256 is None for s in processor.sources)


def _processor(name: str, version: str, **extra: object) -> type[Processor]:
    def run(self: Processor, ctx: RunContext) -> list[OutputFile]:
        return []

    def estimate(self: Processor, ctx: EstimateContext) -> Estimate:
        return Estimate(bytes=0, files=0)

    metadata = Metadata(
        name=name,
        version=version,
        description="d",
        data_author="a",
        data_title="t",
        data_title_long="tl",
        data_summary="s",
        data_citation="c",
        data_license=License(name="CC0-1.0", path="https://x.org", title="CC0"),
        data_origin_url="https://x.org",
        data_formats=("GeoTIFF",),
    )
    return type(
        f"P_{name}_{version}",
        (Processor,),
        {"metadata": metadata, "run": run, "estimate": estimate, **extra},
    )


def test_versions_sort_naturally_within_a_name() -> None:
    registry = Registry(
        [_processor("b", "version_10"), _processor("b", "version_2"), _processor("a", "v1")]
    )
    grouped = registry.by_name()
    assert list(grouped) == ["a", "b"]
    assert [meta.version for meta in grouped["b"]] == ["version_2", "version_10"]
    assert registry.ids() == ("a.v1", "b.version_10", "b.version_2")


def test_duplicate_ids_fail() -> None:
    with pytest.raises(ConfigurationError, match=r"duplicate processor id 'a\.v1'"):
        Registry([_processor("a", "v1"), _processor("a", "v1")])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"sources": (Source(url="https://h.org/../x.zip", filename="x.zip"),)}, "unsafe path"),
        ({"sources": [Source(url="https://h.org/x.zip", filename="x.zip")]}, "tuple of Source"),
        (
            {"sources": (Source(url="https://h.org/x.zip", filename="x.zip", checksum="sha1"),)},
            "is not <algorithm>:<hex digest>",
        ),
        ({"metadata": {"name": "a"}}, "has no Metadata"),
        ({"test_only": "yes"}, "test_only must be a bool"),
    ],
)
def test_bad_processor_declarations_fail(extra: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Registry([_processor("a", "v1", **extra)])


def _package(root: Path, modules: dict[str, str]) -> str:
    """Write a throwaway package of processor modules under ``root``; return its name."""
    name = f"fakeprocs_{uuid.uuid4().hex}"
    for relative, code in {"__init__.py": "", **modules}.items():
        path = root / name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(code))
    return name


PROCESSOR_MODULE = """
    from autopkg.domain.estimate import Estimate
    from autopkg.domain.metadata import License, Metadata
    from autopkg.processors.base import Processor

    class Shared(Processor):
        pass

    class {cls}(Shared):
        test_only = {test_only}
        metadata = Metadata(
            name="{name}", version="{version}", description="d", data_author="a",
            data_title="t", data_title_long="tl", data_summary="s", data_citation="c",
            data_license=License(name="CC0-1.0", path="https://x.org", title="CC0"),
            data_origin_url="https://x.org", data_formats=("GeoTIFF",),
        )

        def estimate(self, ctx):
            return Estimate(bytes=0, files=0)

        def run(self, ctx):
            return []
"""


def _module(cls: str, name: str, version: str, test_only: bool = False) -> str:
    return PROCESSOR_MODULE.format(cls=cls, name=name, version=version, test_only=test_only)


def test_modules_at_any_depth_are_discovered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _package(
        tmp_path,
        {
            "alpha/__init__.py": "",
            "alpha/version_1.py": _module("Alpha1", "alpha", "version_1"),
            "alpha/version_2.py": _module("Alpha2", "alpha", "version_2", test_only=True),
            "beta.py": _module("Beta", "beta", "v1"),
            "helpers.py": "VALUE = 1\n",
        },
    )
    assert Registry.discover(True, package=package, group=NO_GROUP).ids() == (
        "alpha.version_1", "alpha.version_2", "beta.v1",
    )  # fmt: skip
    assert Registry.discover(False, package=package, group=NO_GROUP).ids() == (
        "alpha.version_1", "beta.v1",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        (
            {"broken.py": "import not_a_module_anywhere\n"},
            r"broken failed to import: ModuleNotFound",
        ),
        (
            {"sub/__init__.py": "raise RuntimeError('boom')\n"},
            r"sub failed to import: RuntimeError: boom",
        ),
        ({"bad.py": _module("Bad", "Not A Slug", "v1")}, r"bad failed to import: ValidationError"),
        (
            {"one.py": _module("One", "same", "v1"), "two.py": _module("Two", "same", "v1")},
            r"duplicate processor id 'same\.v1': "
            r"fakeprocs_\w+\.one\.One and fakeprocs_\w+\.two\.Two",
        ),
        (
            {"norun.py": _module("NoRun", "norun", "v1").replace("def run", "def not_run")},
            r"processor fakeprocs_\w+\.norun\.NoRun does not implement run\(\)",
        ),
    ],
)
def test_discovery_fails_at_start_naming_the_culprit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, modules: dict[str, str], message: str
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package = _package(tmp_path, modules)
    with pytest.raises(ConfigurationError, match=message):
        Registry.discover(True, package=package, group=NO_GROUP)


def test_entry_points_add_third_party_processors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix = uuid.uuid4().hex
    group = f"autopkg.tests.{suffix}"
    (tmp_path / f"plugin_{suffix}.py").write_text(
        textwrap.dedent(_module("Plugin", "plugin", "version_1"))
    )
    (tmp_path / f"pluginmod_{suffix}.py").write_text(
        textwrap.dedent(_module("Other", "plugin_module", "version_1"))
    )
    info = tmp_path / f"plugin_{suffix}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: plugin-{suffix}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{group}]\nby_class = plugin_{suffix}:Plugin\nby_module = pluginmod_{suffix}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    empty = _package(tmp_path, {})

    registry = Registry.discover(False, package=empty, group=group)

    assert registry.ids() == ("plugin.version_1", "plugin_module.version_1")

    (info / "entry_points.txt").write_text(f"[{group}]\nbroken = plugin_{suffix}:Missing\n")
    with pytest.raises(ConfigurationError, match=r"entry point 'broken' .* failed to load"):
        Registry.discover(False, package=empty, group=group)
