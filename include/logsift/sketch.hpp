// Sketch: distinct counting that merges across files, days and servers. Small sets are kept
// exactly (as 64-bit hashes); past a threshold they become a HyperLogLog whose registers merge
// by maximum, so merging in any order or grouping gives the same state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logsift {

// A stable 64-bit hash (XXH3, seed 0): the same on every machine and in every release, since
// summaries made on different servers must agree.
std::uint64_t stable_hash(std::string_view bytes);

class DistinctCounter {
  public:
    // Exact below this many distinct hashes (8 bytes each); HyperLogLog at and above it.
    static constexpr std::size_t exact_limit = 128;
    // 2^12 one-byte registers: standard error 1.04 / sqrt(4096) = 1.6 %.
    static constexpr unsigned precision = 12;

    void add(std::uint64_t hash);
    void merge(const DistinctCounter& other);
    // Exact while exact; otherwise the HyperLogLog estimate (with the small-range correction).
    std::uint64_t estimate() const;
    bool is_exact() const { return !registers_; }

    // A compact, versioned text form for JSON summaries: "e:" + base64 of the sorted hashes
    // (little-endian), or "h:" + base64 of the registers. deserialize rejects anything
    // malformed (wrong prefix, bad base64, wrong length, unsorted or duplicate hashes,
    // register values out of range) with nullopt.
    std::string serialize() const;
    static std::optional<DistinctCounter> deserialize(std::string_view text);

    bool operator==(const DistinctCounter& other) const;

  private:
    void promote();                     // exact set -> registers
    std::vector<std::uint64_t> exact_;  // sorted, unique, while exact
    std::unique_ptr<std::array<std::uint8_t, (1u << precision)>> registers_;

  public:
    DistinctCounter() = default;
    DistinctCounter(const DistinctCounter& other);
    DistinctCounter& operator=(const DistinctCounter& other);
    DistinctCounter(DistinctCounter&&) noexcept = default;
    DistinctCounter& operator=(DistinctCounter&&) noexcept = default;
};

}  // namespace logsift
