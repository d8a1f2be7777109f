"""graspvla: a grasping vision-language-action model trained on synthetic data.

The data flow is visible in the sub-packages::

    assets -> scene -> grasp -> planning -> trajectory -> sim -> data
           -> model -> train -> eval -> serve -> control

Conventions: SI units (metres, radians, seconds), poses as 4x4 float64 homogeneous
matrices in the named frame (``base``, ``world``, ``camera``, ``ee``, ``tcp``), quaternions
(w, x, y, z), images uint8 HxWx3 RGB, boxes in pixels (x_min, y_min, x_max, y_max).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

__version__ = "0.1.0"


def _preload_core() -> None:
    # Developer hook: GRASPVLA_CORE_PATH=/path/to/_core*.so uses a module built outside the
    # installed package (e.g. a per-developer CMake build dir) with this source tree.
    path = os.environ.get("GRASPVLA_CORE_PATH")
    if not path or "graspvla._core" in sys.modules:
        return
    loader = importlib.machinery.ExtensionFileLoader("graspvla._core", path)
    spec = importlib.util.spec_from_file_location("graspvla._core", path, loader=loader)
    if spec is None:
        raise ImportError(f"GRASPVLA_CORE_PATH={path!r} is not a loadable extension module")
    module = importlib.util.module_from_spec(spec)
    sys.modules["graspvla._core"] = module
    loader.exec_module(module)


_preload_core()

__all__ = ["__version__"]
