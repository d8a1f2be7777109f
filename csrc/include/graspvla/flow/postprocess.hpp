#pragma once
// Fused post-processing of a sampled chunk: un-normalisation from [-1, 1] with percentile
// min/max statistics, clamping to limits, and resampling to the control rate.
#include <cstddef>
#include <cstdint>

#include "graspvla/core/status.hpp"

namespace graspvla::flow {

/// out[b,h,a] = clamp((x + 1) / 2 * (max_a - min_a) + min_a, lo_a, hi_a) for a chunk
/// x (rows = B*H, a = A) in float32; out float64. lo/hi may be null (no clamping).
Status unnormalize_clamp(const float* x, std::size_t rows, std::size_t dims, const double* min, const double* max,
                         const double* lo, const double* hi, double* out);

/// Per-dimension resampling mode.
enum class Resample : std::int8_t {
  Linear = 0,  ///< absolute targets: linear interpolation in time (from `start` before the first)
  Delta = 1,   ///< step deltas: the cumulative sum is interpolated and differenced (sum preserved)
  Hold = 2,    ///< zero-order hold (e.g. a gripper command)
};

/// Number of output steps covering the same horizon: round(H * src_dt / dst_dt).
std::size_t resampled_length(std::size_t H, double src_dt, double dst_dt);

/// chunk (H, A): element h is the value at time (h + 1) * src_dt. out (M, A) at times
/// (m + 1) * dst_dt with M = resampled_length. start (A) is the value at time 0 for Linear
/// dimensions (null: chunk[0]). One sample; batch with parallel_for in the caller.
Status resample(const double* chunk, std::size_t H, std::size_t A, double src_dt, double dst_dt,
                const Resample* modes, const double* start, double* out);

}  // namespace graspvla::flow
