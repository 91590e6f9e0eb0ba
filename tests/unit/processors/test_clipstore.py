"""The clip store: clips kept across a run's attempts, trusted only when whole and alike."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from autopkg.domain.attributes import AttributeReport
from autopkg.domain.outputs import COG_MEDIATYPE, OutputFile
from autopkg.processors.clipstore import ClipStore

SCOPE = {"processor": "p.v1", "boundary": "sha256:aa", "options": {}}


def _outputs(scratch: Path, *contents: bytes) -> list[OutputFile]:
    scratch.mkdir(parents=True, exist_ok=True)
    outputs = []
    for number, content in enumerate(contents):
        path = scratch / f"p-v1-s{number}-gha.tif"
        path.write_bytes(content)
        outputs.append(
            OutputFile(path, "tif", COG_MEDIATYPE, title=f"s{number}", empty=number == 1)
        )
    return outputs


def test_a_kept_clip_is_taken_into_another_attempts_scratch(tmp_path: Path) -> None:
    store = ClipStore(tmp_path / "clips", SCOPE)
    key = store.key(source_sha256="ab", part={"name": "s.tif"})
    store.keep(key, _outputs(tmp_path / "1-x", b"east", b"west"))
    (tmp_path / "2-y").mkdir()

    taken = store.take(key, tmp_path / "2-y")

    assert taken is not None
    assert [(o.path, o.format, o.mediatype, o.title, o.empty) for o in taken] == [
        (tmp_path / "2-y" / "p-v1-s0-gha.tif", "tif", COG_MEDIATYPE, "s0", False),
        (tmp_path / "2-y" / "p-v1-s1-gha.tif", "tif", COG_MEDIATYPE, "s1", True),
    ]
    assert [o.path.read_bytes() for o in taken] == [b"east", b"west"]
    assert sorted(p.name for p in (tmp_path / "2-y").iterdir()) == [o.path.name for o in taken]


@pytest.mark.parametrize(
    ("scope", "source", "part"),
    [
        ({**SCOPE, "boundary": "sha256:bb"}, "ab", {"name": "s.tif"}),
        ({**SCOPE, "processor": "p.v2"}, "ab", {"name": "s.tif"}),
        ({**SCOPE, "options": {"years": [2050]}}, "ab", {"name": "s.tif"}),
        (SCOPE, "cd", {"name": "s.tif"}),
        (SCOPE, "ab", {"name": "t.tif"}),
    ],
)
def test_a_clip_is_reused_only_for_the_same_inputs(
    tmp_path: Path, scope: dict[str, object], source: str, part: dict[str, object]
) -> None:
    kept = ClipStore(tmp_path / "clips", SCOPE)
    kept.keep(kept.key(source_sha256="ab", part={"name": "s.tif"}), _outputs(tmp_path / "1", b"x"))
    other = ClipStore(tmp_path / "clips", scope)

    assert other.take(other.key(source_sha256=source, part=part), tmp_path / "2") is None
    assert not (tmp_path / "2").exists()


def test_half_written_or_tampered_entries_are_not_trusted(tmp_path: Path) -> None:
    store = ClipStore(tmp_path / "clips", SCOPE)
    keys = [store.key(source_sha256="ab", part={"n": n}) for n in range(4)]
    # An attempt killed while keeping leaves only its private staging folder.
    staging = tmp_path / "clips" / f".{keys[0]}.0123"
    staging.mkdir()
    (staging / "p-v1-s0-gha.tif").write_bytes(b"half")
    for key, record in zip(
        keys[1:],
        [
            [
                {
                    "name": "../outside.tif",
                    "format": "tif",
                    "mediatype": "m",
                    "title": "",
                    "empty": 0,
                }
            ],
            [{"name": "gone.tif", "format": "tif", "mediatype": "m", "title": "", "empty": 0}],
            "{not json",
        ],
        strict=True,
    ):
        (tmp_path / "clips" / key).mkdir()
        text = record if isinstance(record, str) else json.dumps(record)
        (tmp_path / "clips" / key / "record.json").write_text(text)
    (tmp_path / "clips" / "outside.tif").write_bytes(b"x")

    assert [store.take(key, tmp_path / "scratch") for key in keys] == [None] * 4
    assert not (tmp_path / "scratch").exists()


def test_keeping_twice_or_after_the_run_ended_changes_nothing(tmp_path: Path) -> None:
    store = ClipStore(tmp_path / "clips", SCOPE)
    key = store.key(source_sha256="ab", part={})
    store.keep(key, _outputs(tmp_path / "1", b"first"))
    # An old attempt still running keeps the same clip again: the entry stays whole.
    store.keep(key, _outputs(tmp_path / "2", b"again"))
    (tmp_path / "3").mkdir()
    taken = store.take(key, tmp_path / "3")
    assert taken is not None and taken[0].path.read_bytes() == b"first"
    assert [p.name for p in (tmp_path / "clips").iterdir()] == [key]

    for path in sorted((tmp_path / "clips").rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    (tmp_path / "clips").rmdir()
    store.keep(store.key(source_sha256="cd", part={}), _outputs(tmp_path / "4", b"late"))
    assert not (tmp_path / "clips").exists()


def test_what_a_clip_found_in_its_attributes_is_kept_with_it(tmp_path: Path) -> None:
    store = ClipStore(tmp_path / "clips", SCOPE)
    key = store.key(source_sha256="ab", part={"sub": "grid"})
    report = AttributeReport(
        differences=("extra column voltage (string)",),
        coerced={"voltage": 3},
        not_written={"no geometry": 2},
        renamed={"Source": "Source_2"},
    )
    kept = replace(_outputs(tmp_path / "1-x", b"lines")[0], attributes=report)
    store.keep(key, [kept])
    (tmp_path / "2-y").mkdir()

    taken = store.take(key, tmp_path / "2-y")

    assert taken is not None and [o.attributes for o in taken] == [report]
