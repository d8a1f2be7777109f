"""Flow-matching integration and action-chunk post-processing (C++ ``graspvla._core.flow``).

The velocity network runs in torch; the integrators here evaluate it at each stage point and do
the (fused) arithmetic in C++, zero-copy on CPU float32 tensors. Convention (pi0 / GraspVLA):
t = 1 is noise, t = 0 the action, ``x <- x + dt * v`` with ``dt = -1 / steps``.

Honest note: on a CPU the network evaluation is >99 % of a denoise loop; these kernels save
microseconds (see ``benchmarks/bench_model.py``). Their value is a fixed, allocation-free
post-processing path (un-normalise, clamp to limits, resample to the control rate) for the
real-time controller.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from graspvla._core import flow as _flow
from graspvla.errors import InvalidInputError

__all__ = ["METHODS", "integrate", "integrate_torch", "resample", "stages", "unnormalize_clamp"]

METHODS = ("euler", "heun", "rk4")
Velocity = Callable[[torch.Tensor, float], torch.Tensor]


def stages(method: str) -> int:
    """Velocity evaluations per step: euler 1, heun 2, rk4 4."""
    return int(_flow.stages(method))


def _as_chunk(x: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise InvalidInputError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if x.device.type != "cpu" or x.dtype != torch.float32 or x.dim() != 3:
        raise InvalidInputError(f"{name}: expected a CPU float32 (B, H, A) tensor, got {x.dtype} {tuple(x.shape)} "
                                f"on {x.device}")
    return x.contiguous()


def integrate(velocity: Velocity, x: torch.Tensor, steps: int, method: str = "euler", t0: float = 1.0,
              t1: float = 0.0) -> torch.Tensor:
    """Integrates dx/dt = velocity(x, t) from t0 to t1 in ``steps`` equal steps; returns a new
    tensor (x is not modified). ``velocity`` gets a (B, H, A) float32 tensor (a view of a
    reused buffer) and a Python float t, and returns a (B, H, A) tensor."""
    out = _as_chunk(x, "x").clone()

    def f(point: np.ndarray, t: float) -> np.ndarray:
        v = velocity(torch.from_numpy(point), float(t))
        return v.detach().to(torch.float32).contiguous().numpy()

    _flow.integrate(out.numpy(), f, int(steps), method, float(t0), float(t1))
    return out


def integrate_torch(velocity: Velocity, x: torch.Tensor, steps: int, method: str = "euler", t0: float = 1.0,
                    t1: float = 0.0) -> torch.Tensor:
    """The same integrators in plain torch (reference and benchmark peer)."""
    if method not in METHODS:
        raise InvalidInputError(f"method: expected one of {METHODS}, got {method!r}")
    dt = (t1 - t0) / steps
    x = x.clone()
    for i in range(steps):
        t = t0 + i * dt
        k1 = velocity(x, t)
        if method == "euler":
            x = x + dt * k1
        elif method == "heun":
            k2 = velocity(x + dt * k1, t + dt)
            x = x + 0.5 * dt * (k1 + k2)
        else:
            k2 = velocity(x + 0.5 * dt * k1, t + 0.5 * dt)
            k3 = velocity(x + 0.5 * dt * k2, t + 0.5 * dt)
            k4 = velocity(x + dt * k3, t + dt)
            x = x + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


def unnormalize_clamp(x: torch.Tensor | np.ndarray, action_min: np.ndarray, action_max: np.ndarray,
                      lo: np.ndarray | None = None, hi: np.ndarray | None = None) -> np.ndarray:
    """Normalised chunk (B, H, A) in [-1, 1] -> robot units (float64), clamped to [lo, hi]
    per dimension (e.g. maximum step deltas [m, rad] and gripper [0, 1])."""
    a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    a = np.ascontiguousarray(a, dtype=np.float32)
    f = (lambda v: None if v is None else np.ascontiguousarray(v, dtype=np.float64))
    return _flow.unnormalize_clamp(a, f(action_min), f(action_max), f(lo), f(hi))


def resample(chunk: np.ndarray, src_dt: float, dst_dt: float, modes: Sequence[str],
             start: np.ndarray | None = None) -> np.ndarray:
    """Resamples chunks (B, H, A) whose element h is at time (h + 1) * src_dt [s] to the
    control period dst_dt [s]. Per dimension: "linear" (absolute targets, ``start`` (B, A) is
    the value at t = 0), "delta" (step deltas; the sum over the chunk is preserved) or "hold".
    GraspVLA deltas at 0.3 s to a 10 Hz controller: modes = ["delta"] * 6 + ["hold"]."""
    c = np.ascontiguousarray(chunk, dtype=np.float64)
    s = None if start is None else np.ascontiguousarray(start, dtype=np.float64)
    return _flow.resample(c, float(src_dt), float(dst_dt), list(modes), s)
