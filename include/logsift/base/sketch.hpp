// Sketch: distinct counting that merges across files, days and servers. Small sets are kept
// exactly (as 64-bit hashes); past a threshold they become a HyperLogLog whose registers merge
// by maximum, so merging in any order or grouping gives the same state.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
    // A HyperLogLog with at most this many nonzero registers keeps them as sorted 4-byte
    // (index, rank) pairs; past it, as the dense 4 KiB array. Most rows that outgrow the exact
    // set stay a few hundred clients, and the representation is a function of the registers
    // alone, so equal states are still equal bytes.
    static constexpr std::size_t sparse_limit = 512;

    void add(std::uint64_t hash) {
        // The rows of the small dimensions take most adds, as dense registers: no call.
        if (kind_ == Kind::dense) {
            std::uint8_t& value = (*dense_)[register_index(hash)];
            value = std::max(value, register_rank(hash));
        } else {
            add_sparse_or_exact(hash);
        }
    }
    // Starts loading what add(hash) will read: the register, or the place in the sorted set
    // where its search starts. A row's registers are 4 KiB, and a line adds its client to
    // several rows' counters, most of them out of cache; loading them side by side overlaps
    // the misses.
    void prefetch(std::uint64_t hash) const {
        if (kind_ == Kind::dense) {
            __builtin_prefetch(dense_->data() + register_index(hash));
        } else if (kind_ == Kind::sparse) {
            __builtin_prefetch(pairs_ + guess(register_index(hash) << (32 - precision), size_));
        } else if (size_ > inline_capacity) {
            __builtin_prefetch(hashes_ + guess(static_cast<std::uint32_t>(hash >> 32), size_));
        }
    }
    void merge(const DistinctCounter& other);
    // Exact while exact; otherwise the HyperLogLog estimate (with the small-range correction).
    std::uint64_t estimate() const;
    // A count the true one is at least, with high confidence, from this counter's estimate()
    // (which costs a pass over the registers, so the caller passes the one it has): exact
    // while exact; otherwise the estimate less three times the sketch's largest relative
    // standard error (3 %, met between 10 000 and 20 000 clients), a one-sided bound that a
    // normal error exceeds once in about 700. Thresholds (--min-clients) compare this, never
    // the estimate.
    std::uint64_t lower_bound(std::uint64_t estimate) const;
    static constexpr double largest_standard_error = 0.03;
    bool is_exact() const { return kind_ == Kind::exact; }

    // A compact, versioned text form for JSON summaries: "e:" + base64 of the sorted hashes
    // (little-endian), or "h:" + base64 of the registers. deserialize rejects anything
    // malformed (wrong prefix, bad base64, wrong length, unsorted or duplicate hashes,
    // register values out of range) with nullopt.
    std::string serialize() const;
    static std::optional<DistinctCounter> deserialize(std::string_view text);
    // The state as it is in memory, for the temporary files of spilled rows (aggregate.hpp):
    // read back by the process that wrote it, so not portable, and cheaper than the text form.
    void append_raw(std::string& out) const;
    // Reads what append_raw wrote at the start of bytes and moves bytes past it; nullopt when
    // bytes does not start with a whole state.
    static std::optional<DistinctCounter> read_raw(std::string_view& bytes);

    bool operator==(const DistinctCounter& other) const;

    DistinctCounter() = default;
    DistinctCounter(const DistinctCounter& other);
    DistinctCounter& operator=(const DistinctCounter& other);
    DistinctCounter(DistinctCounter&& other) noexcept;
    DistinctCounter& operator=(DistinctCounter&& other) noexcept;
    ~DistinctCounter();

  private:
    using Registers = std::array<std::uint8_t, std::size_t{1} << precision>;
    enum class Kind : std::uint8_t { exact, sparse, dense };
    // Most rows of a large table (one per network) see one or two clients: those hashes live
    // in the counter itself, with no heap block.
    static constexpr std::uint32_t inline_capacity = 2;

    std::uint64_t* exact_data() { return size_ <= inline_capacity ? inline_ : hashes_; }
    const std::uint64_t* exact_data() const { return size_ <= inline_capacity ? inline_ : hashes_; }
    // The sets are sorted, and what they sort by (hashes, or register indexes taken from them)
    // is spread evenly over its range: a value's place is about its share of the range, given
    // by its top 32 bits. The searches start there and walk a few places, where a binary search
    // would jump about the whole set.
    static std::uint32_t guess(std::uint32_t top_bits, std::uint32_t size) {
        return static_cast<std::uint32_t>(std::uint64_t{top_bits} * size >> 32);
    }
    template <typename T>
    static T* find_place(T* first, std::uint32_t size, T value, std::uint32_t top_bits) {
        if (size == 0) return first;
        T* at = first + guess(top_bits, size);
        T* const last = first + size;
        if (*at < value) {
            do {
                ++at;
            } while (at != last && *at < value);
        } else {
            while (at != first && !(at[-1] < value))
                --at;
        }
        return at;
    }
    static std::uint32_t register_index(std::uint64_t hash) {
        return static_cast<std::uint32_t>(hash >> (64 - precision));
    }
    // The position of the first set bit after the index bits. The bit below the remaining 52
    // caps the rank of an all-zero remainder at 53, within what those bits can say.
    static std::uint8_t register_rank(std::uint64_t hash) {
        const std::uint64_t rest = hash << precision | std::uint64_t{1} << (precision - 1);
        return static_cast<std::uint8_t>(std::countl_zero(rest) + 1);
    }
    void add_sparse_or_exact(std::uint64_t hash);
    void add_exact(std::uint64_t hash);
    void update(std::uint32_t index, std::uint8_t rank);
    void update(std::uint64_t hash);
    // Exact hashes -> registers; the hashes may be this counter's own.
    void promote(const std::uint64_t* first, const std::uint64_t* last);
    void set_registers(const Registers& registers);
    Registers registers() const;
    void release();
    void take(DistinctCounter& other) noexcept;

    // Heap blocks are sized from size_ alone, so no capacity is stored:
    // exact hashes past the inline ones, sorted; sparse pairs (index << 8 | rank), sorted; or
    // the dense registers.
    union {
        std::uint64_t inline_[inline_capacity] = {};
        std::uint64_t* hashes_;
        std::uint32_t* pairs_;
        Registers* dense_;
    };
    std::uint32_t size_ = 0;  // exact hashes, or sparse pairs
    Kind kind_ = Kind::exact;
};

}  // namespace logsift
