#include "simulators/pilesim/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace chargelock::pilesim {

std::size_t LatencyHistogram::bucket_of(std::uint64_t value) {
  if (value < kSub) return static_cast<std::size_t>(value);
  int msb = 63;
  while ((value >> msb) == 0) --msb;  // msb >= kSubBits here
  const int shift = msb - kSubBits;
  const std::uint64_t sub = (value >> shift) - kSub;  // 0..63
  return kSub + static_cast<std::size_t>(shift) * kSub + static_cast<std::size_t>(sub);
}

std::uint64_t LatencyHistogram::bucket_upper(std::size_t bucket) {
  if (bucket < kSub) return bucket;
  const std::size_t shift = (bucket - kSub) / kSub;
  const std::uint64_t sub = (bucket - kSub) % kSub;
  const std::uint64_t lower = (kSub + sub) << shift;
  return lower + ((std::uint64_t{1} << shift) - 1);
}

void LatencyHistogram::record(std::int64_t us) {
  if (us < 0) us = 0;
  ++counts_[bucket_of(static_cast<std::uint64_t>(us))];
  if (count_ == 0 || us < min_) min_ = us;
  max_ = std::max(max_, us);
  ++count_;
  sum_ += us;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / static_cast<long double>(count_));
}

std::int64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const auto upper = static_cast<std::int64_t>(bucket_upper(i));
      return std::max(min_, std::min(upper, max_));
    }
  }
  return max_;
}

}  // namespace chargelock::pilesim
