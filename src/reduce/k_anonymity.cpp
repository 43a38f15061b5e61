// k-anonymity classes: counted by the threads of a run, decided (k_decide.cpp), then either
// sealed for a second reading of files or read back by number for held records. A class is
// found by a seeded 128-bit hash of its key (period and six values): 32 bits of the high half in
// its slot and the 64 of the low half in the class must both match, so two keys of a million
// classes are taken for one about once in 2^57 runs, and no one who cannot read the seed (random
// per run) can aim for it. Sealed, a slot keeps 28 bits of the low half instead of the class's
// number: still 60 bits, besides the slot's place. Tokens stay here, and are dropped once a
// class has k of them, or once levels are decided.
#include "logsift/reduce/k_anonymity.hpp"

#include <sodium.h>
// The streaming state's layout, for keys too long for the stack buffer (no allocation).
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "logsift/base/timestamp.hpp"

namespace logsift {
namespace {

std::int32_t clamp_period(std::int64_t period) {
    return static_cast<std::int32_t>(
        std::clamp<std::int64_t>(period, INT32_MIN + std::int64_t{1}, INT32_MAX));
}

// Sealed slots keep these bits of the key's low half besides the tag: above any slot index's
// and below the shard's.
constexpr unsigned sealed_low_shift = 33;
constexpr std::uint64_t sealed_low_mask = 0x0FFFFFFF;
constexpr std::uint64_t level_mask = 0xF;

std::uint64_t sealed_slot(const KKey& key, std::uint8_t level) {
    return (key.high >> 32) << 32 | ((key.low >> sealed_low_shift) & sealed_low_mask) << 4 | level;
}

void fill_empty(KShard& shard, std::size_t count) {
    shard.memory = MappedMemory(count * sizeof(std::uint64_t), true);
    shard.slots = static_cast<std::uint64_t*>(shard.memory.data());
    shard.slot_count = count;
    std::fill_n(shard.slots, count, KShard::empty);
    shard.hint_slots.store(shard.slots, std::memory_order_relaxed);
    shard.hint_mask.store(count - 1, std::memory_order_relaxed);
}

void insert_slot(KShard& shard, std::uint64_t low, std::uint64_t slot) {
    std::size_t i = low & shard.mask();
    while (shard.slots[i] != KShard::empty)
        i = (i + 1) & shard.mask();
    shard.slots[i] = slot;
}

// The class of key in its shard, or k_no_class (before sealing).
KClassRef find_class(const KShard& shard, const KClassArena& arena, const KKey& key) {
    if (shard.slot_count == 0) return k_no_class;
    const auto tag = static_cast<std::uint32_t>(key.high >> 32);
    for (std::size_t i = key.low & shard.mask();; i = (i + 1) & shard.mask()) {
        const std::uint64_t slot = shard.slots[i];
        if (slot == KShard::empty) return k_no_class;
        const auto ref = static_cast<KClassRef>(slot);
        if (static_cast<std::uint32_t>(slot >> 32) == tag && arena.at(ref).hash == key.low)
            return ref;
    }
}

// Each slot of shard made to hold its class's level instead of its number.
void seal_shard(const KStore& store, KShard& shard) {
    for (std::size_t i = 0; i < shard.slot_count; ++i) {
        std::uint64_t& slot = shard.slots[i];
        if (slot == KShard::empty) continue;
        const KClass& found = store.arena.at(static_cast<KClassRef>(slot));
        KKey key;
        key.low = found.hash;
        key.high = slot;  // the tag is the slot's top half already
        slot = sealed_slot(key, found.level);
    }
    shard.pool.clear();
}

// One more address for the class, unless it has k already: its tokens go once it does.
void add_token(KClass& found, KTokenPool& pool, std::uint64_t token, unsigned k) {
    if (found.count >= k) return;
    const std::uint64_t* held = found.tokens_log2 == 0 ? &found.tokens : pool.at(found.tokens);
    for (std::uint16_t i = 0; i < found.count; ++i) {
        if (held[i] == token) return;
    }
    if (found.count + 1u >= k) {
        if (found.tokens_log2 != 0) pool.release(found.tokens, found.tokens_log2);
        found.tokens_log2 = 0;
        found.tokens = 0;
        found.count = static_cast<std::uint16_t>(k);
        return;
    }
    if (found.tokens_log2 == 0 || found.count == (1u << found.tokens_log2)) {
        const unsigned log2 = found.tokens_log2 + 1u;
        const std::uint64_t offset = pool.allocate(log2);
        std::uint64_t* block = pool.at(offset);
        if (found.tokens_log2 == 0) {
            block[0] = found.tokens;
        } else {
            std::memcpy(block, pool.at(found.tokens), found.count * sizeof(std::uint64_t));
            pool.release(found.tokens, found.tokens_log2);
        }
        found.tokens = offset;
        found.tokens_log2 = static_cast<std::uint8_t>(log2);
    }
    pool.at(found.tokens)[found.count++] = token;
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

std::uint64_t KTokenPool::allocate(unsigned log2) {
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

void KTokenPool::clear() {
    std::vector<std::uint64_t>().swap(tokens_);
    for (std::vector<std::uint32_t>& free : free_)
        std::vector<std::uint32_t>().swap(free);
}

void KSpinLock::lock() {
    for (unsigned spins = 0; locked_.exchange(true, std::memory_order_acquire);) {
        while (locked_.load(std::memory_order_relaxed)) {
            // A holder that was preempted (more threads than cores) is waited for asleep.
            if (++spins > 256) {
                std::this_thread::yield();
            } else {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            }
        }
    }
}

KClassArena::KClassArena() : pieces_(std::make_unique<std::atomic<KClass*>[]>(max_pieces)) {}

KClassRef KClassArena::add() {
    const std::uint32_t ref = size_.fetch_add(1, std::memory_order_acq_rel);
    if (ref == k_no_class) throw std::length_error("too many k-anonymity classes");
    std::atomic<KClass*>& piece = pieces_[ref / piece_classes];
    if (piece.load(std::memory_order_acquire) == nullptr) {
        std::lock_guard hold(lock_);
        if (piece.load(std::memory_order_relaxed) == nullptr) {
            memory_.emplace_back(piece_classes * sizeof(KClass), !memory_.empty());
            piece.store(static_cast<KClass*>(memory_.back().data()), std::memory_order_release);
        }
    }
    return ref;
}

void KShard::grow(const KClassArena& arena) {
    const std::uint64_t* old = slots;
    const std::size_t old_count = slot_count;
    MappedMemory old_memory = std::move(memory);
    fill_empty(*this, std::max<std::size_t>(1024, old_count * 2));
    for (std::size_t i = 0; i < old_count; ++i) {
        if (old[i] != empty)
            insert_slot(*this, arena.at(static_cast<KClassRef>(old[i])).hash, old[i]);
    }
}

std::string_view KForms::form(QiPart part, std::uint8_t form, std::string_view value) {
    if (form == 0 || value.empty()) return value;
    if (part == QiPart::network) {
        // IPv4 networks are widened faster than remembered (widen_network).
        if (value.find(':') == std::string_view::npos)
            return qi_form(part, form, value, network_buffers_[form].data());
        return networks_[form].recall_or(value, [&](std::string_view text) {
            return qi_form(part, form, text, network_buffers_[form].data());
        });
    }
    if (part == QiPart::referrer_host && form == 1) {
        return referrers_.recall_or(value, [&](std::string_view text) {
            return qi_form(part, form, text, referrer_buffer_.data());
        });
    }
    return qi_form(part, form, value, nullptr);  // a constant or a part of value
}

KClasses::KClasses(const KSettings& settings)
    : settings_(settings), store_(std::make_unique<KStore>()) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
    randombytes_buf(&seed_, sizeof seed_);
}

KClasses::~KClasses() = default;

KKey KClasses::key_of(const Record& record) const {
    KKey key;
    key.period = k_period_of(record, settings_);
    // Each value with its length before it, so that no two keys write the same bytes.
    char buffer[1024];
    std::size_t size = 0;
    std::memcpy(buffer, &key.period, sizeof key.period);
    size += sizeof key.period;
    bool fits = true;
    for (std::size_t part = 0; part < qi_part_count && fits; ++part) {
        const std::string_view value = qi_value(record, static_cast<QiPart>(part));
        const auto length = static_cast<std::uint32_t>(value.size());
        fits = size + sizeof length + value.size() <= sizeof buffer;
        if (!fits) break;
        std::memcpy(buffer + size, &length, sizeof length);
        size += sizeof length;
        if (!value.empty()) std::memcpy(buffer + size, value.data(), value.size());
        size += value.size();
    }
    XXH128_hash_t hash;
    if (fits) {
        hash = XXH3_128bits_withSeed(buffer, size, seed_);
    } else {
        // Values this long are rare (agents of hundreds of bytes): hashed piece by piece.
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

KCounter& KClasses::counter() {
    std::lock_guard hold(counters_lock_);
    if (counters_.size() > UINT8_MAX) throw std::length_error("too many k-anonymity counters");
    counters_.push_back(std::make_unique<KCounter>());
    counters_.back()->index_ = static_cast<std::uint8_t>(counters_.size() - 1);
    return *counters_.back();
}

KClassRef KClasses::add_class(KShard& shard, const KKey& key, std::uint64_t token,
                              const std::array<std::string_view, qi_part_count>& values,
                              KCounter& counter) {
    KStore& store = *store_;
    if ((shard.size + 1) * 4 > shard.slot_count * 3) shard.grow(store.arena);
    const KClassRef ref = store.arena.add();
    KClass& added = store.arena.at(ref);
    added.hash = key.low;
    counter.values_.number(values, added.parts);
    added.period = key.period;
    added.count = 1;
    // Until levels are decided, the level says whose numbers the parts are.
    added.level = counter.index_;
    added.tokens_log2 = 0;
    added.tokens = settings_.k <= 1 ? 0 : token;
    insert_slot(shard, key.low, (key.high >> 32) << 32 | ref);
    ++shard.size;
    return ref;
}

KClassRef KClasses::count(const Record& record) {
    if (own_counter_ == nullptr) own_counter_ = &counter();
    const KKey key = key_of(record);
    const std::uint64_t token = record.client ? record.client->k_anonymity : 0;
    KStore& store = *store_;
    KShard& shard = store.shards[KStore::shard_of(key.low)];
    std::lock_guard hold(shard.lock);
    const KClassRef ref = find_class(shard, store.arena, key);
    if (ref != k_no_class) {
        add_token(store.arena.at(ref), shard.pool, token, settings_.k);
        return ref;
    }
    std::array<std::string_view, qi_part_count> values;
    for (std::size_t part = 0; part < qi_part_count; ++part)
        values[part] = qi_value(record, static_cast<QiPart>(part));
    return add_class(shard, key, token, values, *own_counter_);
}

void KClasses::add(const Record& record, KCounter& counter) const {
    if (counter.size_ == 0) counter.text_.clear();
    KCounter::Item& item = counter.items_[counter.size_++];
    item.key = key_of(record);
    item.token = record.client ? record.client->k_anonymity : 0;
    item.start = static_cast<std::uint32_t>(counter.text_.size());
    for (std::size_t part = 0; part < qi_part_count; ++part) {
        const std::string_view value = qi_value(record, static_cast<QiPart>(part));
        item.sizes[part] = static_cast<std::uint32_t>(value.size());
        counter.text_.append(value);
    }
}

void KClasses::flush(KCounter& counter) {
    KStore& store = *store_;
    const std::size_t size = counter.size_;
    // Each slot's line is asked for first; by the time the shard is locked it has come.
    std::array<std::uint8_t, KCounter::capacity> order;
    std::array<std::uint8_t, KStore::shard_count + 1> starts{};
    for (std::size_t i = 0; i < size; ++i) {
        const KKey& key = counter.items_[i].key;
        const KShard& shard = store.shards[KStore::shard_of(key.low)];
        const std::uint64_t* slots = shard.hint_slots.load(std::memory_order_relaxed);
        if (slots)
            __builtin_prefetch(slots + (key.low & shard.hint_mask.load(std::memory_order_relaxed)));
        ++starts[KStore::shard_of(key.low) + 1];
    }
    for (std::size_t s = 0; s < KStore::shard_count; ++s)
        starts[s + 1] += starts[s];
    std::array<std::uint8_t, KStore::shard_count> next;
    std::copy_n(starts.begin(), KStore::shard_count, next.begin());
    for (std::size_t i = 0; i < size; ++i)
        order[next[KStore::shard_of(counter.items_[i].key.low)]++] = static_cast<std::uint8_t>(i);
    std::array<KClassRef, KCounter::capacity> refs;
    for (std::size_t s = 0; s < KStore::shard_count; ++s) {
        if (starts[s] == starts[s + 1]) continue;
        KShard& shard = store.shards[s];
        std::lock_guard hold(shard.lock);
        // The classes' lines in turn, then their tokens.
        for (std::size_t o = starts[s]; o < starts[s + 1]; ++o) {
            const KClassRef ref = find_class(shard, store.arena, counter.items_[order[o]].key);
            refs[o] = ref;
            if (ref != k_no_class) __builtin_prefetch(&store.arena.at(ref));
        }
        for (std::size_t o = starts[s]; o < starts[s + 1]; ++o) {
            const KCounter::Item& item = counter.items_[order[o]];
            KClassRef ref = refs[o];
            // A class an item before it in this batch made.
            if (ref == k_no_class) ref = find_class(shard, store.arena, item.key);
            if (ref != k_no_class) {
                add_token(store.arena.at(ref), shard.pool, item.token, settings_.k);
                continue;
            }
            std::array<std::string_view, qi_part_count> values;
            std::size_t at = item.start;
            for (std::size_t part = 0; part < qi_part_count; ++part) {
                values[part] = std::string_view(counter.text_).substr(at, item.sizes[part]);
                at += item.sizes[part];
            }
            add_class(shard, item.key, item.token, values, counter);
        }
    }
    counter.size_ = 0;
}

void KClasses::number_classes() {
    // Each counter's numbers, as the run's. The first counter's are the run's as they are (no
    // copy of the largest tables while deciding), the others' are added to them.
    std::vector<std::array<std::vector<std::uint32_t>, qi_part_count>> run_numbers(
        counters_.size());
    if (!counters_.empty()) values_ = std::move(counters_.front()->values_);
    for (std::size_t c = 0; c < counters_.size(); ++c) {
        if (c == 0) {
            for (std::size_t part = 0; part < qi_part_count; ++part) {
                std::vector<std::uint32_t>& numbers = run_numbers[c][part];
                numbers.resize(values_.size(static_cast<QiPart>(part)));
                for (std::uint32_t value = 0; value < numbers.size(); ++value)
                    numbers[value] = value;
            }
            continue;
        }
        QiValues& own = counters_[c]->values_;
        for (std::size_t part = 0; part < qi_part_count; ++part) {
            const auto which = static_cast<QiPart>(part);
            std::vector<std::uint32_t>& numbers = run_numbers[c][part];
            numbers.resize(own.size(which));
            for (std::uint32_t value = 0; value < numbers.size(); ++value)
                numbers[value] = values_.number(which, own.text(which, value));
        }
        own.clear();  // one copy of the values at a time
    }
    KClassArena& arena = store_->arena;
    k_in_parallel(settings_.threads, arena.size(), 4096,
                  [&](unsigned, std::size_t begin, std::size_t end) {
                      for (std::size_t ref = begin; ref < end; ++ref) {
                          KClass& found = arena.at(static_cast<KClassRef>(ref));
                          const auto& numbers = run_numbers[found.level];
                          for (std::size_t part = 0; part < qi_part_count; ++part)
                              found.parts[part] = numbers[part][found.parts[part]];
                          found.level = k_suppressed;
                      }
                  });
    // The counters are done with: their copies of the values go.
    counters_.clear();
    own_counter_ = nullptr;
}

void KClasses::decide() {
    number_classes();
    values_.compute_forms();
    decide_levels(*store_, values_, settings_.k, seed_, settings_.threads);
}

void KClasses::seal() {
    KStore& store = *store_;
    k_in_parallel(settings_.threads, KStore::shard_count, 1,
                  [&](unsigned, std::size_t first, std::size_t last) {
                      for (std::size_t s = first; s < last; ++s)
                          seal_shard(store, store.shards[s]);
                  });
    // The slots are all that is needed from now on: the classes go with their store.
    const std::size_t classes = this->classes();
    auto kept = std::make_unique<KStore>();
    for (std::size_t s = 0; s < KStore::shard_count; ++s) {
        kept->shards[s].memory = std::move(store.shards[s].memory);
        kept->shards[s].slots = store.shards[s].slots;
        kept->shards[s].slot_count = store.shards[s].slot_count;
        kept->shards[s].size = store.shards[s].size;
    }
    kept->sealed = true;
    store_ = std::move(kept);
    sealed_classes_ = classes;
    values_.clear();
}

void KClasses::prefetch(const KKey& key) const {
    const KShard& shard = store_->shards[KStore::shard_of(key.low)];
    if (shard.slot_count != 0) __builtin_prefetch(shard.slots + (key.low & shard.mask()));
}

bool KClasses::generalize(Record& record, const KKey& key, KForms& forms, KTally& tally) const {
    ++tally.records;
    const KShard& shard = store_->shards[KStore::shard_of(key.low)];
    std::uint8_t level = k_suppressed + 1;  // none: in no class
    if (shard.slot_count != 0) {
        const std::uint64_t wanted = sealed_slot(key, 0);
        for (std::size_t i = key.low & shard.mask();; i = (i + 1) & shard.mask()) {
            const std::uint64_t slot = shard.slots[i];
            if (slot == KShard::empty) break;
            if ((slot & ~level_mask) == wanted) {
                level = static_cast<std::uint8_t>(slot & level_mask);
                break;
            }
        }
    }
    if (level > k_top_level) {
        ++tally.suppressed;
        if (level > k_suppressed) ++tally.unknown;
        return false;
    }
    ++tally.at_level[level];
    const std::string_view network = record.network;
    const std::string_view version = record.agent_version;
    if (level > 0) {
        for (std::size_t part = 0; part < qi_part_count; ++part) {
            const auto which = static_cast<QiPart>(part);
            const std::uint8_t form = form_at(which, level);
            if (form != 0)
                set_qi_value(record, which, forms.form(which, form, qi_value(record, which)));
        }
    }
    tally.network_kept += record.network == network;
    tally.version_kept += record.agent_version == version;
    return true;
}

bool KClasses::generalize(KClassRef ref, Record& record, KTally& tally) const {
    ++tally.records;
    const KClass& found = store_->arena.at(ref);
    const std::uint8_t level = found.level;
    if (level > k_top_level) {
        ++tally.suppressed;
        return false;
    }
    ++tally.at_level[level];
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

std::size_t KClasses::classes() const {
    if (store_->sealed) return sealed_classes_;
    return store_->arena.size();
}

void KClasses::clear() {
    store_ = std::make_unique<KStore>();
    counters_.clear();
    own_counter_ = nullptr;
    sealed_classes_ = 0;
    values_.clear();
}

}  // namespace logsift
