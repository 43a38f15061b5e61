// StringMap: the row tables of summaries, found by a string key. A table only grows until it is
// cleared, and the largest (one row per network) reach hundreds of thousands of rows looked up
// at random several times per log line, so the layout is for cache misses and bytes per row:
// open addressing over 8-byte slots (32 bits of the key's hash and where its row is), and rows
// that carry their key bytes right after the value, packed in chunks that never move.
#pragma once

#include <algorithm>
#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "logsift/base/sketch.hpp"

namespace logsift {

struct StableHash {
    std::uint64_t operator()(std::string_view key) const { return stable_hash(key); }
};

// Hash is a parameter for tests, which need keys that collide.
template <typename Value, typename Hash = StableHash>
class StringMap {
    static_assert(alignof(Value) <= 8, "rows are placed at multiples of 8 bytes");

  public:
    // What iteration yields: the key and the row's value.
    template <typename Row>
    using Entry = std::pair<std::string_view, Row&>;

    template <typename Map, typename Row>
    class Iterator {
      public:
        Iterator(Map* map, std::uint32_t chunk, std::uint32_t offset)
            : map_(map), chunk_(chunk), offset_(offset) {}
        Entry<Row> operator*() const {
            Row& row = *map_->row_at(chunk_, offset_);
            return {key_of(row), row};
        }
        Iterator& operator++() {
            offset_ += row_size(key_of(*map_->row_at(chunk_, offset_)).size());
            if (offset_ == map_->chunks_[chunk_].used) {
                ++chunk_;
                offset_ = 0;
            }
            return *this;
        }
        bool operator==(const Iterator& other) const {
            return chunk_ == other.chunk_ && offset_ == other.offset_;
        }

      private:
        Map* map_ = nullptr;
        std::uint32_t chunk_ = 0;
        std::uint32_t offset_ = 0;
    };
    using iterator = Iterator<StringMap, Value>;
    using const_iterator = Iterator<const StringMap, const Value>;

    StringMap() = default;
    StringMap(const StringMap& other) {
        for (auto [key, row] : other)
            try_emplace(key, row);
    }
    StringMap(StringMap&& other) noexcept
        : slots_(std::move(other.slots_)),
          chunks_(std::move(other.chunks_)),
          size_(std::exchange(other.size_, 0)) {}
    StringMap& operator=(StringMap other) noexcept {
        swap(other);
        return *this;
    }
    ~StringMap() { clear(); }

    void swap(StringMap& other) noexcept {
        slots_.swap(other.slots_);
        chunks_.swap(other.chunks_);
        std::swap(size_, other.size_);
    }

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    iterator begin() { return {this, 0, 0}; }
    iterator end() { return {this, static_cast<std::uint32_t>(chunks_.size()), 0}; }
    const_iterator begin() const { return {this, 0, 0}; }
    const_iterator end() const { return {this, static_cast<std::uint32_t>(chunks_.size()), 0}; }

    Value* find(std::string_view key) { return lookup(key, Hash{}(key)); }
    const Value* find(std::string_view key) const { return lookup(key, Hash{}(key)); }

    // Adds a row made from args unless key has one; returns the row and whether it is new.
    template <typename... Args>
    std::pair<Value*, bool> try_emplace(std::string_view key, Args&&... args) {
        return try_emplace_hashed(key, Hash{}(key), std::forward<Args>(args)...);
    }

    // The hash try_emplace_hashed wants.
    static std::uint64_t hash_of(std::string_view key) { return Hash{}(key); }
    // A lookup in a large table waits on two cache misses, its slot and then its row. A caller
    // with other work to do meanwhile starts loading the slot first, later the row it names,
    // and then looks up with the same hash.
    void prefetch_slot(std::uint64_t hash) const {
        if (!slots_.empty()) __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
    }
    void prefetch_row(std::uint64_t hash) const {
        if (slots_.empty()) return;
        const Slot slot = slots_[hash & (slots_.size() - 1)];
        const auto ref = static_cast<std::uint32_t>(slot);
        if (ref != empty_ref && static_cast<std::uint32_t>(slot >> 32) == hash >> 32) {
            __builtin_prefetch(row_at(ref));
        }
    }
    template <typename... Args>
    std::pair<Value*, bool> try_emplace_hashed(std::string_view key, std::uint64_t hash,
                                               Args&&... args) {
        if (Value* found = lookup(key, hash)) return {found, false};
        if ((size_ + 1) * 4 > slots_.size() * 3) grow();
        const std::uint32_t ref = place_row(key.size());
        Value* row = row_at(ref);
        try {
            ::new (static_cast<void*>(row)) Value(std::forward<Args>(args)...);
        } catch (...) {
            if (chunks_.back().used == 0) chunks_.pop_back();  // iteration expects no empty chunk
            throw;
        }
        const auto key_size = static_cast<std::uint32_t>(key.size());
        std::memcpy(reinterpret_cast<std::byte*>(row) + sizeof(Value), &key_size, sizeof key_size);
        if (!key.empty()) {
            std::memcpy(reinterpret_cast<std::byte*>(row) + key_offset, key.data(), key.size());
        }
        chunks_.back().used += row_size(key.size());
        insert_slot(hash, ref);
        ++size_;
        return {row, true};
    }

    // Empties the table and gives its memory back.
    void clear() {
        if constexpr (!std::is_trivially_destructible_v<Value>) {
            for (auto [key, row] : *this)
                row.~Value();
        }
        std::vector<Slot>().swap(slots_);
        std::vector<Chunk>().swap(chunks_);
        size_ = 0;
    }

    // The key of a row of some StringMap<Value>: its bytes follow the value.
    static std::string_view key_of(const Value& row) {
        const auto* bytes = reinterpret_cast<const std::byte*>(&row);
        std::uint32_t size = 0;
        std::memcpy(&size, bytes + sizeof(Value), sizeof size);
        return {reinterpret_cast<const char*>(bytes + key_offset), size};
    }
    // key_of(row) == key. Keys are mostly networks of 10 to 20 bytes, compared several times
    // per log line: compared as two overlapping words where they fit, not by a call.
    static bool has_key(const Value& row, std::string_view key) {
        const std::string_view stored = key_of(row);
        const std::size_t size = key.size();
        if (stored.size() != size) return false;
        const char* a = stored.data();
        const char* b = key.data();
        if (size >= 8 && size <= 16) {
            return load<std::uint64_t>(a) == load<std::uint64_t>(b) &&
                   load<std::uint64_t>(a + size - 8) == load<std::uint64_t>(b + size - 8);
        }
        if (size >= 4 && size < 8) {
            return load<std::uint32_t>(a) == load<std::uint32_t>(b) &&
                   load<std::uint32_t>(a + size - 4) == load<std::uint32_t>(b + size - 4);
        }
        return size == 0 || std::memcmp(a, b, size) == 0;
    }

  private:
    // A slot is (hash >> 32) << 32 | ref, where ref locates the row: chunk << 13 | offset / 8.
    // Chunks that hold several rows are at most 64 KiB, so 13 bits reach any row in them.
    using Slot = std::uint64_t;
    static constexpr std::uint32_t empty_ref = 0xFFFFFFFF;
    static constexpr Slot empty_slot = ~Slot{0};
    static constexpr unsigned offset_bits = 13;
    static constexpr std::uint32_t first_chunk_bytes = 256;
    static constexpr std::uint32_t max_chunk_bytes = 8u << offset_bits;
    static constexpr std::size_t key_offset = sizeof(Value) + sizeof(std::uint32_t);
    // Row sizes are 32-bit.
    static constexpr std::size_t max_key_size = 0xFFFFFFFF - key_offset - 7;

    struct Chunk {
        std::unique_ptr<std::byte[]> bytes;
        std::uint32_t capacity = 0;
        std::uint32_t used = 0;
    };

    template <typename Word>
    static Word load(const char* bytes) {
        Word word;
        std::memcpy(&word, bytes, sizeof word);
        return word;
    }
    static std::uint32_t row_size(std::size_t key_size) {
        return static_cast<std::uint32_t>((key_offset + key_size + 7) / 8 * 8);
    }
    Value* row_at(std::uint32_t chunk, std::uint32_t offset) const {
        return std::launder(reinterpret_cast<Value*>(chunks_[chunk].bytes.get() + offset));
    }
    Value* row_at(std::uint32_t ref) const {
        return row_at(ref >> offset_bits, (ref & ((1u << offset_bits) - 1)) * 8);
    }

    Value* lookup(std::string_view key, std::uint64_t hash) const {
        if (slots_.empty()) return nullptr;
        const std::size_t mask = slots_.size() - 1;
        const auto tag = static_cast<std::uint32_t>(hash >> 32);
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            const Slot slot = slots_[i];
            const auto ref = static_cast<std::uint32_t>(slot);
            if (ref == empty_ref) return nullptr;
            if (static_cast<std::uint32_t>(slot >> 32) == tag) {
                Value* row = row_at(ref);
                if (has_key(*row, key)) return row;
            }
        }
    }

    void insert_slot(std::uint64_t hash, std::uint32_t ref) {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = hash & mask;
        while (static_cast<std::uint32_t>(slots_[i]) != empty_ref)
            i = (i + 1) & mask;
        slots_[i] = (hash >> 32) << 32 | ref;
    }

    // Doubles the slots (at most three quarters full keeps probes short). The slots keep 32
    // bits of each hash only, so every key is hashed again: a few times per table's life.
    void grow() {
        std::vector<Slot> slots(std::max<std::size_t>(8, slots_.size() * 2), empty_slot);
        slots_.swap(slots);
        for (std::uint32_t chunk = 0; chunk < chunks_.size(); ++chunk) {
            for (std::uint32_t offset = 0; offset < chunks_[chunk].used;) {
                const std::string_view key = key_of(*row_at(chunk, offset));
                insert_slot(Hash{}(key), chunk << offset_bits | offset / 8);
                offset += row_size(key.size());
            }
        }
    }

    // Room for a row with a key of key_size bytes, at the end of the last chunk or in a new
    // one; chunks double up to 64 KiB so that small tables stay small.
    std::uint32_t place_row(std::size_t key_size) {
        if (key_size > max_key_size) throw std::length_error("StringMap: key too long");
        const std::uint32_t size = row_size(key_size);
        if (chunks_.empty() || chunks_.back().capacity - chunks_.back().used < size) {
            if (chunks_.size() >= (std::size_t{1} << (32 - offset_bits)) - 1) {
                throw std::length_error("StringMap: too many rows");
            }
            const std::uint32_t capacity = std::max(
                size, chunks_.empty() ? first_chunk_bytes
                                      : std::min(max_chunk_bytes, chunks_.back().capacity * 2));
            chunks_.push_back({std::make_unique_for_overwrite<std::byte[]>(capacity), capacity, 0});
        }
        return static_cast<std::uint32_t>(chunks_.size() - 1) << offset_bits |
               chunks_.back().used / 8;
    }

    std::vector<Slot> slots_;
    std::vector<Chunk> chunks_;
    std::size_t size_ = 0;
};

// A key's first 16 bytes as two big-endian numbers, zero-padded: keys compare as their prefixes
// do, unless the prefixes are equal. Sorting and merging tables of a hundred thousand networks
// compares them millions of times; most comparisons then neither call memcmp nor touch the key.
struct KeyPrefix {
    std::uint64_t high = 0, low = 0;

    explicit KeyPrefix(std::string_view key) {
        unsigned char bytes[16] = {};
        std::memcpy(bytes, key.data(), std::min<std::size_t>(key.size(), 16));
        for (int i = 0; i < 8; ++i) {
            high = high << 8 | bytes[i];
            low = low << 8 | bytes[8 + i];
        }
    }
    KeyPrefix() = default;
    auto operator<=>(const KeyPrefix&) const = default;
};

// a < b for keys with these prefixes.
inline bool key_less(const KeyPrefix& a_prefix, std::string_view a, const KeyPrefix& b_prefix,
                     std::string_view b) {
    if (a_prefix != b_prefix) return a_prefix < b_prefix;
    return a < b;
}

// A table's rows sorted by key: the order summaries are written in, whatever order the rows
// were counted in. 24 bytes per row: a full table is sorted at every spill, while the table
// itself still holds its memory.
template <typename Value, typename Hash = StableHash>
struct SortedRow {
    KeyPrefix prefix;
    const Value* row;
    std::string_view key() const { return StringMap<Value, Hash>::key_of(*row); }
};

template <typename Value, typename Hash>
std::vector<SortedRow<Value, Hash>> sorted_rows(const StringMap<Value, Hash>& table) {
    using Row = SortedRow<Value, Hash>;
    std::vector<Row> rows;
    rows.reserve(table.size());
    for (auto [key, row] : table)
        rows.push_back({KeyPrefix(key), &row});
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
        if (a.prefix != b.prefix) return a.prefix < b.prefix;
        return a.key() < b.key();
    });
    return rows;
}

}  // namespace logsift
