"""Asset catalogue: a directory of prepared assets (``assets/<name>.npz``) plus ``manifest.json``.

Point the pipeline at thousands of your own objects::

    cat = AssetCatalog.create("my_assets")
    report = cat.import_directory("raw_meshes/")   # category = parent folder name
    asset = cat.load(cat.names(category="mug")[0])

Bad files are skipped with a logged reason (and listed in the returned report), never half
written: asset files and the manifest are written atomically.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from graspvla.assets.cache import atomic_write_bytes, clean_stale_temporaries
from graspvla.assets.importer import SUPPORTED_SUFFIXES, ImportConfig, import_mesh
from graspvla.assets.mesh import ObjectAsset
from graspvla.assets.procedural import category_names, generate_object
from graspvla.errors import InvalidInputError, InvalidMeshError

__all__ = ["AssetCatalog", "CatalogEntry", "ImportReport"]

log = logging.getLogger(__name__)
_MANIFEST = "manifest.json"


@dataclass(frozen=True)
class CatalogEntry:
    """One manifest row: name, category, relative file, mass [kg], extents [m], source."""

    name: str
    category: str
    file: str
    mass: float
    extents: tuple[float, float, float]
    source: str


@dataclass
class ImportReport:
    """Result of a bulk import: names added and (path, reason) of skipped files."""

    added: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class AssetCatalog:
    """A directory of prepared :class:`ObjectAsset` files with a JSON manifest."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        manifest = self.root / _MANIFEST
        if not manifest.exists():
            raise InvalidInputError(f"{str(self.root)!r} is not an asset catalogue (no {_MANIFEST}); "
                                    "use AssetCatalog.create()")
        try:
            rows = json.loads(manifest.read_text())["assets"]
        except (ValueError, KeyError) as e:
            raise InvalidInputError(f"catalogue manifest {str(manifest)!r} is corrupt: {e}") from e
        self._entries = {r["name"]: CatalogEntry(**{**r, "extents": tuple(r["extents"])}) for r in rows}

    @classmethod
    def create(cls, root: str | Path) -> "AssetCatalog":
        """Open ``root`` as a catalogue, creating an empty one if needed."""
        root = Path(root)
        (root / "assets").mkdir(parents=True, exist_ok=True)
        clean_stale_temporaries(root)
        if not (root / _MANIFEST).exists():
            atomic_write_bytes(root / _MANIFEST, json.dumps({"version": 1, "assets": []}).encode())
        return cls(root)

    # ---- queries
    def __len__(self) -> int:
        return len(self._entries)

    def names(self, category: str | None = None) -> list[str]:
        """Asset names, optionally of one category, sorted."""
        return sorted(n for n, e in self._entries.items() if category is None or e.category == category)

    def categories(self) -> list[str]:
        return sorted({e.category for e in self._entries.values()})

    def entry(self, name: str) -> CatalogEntry:
        if name not in self._entries:
            raise InvalidInputError(f"asset {name!r} is not in catalogue {str(self.root)!r}")
        return self._entries[name]

    def load(self, name: str) -> ObjectAsset:
        return ObjectAsset.load(self.root / self.entry(name).file)

    def sample(self, rng: np.random.Generator, category: str | None = None) -> ObjectAsset:
        """A uniformly random asset (of ``category`` if given)."""
        names = self.names(category)
        if not names:
            raise InvalidInputError(f"catalogue has no assets of category {category!r}")
        return self.load(names[int(rng.integers(len(names)))])

    # ---- writes
    def add(self, asset: ObjectAsset) -> CatalogEntry:
        """Store ``asset`` (atomically) and record it in the manifest."""
        rel = f"assets/{asset.name}.npz"
        asset.save(self.root / rel)
        e = CatalogEntry(asset.name, asset.category, rel, float(asset.mass),
                         tuple(float(x) for x in asset.extents), asset.source)
        self._entries[asset.name] = e
        self._write_manifest()
        return e

    def _write_manifest(self) -> None:
        rows = [dict(e.__dict__, extents=list(e.extents)) for e in sorted(self._entries.values(), key=lambda e: e.name)]
        atomic_write_bytes(self.root / _MANIFEST, json.dumps({"version": 1, "assets": rows}, indent=1).encode())

    def import_directory(self, source: str | Path, config: ImportConfig = ImportConfig(),
                         category: str | None = None) -> ImportReport:
        """Import every mesh below ``source``; category = ``category`` or the parent folder name.

        Bad meshes are skipped with a logged warning and listed in ``report.skipped``.
        """
        report = ImportReport()
        for path in sorted(Path(source).rglob("*")):
            if path.suffix.lower() not in SUPPORTED_SUFFIXES or not path.is_file():
                continue
            cat = category or path.parent.name
            name = f"{cat}_{path.stem}".replace(" ", "_")
            try:
                asset = import_mesh(path, cat, name=name, config=config)
            except InvalidMeshError as e:
                log.warning("skipping %s: %s", path, e)
                report.skipped.append((str(path), str(e)))
                continue
            self.add(asset)
            report.added.append(name)
        return report

    def add_procedural(self, n_per_category: int, seed: int = 0, categories: list[str] | None = None) -> list[str]:
        """Generate ``n_per_category`` random instances of each procedural category."""
        rng = np.random.default_rng(seed)
        added = []
        for cat in categories or category_names():
            for i in range(n_per_category):
                a = generate_object(cat, rng, name=f"{cat.replace(' ', '_')}_{i:04d}")
                self.add(a)
                added.append(a.name)
        return added
