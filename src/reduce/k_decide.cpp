// Deciding levels. A class K addresses share is printed at level 0. The others are left over,
// and each level groups what is left by its key at that level; a group K addresses share is
// printed there, the rest is left for the next level. Since a key at one level is a function of
// the key at the level before (each step of the chain only coarsens), a group of leftovers is a
// union of groups of the level before, so each group is kept as one class standing for it (its
// "representative", the class with the lowest number) holding the group's tokens; the others
// point at it. Most groups have one member and cost a hash and a place in a sort per level, and
// no visit to their class; only groups of several are looked at. Classes are numbered in the
// order they came, so sorting by number visits memory in order.
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "logsift/reduce/k_anonymity.hpp"

namespace logsift {
namespace {

// A class left over at a level: its key's hash there (low half, and 32 bits of the high half
// above its number), so that sorting puts a group's members together, lowest number first.
struct Entry {
    std::uint64_t low;
    std::uint64_t high_ref;
    KClassRef ref() const { return static_cast<KClassRef>(high_ref); }
    bool same_group(const Entry& other) const {
        return low == other.low && (high_ref >> 32) == (other.high_ref >> 32);
    }
    bool operator<(const Entry& other) const {
        return low != other.low ? low < other.low : high_ref < other.high_ref;
    }
};

Entry entry_at(const KClass& found, KClassRef ref, const QiValues& values, unsigned level,
               std::uint64_t seed) {
    std::array<std::uint32_t, qi_part_count + 1> key;
    key[0] = static_cast<std::uint32_t>(found.period);
    for (std::size_t part = 0; part < qi_part_count; ++part)
        key[part + 1] = values.at_level(static_cast<QiPart>(part), found.parts[part], level);
    const XXH128_hash_t hash = XXH3_128bits_withSeed(key.data(), sizeof key, seed);
    return {hash.low64, (hash.high64 >> 32) << 32 | ref};
}

// Puts entries in 256 buckets by the 8 bits of their hash below shift, in place (each entry
// swapped straight into its bucket: 256 buckets filling at once, which the caches follow);
// returns where each bucket starts, and where the last ends.
std::array<std::size_t, 257> partition(Entry* entries, std::size_t size, unsigned shift) {
    std::array<std::size_t, 257> starts{};
    for (std::size_t i = 0; i < size; ++i)
        ++starts[((entries[i].low >> shift) & 0xFF) + 1];
    for (std::size_t b = 1; b < starts.size(); ++b)
        starts[b] += starts[b - 1];
    std::array<std::size_t, 256> next;
    std::copy_n(starts.begin(), 256, next.begin());
    for (std::size_t b = 0; b < 256; ++b) {
        while (next[b] < starts[b + 1]) {
            Entry entry = entries[next[b]];
            std::size_t home = (entry.low >> shift) & 0xFF;
            while (home != b) {
                std::swap(entry, entries[next[home]++]);
                home = (entry.low >> shift) & 0xFF;
            }
            entries[next[b]++] = entry;
        }
    }
    return starts;
}

// Sorts entries whose hashes share their bits from shift up, so that a group's members lie
// together, lowest number first: 8 bits at a time down to buckets of a few entries (the hash
// is uniform, so two rounds leave a few dozen entries per bucket of a million).
void sort_entries(Entry* begin, Entry* end, unsigned shift) {
    const auto size = static_cast<std::size_t>(end - begin);
    if (size <= 32 || shift < 8) {
        std::sort(begin, end);
        return;
    }
    const std::array<std::size_t, 257> starts = partition(begin, size, shift - 8);
    for (std::size_t b = 0; b < 256; ++b)
        sort_entries(begin + starts[b], begin + starts[b + 1], shift - 8);
}

// Pools are per shard, and threads decide groups with members in any: each use of one is
// under its shard's lock.
void release_tokens(KStore& store, KClass& found) {
    if (found.tokens_log2 != 0 && found.tokens_log2 != k_merged) {
        KShard& shard = store.shard(found);
        std::lock_guard hold(shard.lock);
        shard.pool.release(found.tokens, found.tokens_log2);
    }
    found.tokens_log2 = 0;
    found.tokens = 0;
}

// A group of classes of one key at level, representative first: it takes their tokens (or
// the level, when K addresses share them); the others point at it.
void merge_group(KStore& store, const Entry* begin, const Entry* end, unsigned k,
                 std::uint8_t level, std::vector<std::uint64_t>& seen) {
    seen.clear();
    for (const Entry* it = begin; it != end && seen.size() < k; ++it) {
        KClass& member = store.arena.at(it->ref());
        KShard& shard = store.shard(member);
        std::unique_lock hold(shard.lock, std::defer_lock);
        if (member.tokens_log2 != 0) hold.lock();
        const std::uint64_t* tokens = store.tokens(member);
        for (std::uint16_t i = 0; i < member.count && seen.size() < k; ++i) {
            if (std::find(seen.begin(), seen.end(), tokens[i]) == seen.end())
                seen.push_back(tokens[i]);
        }
    }
    const KClassRef representative = begin->ref();
    KClass& kept = store.arena.at(representative);
    release_tokens(store, kept);
    if (seen.size() >= k) {
        kept.level = level;
        kept.count = static_cast<std::uint16_t>(k);
    } else {
        kept.count = static_cast<std::uint16_t>(seen.size());
        if (seen.size() == 1) {
            kept.tokens = seen.front();
        } else {
            const auto log2 = static_cast<unsigned>(std::bit_width(seen.size() - 1));
            KShard& shard = store.shard(kept);
            std::lock_guard hold(shard.lock);
            kept.tokens = shard.pool.allocate(log2);
            kept.tokens_log2 = static_cast<std::uint8_t>(log2);
            std::memcpy(shard.pool.at(kept.tokens), seen.data(), seen.size() * sizeof seen[0]);
        }
    }
    for (const Entry* it = begin + 1; it != end; ++it) {
        KClass& member = store.arena.at(it->ref());
        release_tokens(store, member);
        member.tokens_log2 = k_merged;
        member.tokens = representative;
    }
}

}  // namespace

void decide_levels(KStore& store, const QiValues& values, unsigned k, std::uint64_t seed,
                   unsigned threads) {
    KClassArena& arena = store.arena;
    const KClassRef classes = arena.size();
    // Keeps, in order, the representatives of the groups still left: each thread its share in
    // place, then the shares moved together.
    auto keep_left = [&](std::vector<KClassRef>& left) {
        std::vector<std::pair<std::size_t, std::size_t>> kept(std::max(threads, 1u));
        k_in_parallel(threads, left.size(), 4096,
                      [&](unsigned thread, std::size_t begin, std::size_t end) {
                          std::size_t out = begin;
                          for (std::size_t i = begin; i < end; ++i) {
                              const KClass& found = arena.at(left[i]);
                              if (found.tokens_log2 != k_merged && found.level == k_suppressed)
                                  left[out++] = left[i];
                          }
                          kept[thread] = {begin, out};
                      });
        std::size_t size = 0;
        for (const auto& [begin, end] : kept) {
            std::copy(left.begin() + static_cast<std::ptrdiff_t>(begin),
                      left.begin() + static_cast<std::ptrdiff_t>(end),
                      left.begin() + static_cast<std::ptrdiff_t>(size));
            size += end - begin;
        }
        left.resize(size);
    };
    k_in_parallel(threads, classes, 4096, [&](unsigned, std::size_t begin, std::size_t end) {
        for (std::size_t ref = begin; ref < end; ++ref) {
            KClass& found = arena.at(static_cast<KClassRef>(ref));
            found.level = found.count >= k ? 0 : k_suppressed;
        }
    });
    std::vector<KClassRef> left(classes);
    for (KClassRef ref = 0; ref < classes; ++ref)
        left[ref] = ref;
    keep_left(left);
    std::vector<Entry> entries;
    for (std::uint8_t level = 1; level <= k_top_level && !left.empty(); ++level) {
        entries.resize(left.size());
        k_in_parallel(
            threads, left.size(), 4096, [&](unsigned, std::size_t begin, std::size_t end) {
                for (std::size_t i = begin; i < end; ++i)
                    entries[i] = entry_at(arena.at(left[i]), left[i], values, level, seed);
            });
        // By the top 8 bits of the hash into buckets, which threads then take one at a time:
        // a group never spans two.
        const std::array<std::size_t, 257> buckets = partition(entries.data(), entries.size(), 56);
        std::atomic<bool> merged{false};
        k_in_parallel(threads, 256, 1, [&](unsigned, std::size_t first, std::size_t last) {
            std::vector<std::uint64_t> seen;
            for (std::size_t b = first; b < last; ++b) {
                Entry* begin = entries.data() + buckets[b];
                Entry* end = entries.data() + buckets[b + 1];
                sort_entries(begin, end, 56);
                for (Entry* start = begin; start < end;) {
                    Entry* stop = start + 1;
                    while (stop < end && stop->same_group(*start))
                        ++stop;
                    if (stop - start > 1) {
                        merge_group(store, start, stop, k, level, seen);
                        merged.store(true, std::memory_order_relaxed);
                    }
                    start = stop;
                }
            }
        });
        // Every group alone, as it was: none reached k.
        if (merged.load()) keep_left(left);
    }
    // A merged class's group has the level of the class the chain of merges ends in, which
    // is not merged: its level is final, and no thread writes it here.
    k_in_parallel(threads, classes, 4096, [&](unsigned, std::size_t begin, std::size_t end) {
        for (std::size_t ref = begin; ref < end; ++ref) {
            KClass& found = arena.at(static_cast<KClassRef>(ref));
            if (found.tokens_log2 != k_merged) continue;
            KClassRef root = static_cast<KClassRef>(found.tokens);
            while (arena.at(root).tokens_log2 == k_merged)
                root = static_cast<KClassRef>(arena.at(root).tokens);
            found.level = arena.at(root).level;
        }
    });
    for (KShard& shard : store.shards)
        shard.pool.clear();
}

}  // namespace logsift
