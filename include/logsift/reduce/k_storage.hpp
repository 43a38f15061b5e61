// The storage of k-anonymity classes (k_anonymity.hpp), shared by the counting and sealing
// (k_anonymity.cpp) and the deciding (k_decide.cpp). A day's log holds millions of classes, most
// of one address, read at random a few times per log line: so a class is 48 bytes, classes lie
// in 2 MiB pieces backed by huge pages that never move, and the slots that find them are 8
// bytes each, in a few shards with a spin lock each for the threads that count.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "logsift/base/memory.hpp"
#include "logsift/reduce/k_chain.hpp"

namespace logsift {

// Where a class is in its KStore; valid until KStore::clear.
using KClassRef = std::uint32_t;
inline constexpr KClassRef k_no_class = UINT32_MAX;

// A class's key: a seeded 128-bit hash of its period and its six values.
struct KKey {
    std::uint64_t low = 0, high = 0;
    std::int32_t period = 0;
};

// Marks a class merged into another while levels are decided (its tokens then name that one).
inline constexpr std::uint8_t k_merged = 0xFF;

struct KClass {
    std::uint64_t hash;                              // the key's low half
    std::array<std::uint32_t, qi_part_count> parts;  // numbers in QiValues
    std::int32_t period;
    std::uint16_t count;       // distinct addresses, up to k
    std::uint8_t level;        // once decided; k_suppressed until then
    std::uint8_t tokens_log2;  // 0: the one token inline; n: a block of 2^n; or k_merged
    std::uint64_t tokens;      // the token, the block's offset in the shard's pool, or a class
};
static_assert(sizeof(KClass) == 48, "a class is 48 bytes: there are millions");

// Blocks of 2, 4, ... 1024 tokens (k_anonymity_max - 1 fits), with a free list per size.
class KTokenPool {
  public:
    std::uint64_t allocate(unsigned log2);
    void release(std::uint64_t offset, unsigned log2) {
        free_[log2].push_back(static_cast<std::uint32_t>(offset));
    }
    std::uint64_t* at(std::uint64_t offset) { return tokens_.data() + offset; }
    const std::uint64_t* at(std::uint64_t offset) const { return tokens_.data() + offset; }
    void clear();

  private:
    std::vector<std::uint64_t> tokens_;
    std::array<std::vector<std::uint32_t>, 11> free_;
};

// Held for a few dozen nanoseconds at a time: spinning costs less than sleeping.
class KSpinLock {
  public:
    void lock();
    void unlock() { locked_.store(false, std::memory_order_release); }

  private:
    std::atomic<bool> locked_{false};
};

// The classes, numbered from 0 in the order they were added, in pieces of 2 MiB (the first of
// them in ordinary pages, so that a small run stays small).
class KClassArena {
  public:
    static constexpr std::size_t piece_classes = (std::size_t{2} << 20) / sizeof(KClass);
    KClassArena();
    KClassRef add();  // thread-safe
    KClass& at(KClassRef ref) const {
        return pieces_[ref / piece_classes].load(std::memory_order_acquire)[ref % piece_classes];
    }
    std::uint32_t size() const { return size_.load(std::memory_order_acquire); }

  private:
    static constexpr std::size_t max_pieces = (std::size_t{1} << 32) / piece_classes + 1;
    std::atomic<std::uint32_t> size_{0};
    std::unique_ptr<std::atomic<KClass*>[]> pieces_;
    std::mutex lock_;
    std::vector<MappedMemory> memory_;
};

// Where each class is found by its key. Before sealing a slot is (key high >> 32) << 32 | the
// class's number; once sealed, (key high >> 32) << 32 | 28 more bits of the key low << 4 | the
// level, so that the classes themselves can go.
struct KShard {
    static constexpr std::uint64_t empty = ~std::uint64_t{0};
    KSpinLock lock;
    MappedMemory memory;
    std::uint64_t* slots = nullptr;
    std::size_t slot_count = 0;  // a power of two, or 0
    std::size_t size = 0;
    KTokenPool pool;
    // Where the slots are, for threads that only prefetch them without the lock: a stale
    // answer costs a useless prefetch (which never faults), no more.
    std::atomic<const std::uint64_t*> hint_slots{nullptr};
    std::atomic<std::size_t> hint_mask{0};

    std::size_t mask() const { return slot_count - 1; }
    // Twice the slots (at three quarters full), placed again by their classes' hashes.
    void grow(const KClassArena& arena);
};

struct KStore {
    static constexpr unsigned shard_bits = 3;
    static constexpr std::size_t shard_count = std::size_t{1} << shard_bits;
    KClassArena arena;
    std::array<KShard, shard_count> shards;
    bool sealed = false;

    // The shard of a key: its low half's top bits (its lowest pick the slot).
    static std::size_t shard_of(std::uint64_t low) { return low >> (64 - shard_bits); }
    KShard& shard(const KClass& found) { return shards[shard_of(found.hash)]; }
    const KShard& shard(const KClass& found) const { return shards[shard_of(found.hash)]; }
    // The tokens of a class that holds some (not merged, below k).
    const std::uint64_t* tokens(const KClass& found) const {
        return found.tokens_log2 == 0 ? &found.tokens : shard(found).pool.at(found.tokens);
    }
};

// Gives every class of store its level (k_anonymity.hpp says how); merged classes take their
// group's. values' forms must have been computed. On up to threads threads.
void decide_levels(KStore& store, const QiValues& values, unsigned k, std::uint64_t seed,
                   unsigned threads);

// Runs work(thread, begin, end) over [0, size) cut in one piece per thread (pieces of at least
// grain), the calling thread doing the first; an exception in any is thrown on once all ended.
template <typename Work>
void k_in_parallel(unsigned threads, std::size_t size, std::size_t grain, Work&& work) {
    threads = static_cast<unsigned>(
        std::clamp<std::size_t>(size / std::max<std::size_t>(grain, 1), 1, std::max(threads, 1u)));
    const std::size_t step = (size + threads - 1) / threads;
    std::vector<std::thread> others;
    std::vector<std::exception_ptr> failures(threads);
    auto run = [&](unsigned thread) {
        try {
            const std::size_t begin = std::min(size, thread * step);
            work(thread, begin, std::min(size, begin + step));
        } catch (...) {
            failures[thread] = std::current_exception();
        }
    };
    for (unsigned thread = 1; thread < threads; ++thread)
        others.emplace_back(run, thread);
    run(0);
    for (std::thread& other : others)
        other.join();
    for (const std::exception_ptr& failure : failures) {
        if (failure) std::rethrow_exception(failure);
    }
}

}  // namespace logsift
