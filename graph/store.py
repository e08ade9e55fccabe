"""Where builds live on disk, and how a finished build replaces the previous one atomically.

Layout of a data directory::

    <data-dir>/
        current -> builds/<build-id>        (a symlink, swapped atomically)
        builds/<build-id>/store/            (the Oxigraph store)
        builds/<build-id>/build.json        (the manifest: version, counts, timings, warnings)
        builds/<build-id>/downloads/        (dumps written at build time)
        builds/<build-id>.partial/          (a build in progress, never read)
        build.lock                          (serialises concurrent builds)

A build writes everything into ``builds/<id>.partial``, renames it to
``builds/<id>`` and only then points ``current`` at it with ``rename(2)``,
which is atomic. A failed or killed build therefore never touches the build
that ``current`` points to; readers see either the old or the new build.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from ruhrkg.mappings.vocab import GRAPHS

DEFAULT_DATA_DIR = "ruhrkg-data"
KEEP_BUILDS = 3


class StoreError(Exception):
    """A store that is missing, unreadable or not a ruhrkg build."""


@dataclass(frozen=True)
class Build:
    """A finished build: its directory and manifest."""

    path: Path
    manifest: dict

    @property
    def store_path(self) -> Path:
        return self.path / "store"

    @property
    def downloads(self) -> Path:
        return self.path / "downloads"

    @property
    def version(self) -> str:
        return self.manifest["version"]

    def open_store(self) -> ox.Store:
        """Open the build's store read-only."""
        try:
            return ox.Store.read_only(str(self.store_path))
        except OSError as e:
            raise StoreError(f"cannot open the store at {self.store_path}: {e}") from e


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The data directory: ``path``, else ``$RUHRKG_DATA_DIR``, else ``./ruhrkg-data``."""
    return Path(path or os.environ.get("RUHRKG_DATA_DIR") or DEFAULT_DATA_DIR).resolve()


def current(directory: str | os.PathLike | None = None) -> Build:
    """The build ``current`` points to; :class:`StoreError` if there is none."""
    root = data_dir(directory)
    link = root / "current"
    if not link.exists():
        raise StoreError(f"no graph has been built in {root} yet: run `ruhrkg build` first")
    target = link.resolve()
    try:
        manifest = json.loads((target / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise StoreError(f"{target} is not a complete ruhrkg build: {e}") from e
    return Build(target, manifest)


def has_build(directory: str | os.PathLike | None = None) -> bool:
    try:
        current(directory)
    except StoreError:
        return False
    return True


@contextlib.contextmanager
def build_lock(root: Path):
    """An exclusive lock on the data directory, so two builds never interleave."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another build is running in {root}") from None
        yield


def staging_dir(root: Path, build_id: str) -> Path:
    """A fresh directory for a build in progress (leftovers of killed builds are removed)."""
    builds = root / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    for stale in builds.glob("*.partial"):
        shutil.rmtree(stale, ignore_errors=True)
    path = builds / f"{build_id}.partial"
    path.mkdir()
    return path


def publish(root: Path, staging: Path, manifest: dict) -> Build:
    """Finish a build: write its manifest, then swap ``current`` to it atomically."""
    (staging / "build.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    final = staging.with_name(staging.name.removesuffix(".partial"))
    os.rename(staging, final)
    _fsync_dir(final.parent)
    tmp_link = root / f".current.{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp_link.unlink()
    os.symlink(os.path.relpath(final, root), tmp_link)
    os.replace(tmp_link, root / "current")
    _fsync_dir(root)
    _prune(root, keep=final)
    return Build(final, manifest)


def _prune(root: Path, *, keep: Path) -> None:
    """Delete old builds, keeping the newest few (a server may still read the previous one)."""
    builds = sorted(
        (p for p in (root / "builds").iterdir() if p.is_dir() and not p.name.endswith(".partial")),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in builds[KEEP_BUILDS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def default_graphs() -> list[ox.NamedNode]:
    """The query default graph: data plus ontology (the SPARQL endpoint's too)."""
    return [ox.NamedNode(GRAPHS["data"]), ox.NamedNode(GRAPHS["ontology"])]
