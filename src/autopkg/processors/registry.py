"""The processor registry: every processor version, discovered once and frozen.

Built-in processors are the modules under :mod:`autopkg.processors.datasets` (any
depth); third-party packages add theirs through the ``autopkg.processors`` entry-point
group, pointing at a module or at a :class:`Processor` subclass. Discovery fails at
start, with a message naming the culprit, on an import error, a duplicate id or bad
metadata, so a broken processor never surfaces half-way through a job.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from types import MappingProxyType, ModuleType

from autopkg.domain.metadata import Metadata
from autopkg.domain.sources import Source
from autopkg.errors import ConfigurationError, InvalidInputError, SourceError
from autopkg.processors.base import Processor
from autopkg.processors.digests import parse_checksum
from autopkg.processors.fetch import cache_relpath

DATASETS_PACKAGE = "autopkg.processors.datasets"
ENTRY_POINT_GROUP = "autopkg.processors"


class Registry:
    """A frozen mapping of processor id (``<name>.<version>``) to Processor subclass."""

    __slots__ = ("_processors",)

    def __init__(self, processors: Iterable[type[Processor]]) -> None:
        """Index ``processors`` by id.

        Raises:
            ConfigurationError: on bad metadata or two processors with one id.
        """
        table: dict[str, type[Processor]] = {}
        for processor in processors:
            _validate(processor)
            pid = processor.metadata.id
            known = table.get(pid)
            if known is not None and known is not processor:
                raise ConfigurationError(
                    f"duplicate processor id {pid!r}: {_where(known)} and {_where(processor)}"
                )
            table[pid] = processor
        self._processors = MappingProxyType(dict(sorted(table.items())))

    @classmethod
    def discover(
        cls,
        include_test: bool,
        *,
        package: str = DATASETS_PACKAGE,
        group: str = ENTRY_POINT_GROUP,
    ) -> Registry:
        """Import every processor module and return the registry.

        Args:
            include_test: also list ``test_only`` processors (they are always validated).
            package: the package whose modules are the built-in processors.
            group: the entry-point group of third-party processors.

        Raises:
            ConfigurationError: naming the module or entry point that fails to import,
                the duplicated id, or the processor with bad metadata.
        """
        found = [*_from_package(package), *_from_entry_points(group)]
        everything = cls(found)
        if include_test:
            return everything
        return cls(processor for processor in everything.processors() if not processor.test_only)

    def get(self, processor_id: str) -> type[Processor]:
        """Return the processor class of ``processor_id``.

        Raises:
            InvalidInputError: naming the id when no such processor is registered.
        """
        processor = self._processors.get(processor_id)
        if processor is None:
            shown = processor_id if len(processor_id) <= 80 else processor_id[:77] + "..."
            raise InvalidInputError(
                f"unknown processor {shown!r} (processor ids are <name>.<version>, "
                "see the processors list)"
            )
        return processor

    def ids(self) -> tuple[str, ...]:
        """Return every processor id, sorted."""
        return tuple(self._processors)

    def processors(self) -> tuple[type[Processor], ...]:
        """Return every processor class, in id order."""
        return tuple(self._processors.values())

    def by_name(self) -> dict[str, list[Metadata]]:
        """Return the metadata of every version, grouped by processor name.

        Names are sorted; versions are in natural order (``version_2`` before
        ``version_10``).
        """
        grouped: dict[str, list[Metadata]] = {}
        for processor in self._processors.values():
            grouped.setdefault(processor.metadata.name, []).append(processor.metadata)
        return {
            name: sorted(versions, key=lambda meta: _natural_key(meta.version))
            for name, versions in sorted(grouped.items())
        }

    def __contains__(self, processor_id: object) -> bool:
        return processor_id in self._processors

    def __iter__(self) -> Iterator[str]:
        return iter(self._processors)

    def __len__(self) -> int:
        return len(self._processors)

    def __repr__(self) -> str:
        return f"Registry({list(self._processors)})"


def _natural_key(text: str) -> list[tuple[int, int | str]]:
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text)]


def _where(processor: type) -> str:
    return f"{processor.__module__}.{processor.__qualname__}"


def _validate(processor: object) -> None:
    """Check a processor class beyond what pydantic checked when its module imported."""
    if not (isinstance(processor, type) and issubclass(processor, Processor)):
        raise ConfigurationError(f"{processor!r} is not a Processor subclass")
    where = _where(processor)
    if inspect.isabstract(processor):
        # run() first: a class missing both is most likely not a processor at all yet.
        missing = sorted(processor.__abstractmethods__, key=lambda name: (name != "run", name))
        shown = " and ".join(f"{name}()" for name in missing)
        raise ConfigurationError(f"processor {where} does not implement {shown}")
    metadata = getattr(processor, "metadata", None)
    if not isinstance(metadata, Metadata):
        raise ConfigurationError(f"processor {where} has no Metadata in its 'metadata' attribute")
    if not isinstance(processor.test_only, bool):
        raise ConfigurationError(f"processor {where}: test_only must be a bool")
    sources = processor.sources
    if not isinstance(sources, tuple) or not all(isinstance(s, Source) for s in sources):
        raise ConfigurationError(f"processor {where}: sources must be a tuple of Source")
    for source in sources:
        try:
            cache_relpath(source)
            if source.checksum is not None:
                parse_checksum(source.checksum)
        except SourceError as exc:
            raise ConfigurationError(f"processor {where}: {exc.message}") from None


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise ConfigurationError(
            f"processor module {name} failed to import: {type(exc).__name__}: {exc}"
        ) from exc


def _from_package(package: str) -> Iterator[type[Processor]]:
    """Yield processors of ``package`` and of every module and subpackage under it.

    Dataset folders need no ``__init__.py`` (they import as namespace packages), so a
    new processor really is one new module.
    """
    root = _import(package)
    yield from _defined_in(root)
    paths = list(getattr(root, "__path__", []))
    for info in pkgutil.iter_modules(paths, prefix=f"{package}."):
        if info.ispkg:
            yield from _from_package(info.name)
        else:
            yield from _defined_in(_import(info.name))
    for folder in sorted({entry for path in paths for entry in Path(path).iterdir()}):
        if _is_namespace_folder(folder):
            yield from _from_package(f"{package}.{folder.name}")


def _is_namespace_folder(folder: Path) -> bool:
    return (
        folder.is_dir()
        and folder.name.isidentifier()
        and not (folder / "__init__.py").exists()
        and any(folder.glob("*.py"))
    )


def _from_entry_points(group: str) -> Iterator[type[Processor]]:
    for point in entry_points(group=group):
        try:
            loaded = point.load()
        except Exception as exc:
            raise ConfigurationError(
                f"processor entry point {point.name!r} ({point.value}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if isinstance(loaded, ModuleType):
            yield from _defined_in(loaded)
        elif isinstance(loaded, type) and issubclass(loaded, Processor):
            yield loaded
        else:
            raise ConfigurationError(
                f"processor entry point {point.name!r} ({point.value}) is neither a module "
                "nor a Processor subclass"
            )


def _defined_in(module: ModuleType) -> Iterator[type[Processor]]:
    """Yield the processors a module defines (not those it imports).

    Abstract classes without their own metadata are shared bases and are skipped; an
    abstract class that declares metadata is a processor missing ``run`` and fails.
    """
    for value in vars(module).values():
        if not (
            isinstance(value, type)
            and issubclass(value, Processor)
            and value.__module__ == module.__name__
        ):
            continue
        if inspect.isabstract(value) and "metadata" not in vars(value):
            continue
        yield value


def discover(include_test: bool) -> Registry:
    """Return the registry of built-in and entry-point processors (see ``Registry.discover``)."""
    return Registry.discover(include_test)
