// Unit tests for StringMap: lookups through colliding hashes (also with the hash computed
// first), growth past many slot doublings and chunk sizes, insertion-order iteration, rows that
// never move, and ownership (copies, moves, clear) of rows whose values own memory.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "logsift/base/string_map.hpp"

using namespace logsift;

namespace {

// Every key in one probe sequence, with equal stored hash bits: only the key tells rows apart.
struct SameHash {
    std::uint64_t operator()(std::string_view) const { return 0x5555'5555'0000'0003ULL; }
};

// Two bits of hash: long runs of occupied slots, and many equal stored hash bits.
struct TwoBitHash {
    std::uint64_t operator()(std::string_view key) const {
        const std::uint64_t bits = stable_hash(key) & 3;
        return bits << 32 | bits;
    }
};

std::string key_for(std::size_t i) {
    // Lengths from 0 (the empty key) to a few dozen bytes, and a shared prefix.
    return std::string(i % 40, 'k') + std::to_string(i);
}

template <typename Map>
void check_keys(Map& map, std::size_t count) {
    CHECK(map.size() == count);
    for (std::size_t i = 0; i < count; ++i) {
        const int* row = map.find(key_for(i));
        REQUIRE(row);
        CHECK(*row == static_cast<int>(i));
        CHECK(Map::key_of(*row) == key_for(i));
    }
    CHECK_FALSE(map.find(key_for(count)));
    CHECK_FALSE(map.find("absent"));
}

}  // namespace

TEST_CASE("an empty StringMap finds nothing and iterates over nothing") {
    StringMap<int> map;
    CHECK(map.empty());
    CHECK_FALSE(map.find(""));
    CHECK(map.begin() == map.end());
}

TEST_CASE("keys with colliding hashes are told apart by their bytes") {
    StringMap<int, SameHash> same;
    StringMap<int, TwoBitHash> two_bits;
    const std::size_t count = 1500;
    for (std::size_t i = 0; i < count; ++i) {
        CHECK(same.try_emplace(key_for(i), static_cast<int>(i)).second);
        CHECK(two_bits.try_emplace(key_for(i), static_cast<int>(i)).second);
    }
    check_keys(same, count);
    check_keys(two_bits, count);
    // A key already present keeps its row and value.
    auto [row, added] = same.try_emplace(key_for(7), -1);
    CHECK_FALSE(added);
    CHECK(*row == 7);
}

TEST_CASE("a lookup with the hash computed first, after prefetches, is the same lookup") {
    StringMap<int, TwoBitHash> map;
    map.prefetch_slot(0);  // an empty table has no slots to fetch
    map.prefetch_row(0);
    const std::size_t count = 1500;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string key = key_for(i);
        const std::uint64_t hash = StringMap<int, TwoBitHash>::hash_of(key);
        map.prefetch_slot(hash);
        map.prefetch_row(hash);
        CHECK(map.try_emplace_hashed(key, hash, static_cast<int>(i)).second);
    }
    check_keys(map, count);
    for (std::size_t i = 0; i < count; i += 7) {
        const std::string key = key_for(i);
        auto [row, added] = map.try_emplace_hashed(key, map.hash_of(key), -1);
        CHECK_FALSE(added);
        CHECK(*row == static_cast<int>(i));
    }
}

TEST_CASE("keys of equal length that differ in one byte are different keys") {
    // Every length compared by words or by memcmp, every position of the difference.
    for (std::size_t size = 1; size <= 24; ++size) {
        CAPTURE(size);
        StringMap<int, SameHash> map;
        const std::string base(size, 'a');
        map.try_emplace(base, -1);
        for (std::size_t position = 0; position < size; ++position) {
            std::string key = base;
            key[position] = 'b';
            REQUIRE(map.try_emplace(key, static_cast<int>(position)).second);
        }
        CHECK(map.size() == size + 1);
        CHECK(*map.find(base) == -1);
        for (std::size_t position = 0; position < size; ++position) {
            std::string key = base;
            key[position] = 'b';
            CHECK(*map.find(key) == static_cast<int>(position));
            key[position] = 'c';
            CHECK_FALSE(map.find(key));
        }
        CHECK_FALSE(map.find(base + "a"));
        CHECK_FALSE(map.find(base.substr(1)));
    }
}

TEST_CASE("StringMap grows, keeps rows in place, and iterates in insertion order") {
    StringMap<int> map;
    std::vector<const int*> rows;
    const std::size_t count = 200000;
    for (std::size_t i = 0; i < count; ++i) {
        auto [row, added] = map.try_emplace(key_for(i), static_cast<int>(i));
        REQUIRE(added);
        rows.push_back(row);
    }
    // Keys longer than a whole chunk get a chunk of their own.
    const std::string huge(300000, 'x');
    map.try_emplace(huge, -2);
    map.try_emplace("after the huge key", -3);
    CHECK(map.size() == count + 2);
    for (std::size_t i = 0; i < count; ++i)
        REQUIRE(map.find(key_for(i)) == rows[i]);
    REQUIRE(map.find(huge));
    CHECK(*map.find(huge) == -2);
    CHECK(*map.find("after the huge key") == -3);

    std::size_t position = 0;
    for (auto [key, value] : map) {
        if (position < count) {
            REQUIRE(key == key_for(position));
            REQUIRE(value == static_cast<int>(position));
        }
        ++position;
    }
    CHECK(position == count + 2);
}

TEST_CASE("StringMap copies, moves and clears rows that own memory") {
    auto token = std::make_shared<int>(0);
    {
        StringMap<std::shared_ptr<int>> map;
        for (int i = 0; i < 1000; ++i)
            map.try_emplace(std::to_string(i), token);
        CHECK(token.use_count() == 1001);

        StringMap<std::shared_ptr<int>> copy(map);
        CHECK(token.use_count() == 2001);
        CHECK(copy.size() == 1000);
        // Values through a copy are separate rows.
        *copy.find("5") = nullptr;
        CHECK(*map.find("5") == token);

        StringMap<std::shared_ptr<int>> moved(std::move(copy));
        CHECK(token.use_count() == 2000);
        CHECK(moved.size() == 1000);
        CHECK(copy.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
        CHECK(copy.begin() == copy.end());

        StringMap<std::shared_ptr<int>> assigned;
        assigned = map;
        CHECK(token.use_count() == 3000);
        assigned.swap(moved);
        CHECK_FALSE(*assigned.find("5"));

        map.clear();
        CHECK(map.empty());
        CHECK_FALSE(map.find("1"));
        CHECK(token.use_count() == 2000);
        // Usable again after clear.
        map.try_emplace("again", token);
        CHECK(*map.find("again") == token);
    }
    CHECK(token.use_count() == 1);
}

TEST_CASE("StringMap agrees with std::map on a random mix of lookups and inserts") {
    StringMap<int> map;
    std::map<std::string, int> reference;
    std::uint64_t state = 12345;
    for (int step = 0; step < 100000; ++step) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const std::string key = std::to_string(state >> 50);  // a few thousand distinct keys
        if (state & (1ULL << 20)) {
            auto [row, added] = map.try_emplace(key, step);
            auto [expected, expected_added] = reference.try_emplace(key, step);
            REQUIRE(added == expected_added);
            REQUIRE(*row == expected->second);
        } else {
            const int* row = map.find(key);
            auto expected = reference.find(key);
            REQUIRE((row != nullptr) == (expected != reference.end()));
            if (row) REQUIRE(*row == expected->second);
        }
    }
    CHECK(map.size() == reference.size());
}
