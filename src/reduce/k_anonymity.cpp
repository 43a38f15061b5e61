// k-anonymity classes. A log of a day holds millions of classes, most of one address, so a class
// is 48 bytes: a 64-bit hash of its key, the numbers of its six values, its period, and the
// token of its one address inline; a class of 2 to K-1 addresses keeps its tokens in a block of
// its shard's pool, given back once K is reached (the class then needs no token any more).
// Classes are found by a seeded 128-bit hash of (period, six values): 64 bits in the class, 32
// in the slot and 6 choosing the shard must all match, so two keys are taken for one about once
// in 2^50 runs of a million classes, and no one who cannot read the seed can aim for it.
// Shards have a lock each: the workers of a threaded run rarely meet on one.
#include "logsift/reduce/k_anonymity.hpp"

#include <sodium.h>
// The streaming state's layout, for keys too long for the stack buffer (no allocation).
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "logsift/base/timestamp.hpp"

namespace logsift {
namespace {

constexpr unsigned shard_bits = 6;
constexpr std::uint32_t shard_count = 1u << shard_bits;
constexpr unsigned index_bits = 32 - shard_bits;
constexpr unsigned block_bits = 12;  // classes per block: 4096, 192 KiB
constexpr std::uint64_t empty_slot = ~std::uint64_t{0};
constexpr std::uint32_t empty_index = 0xFFFFFFFF;

// Blocks of 2, 4, ... tokens (up to 1024 >= k_anonymity_max - 1), with a free list per size.
class TokenPool {
  public:
    std::uint64_t allocate(unsigned log2) {
        std::vector<std::uint32_t>& free = free_[log2];
        if (!free.empty()) {
            const std::uint32_t offset = free.back();
            free.pop_back();
            return offset;
        }
        const std::size_t offset = tokens_.size();
        if (offset + (std::size_t{1} << log2) > UINT32_MAX) throw std::length_error("k tokens");
        tokens_.resize(offset + (std::size_t{1} << log2));
        return offset;
    }
    void release(std::uint64_t offset, unsigned log2) {
        free_[log2].push_back(static_cast<std::uint32_t>(offset));
    }
    std::uint64_t* at(std::uint64_t offset) { return tokens_.data() + offset; }
    const std::uint64_t* at(std::uint64_t offset) const { return tokens_.data() + offset; }
    void clear() {
        std::vector<std::uint64_t>().swap(tokens_);
        for (std::vector<std::uint32_t>& free : free_)
            std::vector<std::uint32_t>().swap(free);
    }

  private:
    std::vector<std::uint64_t> tokens_;
    std::array<std::vector<std::uint32_t>, 11> free_;
};

std::int32_t clamp_period(std::int64_t period) {
    return static_cast<std::int32_t>(
        std::clamp<std::int64_t>(period, INT32_MIN + std::int64_t{1}, INT32_MAX));
}

}  // namespace

std::string_view k_period_name(KPeriod period) {
    switch (period) {
        case KPeriod::day:
            return "day";
        case KPeriod::hour:
            return "hour";
        case KPeriod::all:
            return "all";
    }
    return {};
}

std::int32_t k_period_of(const Record& record, const KSettings& settings) {
    if (settings.period == KPeriod::all) return 0;
    if (!record.logged_time) return k_no_period;
    const Timestamp& time = *record.logged_time;
    const std::int64_t local =
        time.seconds + (settings.utc ? 0 : std::int64_t{time.offset_minutes} * 60);
    return clamp_period(floor_div(local, settings.period == KPeriod::day ? 86400 : 3600));
}

KTally& KTally::operator+=(const KTally& other) {
    records += other.records;
    suppressed += other.suppressed;
    unknown += other.unknown;
    network_kept += other.network_kept;
    version_kept += other.version_kept;
    for (std::size_t level = 0; level < at_level.size(); ++level)
        at_level[level] += other.at_level[level];
    return *this;
}

struct KClasses::Class {
    std::uint64_t hash;  // the key hash's low half
    std::array<std::uint32_t, qi_part_count> parts;
    std::int32_t period;
    std::uint16_t count;    // distinct addresses, up to k
    std::uint8_t level;     // once decided
    std::uint8_t capacity;  // log2 of the token block; 0: the one token inline
    std::uint64_t tokens;   // the one token, or the block's offset in the pool
};

struct KClasses::Shard {
    std::mutex lock;
    std::vector<std::uint64_t> slots;  // (key high >> 32) << 32 | index, or empty_slot
    std::vector<std::unique_ptr<Class[]>> blocks;
    std::uint32_t size = 0;
    TokenPool pool;

    Class& at(std::uint32_t index) const {
        return blocks[index >> block_bits][index & ((1u << block_bits) - 1)];
    }
    std::uint32_t find(const Key& key) const {
        if (slots.empty()) return empty_index;
        const std::size_t mask = slots.size() - 1;
        const auto tag = static_cast<std::uint32_t>(key.high >> 32);
        for (std::size_t i = key.low & mask;; i = (i + 1) & mask) {
            const std::uint64_t slot = slots[i];
            if (slot == empty_slot) return empty_index;
            const auto index = static_cast<std::uint32_t>(slot);
            if (static_cast<std::uint32_t>(slot >> 32) == tag && at(index).hash == key.low)
                return index;
        }
    }
    void insert_slot(std::uint64_t low, std::uint32_t tag, std::uint32_t index) {
        const std::size_t mask = slots.size() - 1;
        std::size_t i = low & mask;
        while (slots[i] != empty_slot)
            i = (i + 1) & mask;
        slots[i] = std::uint64_t{tag} << 32 | index;
    }
    // Doubles the slots at three quarters full. The slots keep the tag, the classes the rest.
    void grow() {
        std::vector<std::uint64_t> old(std::max<std::size_t>(1024, slots.size() * 2), empty_slot);
        old.swap(slots);
        for (std::uint64_t slot : old) {
            if (slot == empty_slot) continue;
            const auto index = static_cast<std::uint32_t>(slot);
            insert_slot(at(index).hash, static_cast<std::uint32_t>(slot >> 32), index);
        }
    }
    std::uint32_t add(const Key& key) {
        if ((std::size_t{size} + 1) * 4 > slots.size() * 3) grow();
        if (size >= (1u << index_bits)) throw std::length_error("too many k-anonymity classes");
        if ((size >> block_bits) == blocks.size())
            blocks.push_back(std::make_unique_for_overwrite<Class[]>(1u << block_bits));
        const std::uint32_t index = size++;
        insert_slot(key.low, static_cast<std::uint32_t>(key.high >> 32), index);
        return index;
    }
    // One more address for the class, unless it has k already: its tokens are no longer kept
    // once it does.
    void add_token(Class& found, std::uint64_t token, unsigned k) {
        if (found.count >= k) return;
        const std::uint64_t* held = found.capacity == 0 ? &found.tokens : pool.at(found.tokens);
        for (std::uint16_t i = 0; i < found.count; ++i) {
            if (held[i] == token) return;
        }
        if (found.count + 1u >= k) {
            if (found.capacity != 0) pool.release(found.tokens, found.capacity);
            found.capacity = 0;
            found.tokens = 0;
            found.count = static_cast<std::uint16_t>(k);
            return;
        }
        if (found.capacity == 0 || found.count == (1u << found.capacity)) {
            const unsigned log2 = found.capacity + 1u;
            const std::uint64_t offset = pool.allocate(log2);
            std::uint64_t* block = pool.at(offset);
            if (found.capacity == 0) {
                block[0] = found.tokens;
            } else {
                std::memcpy(block, pool.at(found.tokens), found.count * sizeof(std::uint64_t));
                pool.release(found.tokens, found.capacity);
            }
            found.tokens = offset;
            found.capacity = static_cast<std::uint8_t>(log2);
        }
        pool.at(found.tokens)[found.count++] = token;
    }
    // The tokens of a class below k.
    const std::uint64_t* tokens(const Class& found) const {
        return found.capacity == 0 ? &found.tokens : pool.at(found.tokens);
    }
};

KClasses::KClasses(const KSettings& settings) : settings_(settings) {
    static_assert(sizeof(Class) == 48, "a class is 48 bytes: there are millions");
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
    randombytes_buf(&seed_, sizeof seed_);
    for (std::uint32_t i = 0; i < shard_count; ++i)
        shards_.push_back(std::make_unique<Shard>());
}

KClasses::~KClasses() = default;

KClasses::Key KClasses::key_of(const Record& record) const {
    Key key;
    key.period = k_period_of(record, settings_);
    // Each value with its length before it, so that no two keys write the same bytes.
    char buffer[2048];
    std::size_t size = 0;
    std::memcpy(buffer, &key.period, sizeof key.period);
    size += sizeof key.period;
    bool fits = true;
    for (std::size_t part = 0; part < qi_part_count && fits; ++part) {
        const std::string_view value = qi_value(record, static_cast<QiPart>(part));
        const auto length = static_cast<std::uint32_t>(value.size());
        if (size + sizeof length + value.size() > sizeof buffer) {
            fits = false;
            break;
        }
        std::memcpy(buffer + size, &length, sizeof length);
        size += sizeof length;
        if (!value.empty()) std::memcpy(buffer + size, value.data(), value.size());
        size += value.size();
    }
    XXH128_hash_t hash;
    if (fits) {
        hash = XXH3_128bits_withSeed(buffer, size, seed_);
    } else {
        // Values this long are rare (agents of a few hundred bytes): hashed piece by piece.
        XXH3_state_t state;
        XXH3_128bits_reset_withSeed(&state, seed_);
        XXH3_128bits_update(&state, &key.period, sizeof key.period);
        for (std::size_t part = 0; part < qi_part_count; ++part) {
            const std::string_view value = qi_value(record, static_cast<QiPart>(part));
            const auto length = static_cast<std::uint32_t>(value.size());
            XXH3_128bits_update(&state, &length, sizeof length);
            XXH3_128bits_update(&state, value.data(), value.size());
        }
        hash = XXH3_128bits_digest(&state);
    }
    key.low = hash.low64;
    key.high = hash.high64;
    return key;
}

KClassRef KClasses::count(const Record& record) {
    const Key key = key_of(record);
    const std::uint64_t token = record.client ? record.client->k_anonymity : 0;
    const std::uint32_t shard_index = static_cast<std::uint32_t>(key.high) & (shard_count - 1);
    Shard& shard = *shards_[shard_index];
    std::lock_guard hold(shard.lock);
    std::uint32_t index = shard.find(key);
    if (index != empty_index) {
        shard.add_token(shard.at(index), token, settings_.k);
    } else {
        index = shard.add(key);
        Class& added = shard.at(index);
        added.hash = key.low;
        for (std::size_t part = 0; part < qi_part_count; ++part) {
            const auto which = static_cast<QiPart>(part);
            added.parts[part] = values_.number(which, qi_value(record, which));
        }
        added.period = key.period;
        added.count = 1;
        added.level = k_suppressed;
        added.capacity = 0;
        added.tokens = token;
        if (settings_.k <= 1) added.tokens = 0;
    }
    return shard_index << index_bits | index;
}

KClasses::Class& KClasses::at(KClassRef ref) const {
    return shards_[ref >> index_bits]->at(ref & ((1u << index_bits) - 1));
}

const KClasses::Class* KClasses::find(const Key& key) const {
    const Shard& shard = *shards_[static_cast<std::uint32_t>(key.high) & (shard_count - 1)];
    const std::uint32_t index = shard.find(key);
    return index == empty_index ? nullptr : &shard.at(index);
}

// A class left at some level: where it is, and the hash of its key at that level.
struct KClasses::Entry {
    std::uint64_t hash;
    KClassRef ref;
};

void KClasses::decide() {
    values_.compute_forms();
    std::vector<Entry> left;
    for (std::uint32_t s = 0; s < shard_count; ++s) {
        const Shard& shard = *shards_[s];
        for (std::uint32_t index = 0; index < shard.size; ++index) {
            Class& each = shard.at(index);
            if (each.count >= settings_.k) {
                each.level = 0;
            } else {
                each.level = k_suppressed;
                left.push_back({0, s << index_bits | index});
            }
        }
    }
    for (std::uint8_t level = 1; level <= k_top_level && !left.empty(); ++level)
        decide_level(left, level);
    // What is still left stays suppressed. No decision needs a token any more.
    for (const std::unique_ptr<Shard>& shard : shards_)
        shard->pool.clear();
}

void KClasses::decide_level(std::vector<Entry>& entries, std::uint8_t level) {
    // The key of a class at a level: its period and the numbers of its six values there.
    using LevelKey = std::array<std::uint32_t, qi_part_count + 1>;
    auto key_at = [&](const Class& each) {
        LevelKey key;
        key[0] = static_cast<std::uint32_t>(each.period);
        for (std::size_t part = 0; part < qi_part_count; ++part)
            key[part + 1] = values_.at_level(static_cast<QiPart>(part), each.parts[part], level);
        return key;
    };
    for (Entry& entry : entries) {
        const LevelKey key = key_at(at(entry.ref));
        entry.hash = XXH3_64bits_withSeed(key.data(), sizeof key, seed_);
    }
    // Sorted by hash, the classes that share a key at this level lie side by side. Keys that
    // only share a hash are told apart below, so a collision costs time, never privacy.
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.ref < b.ref;
    });
    std::vector<std::uint64_t> seen;
    std::size_t kept = 0;  // entries still left, moved to the front
    auto decide_group = [&](auto begin, auto end) {
        seen.clear();
        for (auto it = begin; it != end && seen.size() < settings_.k; ++it) {
            const Class& each = at(it->ref);
            const std::uint64_t* tokens = shards_[it->ref >> index_bits]->tokens(each);
            for (std::uint16_t i = 0; i < each.count && seen.size() < settings_.k; ++i) {
                if (std::find(seen.begin(), seen.end(), tokens[i]) == seen.end())
                    seen.push_back(tokens[i]);
            }
        }
        for (auto it = begin; it != end; ++it) {
            if (seen.size() >= settings_.k) {
                at(it->ref).level = level;
            } else {
                entries[kept++] = *it;
            }
        }
    };
    for (std::size_t start = 0; start < entries.size();) {
        std::size_t end = start + 1;
        bool same = true;
        const LevelKey first = key_at(at(entries[start].ref));
        while (end < entries.size() && entries[end].hash == entries[start].hash) {
            same = same && key_at(at(entries[end].ref)) == first;
            ++end;
        }
        if (same) {
            decide_group(entries.begin() + start, entries.begin() + end);
        } else {
            // A collision: the run, sorted by the keys themselves, in groups.
            std::vector<Entry> run(entries.begin() + start, entries.begin() + end);
            std::sort(run.begin(), run.end(), [&](const Entry& a, const Entry& b) {
                return key_at(at(a.ref)) < key_at(at(b.ref));
            });
            for (std::size_t group = 0; group < run.size();) {
                std::size_t group_end = group + 1;
                while (group_end < run.size() &&
                       key_at(at(run[group_end].ref)) == key_at(at(run[group].ref))) {
                    ++group_end;
                }
                decide_group(run.begin() + group, run.begin() + group_end);
                group = group_end;
            }
        }
        start = end;
    }
    entries.resize(kept);
}

bool KClasses::print_as(const Class& found, Record& record, KTally& tally, bool fill) const {
    ++tally.records;
    const std::uint8_t level = found.level;
    if (level > k_top_level) {
        ++tally.suppressed;
        return false;
    }
    ++tally.at_level[level];
    if (level == 0 && !fill) {
        ++tally.network_kept;
        ++tally.version_kept;
        return true;
    }
    for (std::size_t part = 0; part < qi_part_count; ++part) {
        const auto which = static_cast<QiPart>(part);
        const std::uint32_t value = values_.at_level(which, found.parts[part], level);
        set_qi_value(record, which, values_.text(which, value));
    }
    auto kept = [&](QiPart which) {
        const std::uint32_t value = found.parts[static_cast<std::size_t>(which)];
        return values_.at_level(which, value, level) == value;
    };
    tally.network_kept += kept(QiPart::network);
    tally.version_kept += kept(QiPart::agent_version);
    return true;
}

bool KClasses::generalize(Record& record, KTally& tally) const {
    const Class* found = find(key_of(record));
    if (!found) {
        ++tally.records;
        ++tally.suppressed;
        ++tally.unknown;
        return false;
    }
    return print_as(*found, record, tally, false);
}

bool KClasses::generalize(KClassRef ref, Record& record, KTally& tally) const {
    return print_as(at(ref), record, tally, true);
}

std::size_t KClasses::classes() const {
    std::size_t total = 0;
    for (const std::unique_ptr<Shard>& shard : shards_)
        total += shard->size;
    return total;
}

void KClasses::clear() {
    for (std::unique_ptr<Shard>& shard : shards_)
        shard = std::make_unique<Shard>();
    values_.clear();
}

}  // namespace logsift
