"""Object assets: procedural library, user-mesh importer, convex decomposition, catalogue.

Objects live in their own frame (origin at the centre of mass); metres, kilograms.
"""

from __future__ import annotations

from graspvla.assets.catalog import AssetCatalog, CatalogEntry, ImportReport
from graspvla.assets.decompose import DecompositionConfig, convex_decomposition
from graspvla.assets.importer import ImportConfig, import_mesh
from graspvla.assets.mesh import ObjectAsset, mass_properties
from graspvla.assets.procedural import CATEGORIES, GRASPABLE_WIDTH, category_names, generate_object

__all__ = [
    "AssetCatalog", "CatalogEntry", "ImportReport", "DecompositionConfig", "convex_decomposition",
    "ImportConfig", "import_mesh", "ObjectAsset", "mass_properties", "CATEGORIES", "GRASPABLE_WIDTH",
    "category_names", "generate_object",
]
