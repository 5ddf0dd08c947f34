// Latency histogram with a bounded relative error, for the round-trip load
// mode (flood.h). Values are microseconds. Below 64 µs every value has its
// own bucket; above, each power of two [2^k, 2^(k+1)) is split into 64 equal
// buckets, so a percentile read back is at most 1/64 (1.6 %) above the true
// value. Fixed size (3,776 counters), no allocation while recording.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace chargelock::pilesim {

class LatencyHistogram {
 public:
  void record(std::int64_t us);  // negative values count as 0
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  std::int64_t min() const { return count_ == 0 ? 0 : min_; }
  std::int64_t max() const { return max_; }
  double mean() const;
  // The value at quantile q (0 < q <= 1): the smallest recorded value v such
  // that at least q of all values are <= v, to the bucket's resolution (the
  // bucket's upper end, never above max()). 0 when empty.
  std::int64_t percentile(double q) const;

  // Bucket arithmetic, public for the tests.
  static constexpr int kSubBits = 6;
  static constexpr std::size_t kSub = std::size_t{1} << kSubBits;  // 64
  static constexpr std::size_t kBuckets = kSub + (64 - kSubBits) * kSub;
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_upper(std::size_t bucket);  // largest value in it

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  long double sum_ = 0;
  std::int64_t min_ = 0;
  std::int64_t max_ = 0;
};

}  // namespace chargelock::pilesim
