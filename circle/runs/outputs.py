"""The one result-folder writer: named files, and a manifest, into a folder together or not at all.

Every command that writes a result folder (coverage, site, compare, sweep) and the notebook
results' ``to_files`` go through `write_result_folder`, which stages the files in
`circle.io.outputs.atomic_output_dir`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._progress import iterate
from ..io.outputs import atomic_output_dir

__all__ = ["MANIFEST_NAME", "Files", "text_files", "write_result_folder"]

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Files:
    """Files written by one function.

    Attributes
    ----------
    names
        The names of the files `write` makes.
    write
        Called with the (staging) folder; writes those files into it.
    """

    names: Sequence[str]
    write: Callable[[Path], Any]


def text_files(texts: Mapping[str, str | bytes]) -> Files:
    """Files with the given contents: name -> text (written as UTF-8) or bytes."""

    def write(folder: Path) -> None:
        for name, content in texts.items():
            if isinstance(content, bytes):
                (folder / name).write_bytes(content)
            else:
                (folder / name).write_text(content, encoding="utf-8")

    return Files(list(texts), write)


def write_result_folder(
    out_dir: str | Path,
    parts: Iterable[Files],
    *,
    overwrite: bool = False,
    manifest: Callable[[Path], dict] | None = None,
) -> list[Path]:
    """Write the parts' files (and ``manifest.json``) into `out_dir`, together or not at all.

    Parameters
    ----------
    out_dir
        Destination folder (created if missing).
    parts
        What to write, in order.
    overwrite
        Replace existing files of the same names (files circle did not write stay untouched).
    manifest
        Called with the staging folder once every other file is written (so it can take their
        sha256); its dict is written last as ``manifest.json`` (indented, UTF-8).

    Returns
    -------
    list of Path
        The written files, the manifest last.
    """
    parts = list(parts)
    names = [name for part in parts for name in part.names]
    names += [MANIFEST_NAME] if manifest is not None else []
    with atomic_output_dir(out_dir, names, overwrite=overwrite) as staging:
        for part in iterate(parts, "writing", unit="parts"):
            part.write(staging)
        if manifest is not None:
            text = json.dumps(manifest(staging), indent=2, ensure_ascii=False) + "\n"
            (staging / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return [Path(out_dir) / n for n in names]
