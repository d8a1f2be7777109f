#include "graspvla/flow/postprocess.hpp"

#include <algorithm>
#include <cmath>

namespace graspvla::flow {

Status unnormalize_clamp(const float* x, std::size_t rows, std::size_t dims, const double* min, const double* max,
                         const double* lo, const double* hi, double* out) {
  if (!x || !min || !max || !out) return Status::InvalidInput;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t a = 0; a < dims; ++a) {
      double y = (static_cast<double>(x[r * dims + a]) + 1.0) * 0.5 * (max[a] - min[a]) + min[a];
      if (lo && y < lo[a]) y = lo[a];
      if (hi && y > hi[a]) y = hi[a];
      out[r * dims + a] = y;
    }
  }
  return Status::Ok;
}

std::size_t resampled_length(std::size_t H, double src_dt, double dst_dt) {
  if (!(src_dt > 0) || !(dst_dt > 0)) return 0;
  return static_cast<std::size_t>(std::llround(static_cast<double>(H) * src_dt / dst_dt));
}

Status resample(const double* chunk, std::size_t H, std::size_t A, double src_dt, double dst_dt,
                const Resample* modes, const double* start, double* out) {
  if (!chunk || !modes || !out || H == 0 || !(src_dt > 0) || !(dst_dt > 0)) return Status::InvalidInput;
  const std::size_t M = resampled_length(H, src_dt, dst_dt);
  if (M == 0) return Status::InvalidInput;
  const double horizon = static_cast<double>(H) * src_dt;
  for (std::size_t a = 0; a < A; ++a) {
    double prev_cum = 0.0;
    for (std::size_t m = 0; m < M; ++m) {
      // time of output sample in units of src steps, clamped to the horizon
      const double tau = std::min(static_cast<double>(m + 1) * dst_dt, horizon) / src_dt;
      double s = std::floor(tau);
      double f = tau - s;
      auto k = static_cast<std::size_t>(s);  // tau lies between samples k and k+1 (sample j at time j)
      if (k >= H) {
        k = H;
        f = 0.0;
      }
      switch (modes[a]) {
        case Resample::Linear: {
          const double v0 = k == 0 ? (start ? start[a] : chunk[a]) : chunk[(k - 1) * A + a];
          const double v1 = k < H ? chunk[k * A + a] : v0;
          out[m * A + a] = v0 + f * (v1 - v0);
          break;
        }
        case Resample::Delta: {
          double cum = 0.0;  // cumulative sum up to sample k plus fraction of the next delta
          for (std::size_t j = 0; j < k; ++j) cum += chunk[j * A + a];
          if (k < H) cum += f * chunk[k * A + a];
          out[m * A + a] = cum - prev_cum;
          prev_cum = cum;
          break;
        }
        case Resample::Hold: {
          // value of the src step that covers (tau - 1, tau]
          std::size_t j = static_cast<std::size_t>(std::ceil(tau - 1e-9));
          j = j == 0 ? 0 : j - 1;
          out[m * A + a] = chunk[std::min(j, H - 1) * A + a];
          break;
        }
        default: return Status::InvalidInput;
      }
    }
  }
  return Status::Ok;
}

}  // namespace graspvla::flow
