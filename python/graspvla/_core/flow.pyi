"""
Flow-matching integrators (Euler/Heun/RK4) and chunk post-processing
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
__all__: list[str] = ['euler_update', 'integrate', 'resample', 'resampled_length', 'stages', 'unnormalize_clamp']
def euler_update(x: typing.Any, v: typing.Any, dt: typing.SupportsFloat | typing.SupportsIndex, out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    out = x + dt * v on (B, H, A) float32 (out may be x: in place).
    """
def integrate(x: typing.Any, velocity: typing.Any, steps: typing.SupportsInt | typing.SupportsIndex, method: str = 'euler', t0: typing.SupportsFloat | typing.SupportsIndex = 1.0, t1: typing.SupportsFloat | typing.SupportsIndex = 0.0) -> numpy.typing.NDArray[numpy.float32]:
    """
    Integrates dx/dt = velocity(x, t) from t0 (noise) to t1 (action) in `steps` equal steps, in place on
    x (B, H, A) float32. velocity receives a (B, H, A) float32 array (reused between calls; copy it to keep
    it) and a float t, and returns a (B, H, A) float32 array.
    """
def resample(chunk: typing.Any, src_dt: typing.SupportsFloat | typing.SupportsIndex, dst_dt: typing.SupportsFloat | typing.SupportsIndex, modes: collections.abc.Sequence[str], start: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    Resamples (B, H, A) chunks (element h at time (h+1)*src_dt [s]) to the control period dst_dt [s]:
    per dimension 'linear' (absolute targets; `start` (B, A) is the value at time 0), 'delta' (step deltas,
    sum preserved) or 'hold'. Returns (B, round(H*src_dt/dst_dt), A).
    """
def resampled_length(H: typing.SupportsInt | typing.SupportsIndex, src_dt: typing.SupportsFloat | typing.SupportsIndex, dst_dt: typing.SupportsFloat | typing.SupportsIndex) -> int:
    ...
def stages(method: str) -> int:
    """
    Velocity evaluations per step (euler 1, heun 2, rk4 4).
    """
def unnormalize_clamp(x: typing.Any, min: typing.Any, max: typing.Any, lo: typing.Any = None, hi: typing.Any = None, out: typing.Any = None) -> numpy.typing.NDArray[numpy.float64]:
    """
    (x + 1) / 2 * (max - min) + min, clamped to [lo, hi] per action dimension; x (B, H, A) float32 -> float64.
    """
