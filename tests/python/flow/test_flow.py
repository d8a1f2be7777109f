"""graspvla.flow: integrators against analytic solutions and a torch reference, fused
un-normalisation / clamping and resampling against numpy references, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graspvla import flow
from graspvla.errors import InvalidInputError


def _linear_velocity(lam: float):
    # dx/dt = lam * x + cos(t)  (time-dependent, non-trivial for every stage)
    return lambda x, t: lam * x + float(np.cos(t))


def _exact(x0: np.ndarray, lam: float, t0: float, t1: float) -> np.ndarray:
    # x(t) = C e^{lam t} + (lam sin t ... ) particular solution of x' = lam x + cos t
    def part(t: float) -> float:
        return (np.sin(t) - lam * np.cos(t)) / (1 + lam * lam)
    c = (x0 - part(t0)) * np.exp(-lam * t0)
    return c * np.exp(lam * t1) + part(t1)


@pytest.mark.parametrize(("method", "order"), [("euler", 1), ("heun", 2), ("rk4", 4)])
def test_convergence_order_against_analytic_solution(method: str, order: int) -> None:
    lam = -0.7
    x0 = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (2, 4, 7)).astype(np.float32))
    errs = []
    for steps in (4, 8):
        x = flow.integrate(_linear_velocity(lam), x0, steps, method)
        # float64 reference integration of the same ODE in torch for the discretisation error
        errs.append(np.abs(x.double().numpy() - _exact(x0.double().numpy(), lam, 1.0, 0.0)).max())
    rate = np.log2(errs[0] / errs[1])
    assert rate == pytest.approx(order, abs=0.35), (errs, rate)


@pytest.mark.parametrize("method", flow.METHODS)
def test_matches_torch_reference_with_a_network(method: str) -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 7))

    def velocity(x: torch.Tensor, t: float) -> torch.Tensor:
        with torch.no_grad():
            return net(torch.cat([x, torch.full_like(x[..., :1], t)], -1))

    x0 = torch.randn(3, 4, 7, generator=torch.Generator().manual_seed(1))
    a = flow.integrate(velocity, x0, 10, method)
    b = flow.integrate_torch(velocity, x0, 10, method)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    assert not torch.equal(a, x0)


def test_euler_is_the_graspvla_denoise_loop() -> None:
    # x <- x - v / steps at t = 1, 0.9, ..., 0.1
    seen = []

    def velocity(x: torch.Tensor, t: float) -> torch.Tensor:
        seen.append(round(t, 6))
        return x * 0.5 + 1.0

    x0 = torch.ones(1, 4, 7)
    out = flow.integrate(velocity, x0, 10)
    ref = x0.clone()
    for k in range(10):
        ref = ref - (ref * 0.5 + 1.0) / 10
    assert seen == [round(1.0 - k / 10, 6) for k in range(10)]
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-6)
    y = flow._flow.euler_update(x0.numpy(), np.full((1, 4, 7), 2.0, np.float32), -0.1)
    np.testing.assert_allclose(y, 0.8, atol=1e-7)


def test_unnormalize_clamp_matches_numpy() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(-1.2, 1.2, (5, 4, 7)).astype(np.float32)
    mn, mx = rng.uniform(-1, 0, 7), rng.uniform(0.1, 1, 7)
    lo, hi = mn + 0.1, mx - 0.1
    ref = np.clip((x.astype(np.float64) + 1) / 2 * (mx - mn) + mn, lo, hi)
    np.testing.assert_allclose(flow.unnormalize_clamp(x, mn, mx, lo, hi), ref, atol=1e-12)
    np.testing.assert_allclose(flow.unnormalize_clamp(torch.from_numpy(x), mn, mx),
                               (x.astype(np.float64) + 1) / 2 * (mx - mn) + mn, atol=1e-12)


def _resample_ref(chunk: np.ndarray, src: float, dst: float, modes: list[str], start: np.ndarray) -> np.ndarray:
    B, H, A = chunk.shape
    M = int(round(H * src / dst))
    t_out = np.minimum((np.arange(M) + 1) * dst, H * src)
    t_in = np.arange(H + 1) * src
    out = np.zeros((B, M, A))
    for b in range(B):
        for a, mode in enumerate(modes):
            if mode == "linear":
                out[b, :, a] = np.interp(t_out, t_in, np.concatenate([[start[b, a]], chunk[b, :, a]]))
            elif mode == "delta":
                cum = np.interp(t_out, t_in, np.concatenate([[0.0], np.cumsum(chunk[b, :, a])]))
                out[b, :, a] = np.diff(np.concatenate([[0.0], cum]))
            else:
                idx = np.clip(np.ceil(t_out / src - 1e-9).astype(int) - 1, 0, H - 1)
                out[b, :, a] = chunk[b, idx, a]
    return out


@pytest.mark.parametrize(("src", "dst"), [(0.3, 0.1), (0.3, 0.05), (0.3, 0.07), (0.1, 0.3)])
def test_resample_matches_numpy(src: float, dst: float) -> None:
    rng = np.random.default_rng(3)
    chunk = rng.normal(size=(3, 4, 7))
    start = rng.normal(size=(3, 7))
    modes = ["delta"] * 3 + ["linear"] * 3 + ["hold"]
    got = flow.resample(chunk, src, dst, modes, start)
    np.testing.assert_allclose(got, _resample_ref(chunk, src, dst, modes, start), atol=1e-12)
    if abs(round(4 * src / dst) * dst - 4 * src) < 1e-9:  # same horizon: deltas sum to the chunk's sum
        np.testing.assert_allclose(got[:, :, :3].sum(1), chunk[:, :, :3].sum(1), atol=1e-12)


def test_bad_input() -> None:
    x = torch.zeros(1, 4, 7)
    with pytest.raises(InvalidInputError, match="method"):
        flow.integrate(lambda x, t: x, x, 2, "midpoint")
    with pytest.raises(InvalidInputError, match="steps"):
        flow.integrate(lambda x, t: x, x, 0)
    with pytest.raises(InvalidInputError, match="velocity"):
        flow.integrate(lambda x, t: x[:, :2], x, 2)
    with pytest.raises(InvalidInputError, match="NaN"):
        flow.integrate(lambda x, t: x * float("nan"), x, 2)
    with pytest.raises(InvalidInputError, match="x"):
        flow.integrate(lambda x, t: x, x.double(), 2)
    with pytest.raises(InvalidInputError, match="modes"):
        flow.resample(np.zeros((1, 4, 7)), 0.3, 0.1, ["delta"] * 6)
    with pytest.raises(InvalidInputError, match="dst_dt"):
        flow.resample(np.zeros((1, 4, 7)), 0.3, -0.1, ["delta"] * 7)
    with pytest.raises(InvalidInputError, match="min"):
        flow.unnormalize_clamp(np.zeros((1, 4, 7), np.float32), np.zeros(6), np.ones(7))
