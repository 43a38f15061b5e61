// Unit tests for the distinct counter: exact below the limit, HyperLogLog accuracy, a state that
// depends only on the set of hashes (any order, any grouping of merges), and a text form that
// round-trips and rejects anything malformed. Base64 literals were made with Python's base64.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "logsift/base/sketch.hpp"

using namespace logsift;

namespace {

std::vector<std::uint64_t> random_hashes(std::size_t count, std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::vector<std::uint64_t> hashes(count);
    for (std::uint64_t& hash : hashes)
        hash = random();
    return hashes;
}

DistinctCounter counter_of(const std::vector<std::uint64_t>& hashes) {
    DistinctCounter counter;
    for (std::uint64_t hash : hashes)
        counter.add(hash);
    return counter;
}

// Merging the counters of a and b, in either order, gives the state of counting both.
void check_merges_both_ways(const std::vector<std::uint64_t>& a,
                            const std::vector<std::uint64_t>& b, const DistinctCounter& both) {
    DistinctCounter a_first = counter_of(a);
    a_first.merge(counter_of(b));
    CHECK(a_first == both);
    CHECK(a_first.serialize() == both.serialize());
    DistinctCounter b_first = counter_of(b);
    b_first.merge(counter_of(a));
    CHECK(b_first == both);
    CHECK(b_first.serialize() == both.serialize());
}

// Splits hashes at random points into groups (some empty, some large), counts each group, and
// merges the counters in a shuffled order into one.
DistinctCounter merged_in_groups(std::vector<std::uint64_t> hashes, std::size_t max_group,
                                 std::uint64_t seed) {
    std::mt19937_64 random(seed);
    std::shuffle(hashes.begin(), hashes.end(), random);
    std::vector<DistinctCounter> groups;
    std::size_t pos = 0;
    while (pos < hashes.size()) {
        const std::size_t size =
            std::min<std::size_t>(random() % (max_group + 1), hashes.size() - pos);
        DistinctCounter group;
        for (std::size_t i = pos; i < pos + size; ++i)
            group.add(hashes[i]);
        groups.push_back(std::move(group));
        pos += size;
    }
    std::shuffle(groups.begin(), groups.end(), random);
    // Merge as a random tree rather than a chain, so grouping varies as well as order.
    while (groups.size() > 1) {
        const std::size_t a = random() % groups.size();
        std::size_t b = random() % (groups.size() - 1);
        if (b >= a) ++b;
        groups[a].merge(groups[b]);
        groups.erase(groups.begin() + static_cast<std::ptrdiff_t>(b));
    }
    return groups.empty() ? DistinctCounter{} : std::move(groups.front());
}

// A test-side encoder for inputs serialize() would never write (unsorted, too long, ...).
std::string base64(const std::vector<std::uint8_t>& bytes) {
    constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::uint32_t group = std::uint32_t{bytes[i]} << 16;
        if (i + 1 < bytes.size()) group |= std::uint32_t{bytes[i + 1]} << 8;
        if (i + 2 < bytes.size()) group |= bytes[i + 2];
        out += alphabet[group >> 18 & 63];
        out += alphabet[group >> 12 & 63];
        out += i + 1 < bytes.size() ? alphabet[group >> 6 & 63] : '=';
        out += i + 2 < bytes.size() ? alphabet[group & 63] : '=';
    }
    return out;
}

std::string exact_text(const std::vector<std::uint64_t>& hashes) {
    std::vector<std::uint8_t> bytes;
    for (std::uint64_t hash : hashes) {
        for (int shift = 0; shift < 64; shift += 8) {
            bytes.push_back(static_cast<std::uint8_t>(hash >> shift));
        }
    }
    return "e:" + base64(bytes);
}

}  // namespace

TEST_CASE("stable_hash is XXH3-64 with seed 0") {
    // The published XXH3 test vector for empty input.
    CHECK(stable_hash("") == 0x2D06800538D394C2ULL);
    CHECK(stable_hash("logsift") == stable_hash(std::string("logsift")));
    CHECK(stable_hash("a") != stable_hash("b"));
}

TEST_CASE("exact below the limit") {
    DistinctCounter counter;
    CHECK(counter.is_exact());
    CHECK(counter.estimate() == 0);
    const std::vector<std::uint64_t> hashes = random_hashes(DistinctCounter::exact_limit - 1, 1);
    for (int round = 0; round < 3; ++round) {
        for (std::uint64_t hash : hashes)
            counter.add(hash);  // duplicates change nothing
    }
    CHECK(counter.is_exact());
    CHECK(counter.estimate() == DistinctCounter::exact_limit - 1);
    counter.add(0);
    CHECK_FALSE(counter.is_exact());
    // Just past promotion the estimate is linear counting over few registers: still close.
    CHECK(counter.estimate() >= DistinctCounter::exact_limit - 2);
    CHECK(counter.estimate() <= DistinctCounter::exact_limit + 2);
}

TEST_CASE("estimates are within 3 sigma (5 %)") {
    for (std::size_t count : {1000u, 10000u, 100000u, 1000000u}) {
        CAPTURE(count);
        const DistinctCounter counter = counter_of(random_hashes(count, 42 + count));
        CHECK_FALSE(counter.is_exact());
        const double error =
            std::abs(static_cast<double>(counter.estimate()) - static_cast<double>(count)) /
            static_cast<double>(count);
        CHECK(error < 0.05);
    }
    // Hashes of real keys behave the same.
    DistinctCounter keys;
    for (int i = 0; i < 50000; ++i)
        keys.add(stable_hash("198.51.100.0/24 Firefox " + std::to_string(i)));
    CHECK(std::abs(static_cast<double>(keys.estimate()) - 50000.0) / 50000.0 < 0.05);
}

TEST_CASE("the state depends only on the set of hashes") {
    std::vector<std::uint64_t> hashes = random_hashes(10000, 7);
    // Some repeats, so groups overlap.
    hashes.insert(hashes.end(), hashes.begin(), hashes.begin() + 2000);
    const std::string whole = counter_of(hashes).serialize();
    CHECK(whole.substr(0, 2) == "h:");
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        CAPTURE(seed);
        // Small groups stay exact until merged; large ones are HyperLogLogs already.
        const std::size_t max_group = seed % 2 == 0 ? 60 : 3000;
        const DistinctCounter merged = merged_in_groups(hashes, max_group, seed);
        CHECK(merged.serialize() == whole);
        CHECK(merged == counter_of(hashes));
    }
}

TEST_CASE("small sets merge exactly, and promote at the same point as adding") {
    const std::vector<std::uint64_t> small = random_hashes(DistinctCounter::exact_limit - 1, 3);
    const std::vector<std::uint64_t> at_limit = random_hashes(DistinctCounter::exact_limit, 4);
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        CAPTURE(seed);
        const DistinctCounter merged_small = merged_in_groups(small, 10, seed);
        CHECK(merged_small.is_exact());
        CHECK(merged_small.serialize() == counter_of(small).serialize());
        CHECK(merged_small.estimate() == small.size());
        const DistinctCounter merged_limit = merged_in_groups(at_limit, 40, seed);
        CHECK_FALSE(merged_limit.is_exact());
        CHECK(merged_limit.serialize() == counter_of(at_limit).serialize());
    }
}

TEST_CASE("merging exact into HyperLogLog and back") {
    const std::vector<std::uint64_t> big = random_hashes(5000, 11);
    const std::vector<std::uint64_t> small = random_hashes(50, 12);
    std::vector<std::uint64_t> both = big;
    both.insert(both.end(), small.begin(), small.end());
    const DistinctCounter expected = counter_of(both);

    check_merges_both_ways(big, small, expected);

    DistinctCounter self = counter_of(big);
    self.merge(self);
    CHECK(self == counter_of(big));
    DistinctCounter self_small = counter_of(small);
    self_small.merge(self_small);
    CHECK(self_small == counter_of(small));

    DistinctCounter empty;
    empty.merge(DistinctCounter{});
    CHECK(empty.serialize() == "e:");
}

TEST_CASE("serialize writes sorted little-endian hashes") {
    DistinctCounter counter;
    CHECK(counter.serialize() == "e:");
    counter.add(2);
    counter.add(1);
    CHECK(counter.serialize() == "e:AQAAAAAAAAACAAAAAAAAAA==");
    DistinctCounter one;
    one.add(0x0123456789abcdefULL);
    CHECK(one.serialize() == "e:782riWdFIwE=");
    DistinctCounter three;
    for (std::uint64_t hash : {3, 1, 2})
        three.add(hash);
    CHECK(three.serialize() == "e:AQAAAAAAAAACAAAAAAAAAAMAAAAAAAAA");
}

TEST_CASE("serialize round trip") {
    for (std::size_t count :
         {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3},
          DistinctCounter::exact_limit - 1, DistinctCounter::exact_limit, std::size_t{100000}}) {
        CAPTURE(count);
        const DistinctCounter counter = counter_of(random_hashes(count, 99));
        const std::string text = counter.serialize();
        std::optional<DistinctCounter> back = DistinctCounter::deserialize(text);
        REQUIRE(back);
        CHECK(*back == counter);
        CHECK(back->serialize() == text);
        CHECK(back->estimate() == counter.estimate());
        CHECK(back->is_exact() == counter.is_exact());
    }
    // A HyperLogLog text is 2 + 5464 characters: 4096 bytes in base64.
    CHECK(counter_of(random_hashes(1000, 5)).serialize().size() == 2 + 5464);
    // Deserialized counters keep counting.
    std::optional<DistinctCounter> back =
        DistinctCounter::deserialize("e:AQAAAAAAAAACAAAAAAAAAA==");
    REQUIRE(back);
    back->add(3);
    CHECK(back->serialize() == "e:AQAAAAAAAAACAAAAAAAAAAMAAAAAAAAA");
}

TEST_CASE("deserialize rejects malformed input") {
    const std::string registers = counter_of(random_hashes(1000, 5)).serialize();
    const std::string zero_registers = "h:" + base64(std::vector<std::uint8_t>(4096, 0));
    CHECK(DistinctCounter::deserialize(zero_registers));  // all zero is odd but well formed

    const std::vector<std::string> bad = {
        // prefix
        "",
        "e",
        "h",
        "x:",
        "E:",
        "e;",
        ":AQAAAAAAAAA=",
        "eh:",
        "x" + registers.substr(1),
        // base64
        "e:AQAAAAAAAAA",
        "e:AQAAAAAAAA==A",
        "e:AQAAAAAAAA",
        "e:AQAAA AAAAA=",
        "e:AQAAAAAAAAA=\n",
        "e:AQAAAAAAAA-=",
        "e:AQ==AAAAAAA=",
        "e:====",
        "e:A===",
        "e:=",
        "e:AQAAAAAAAAB=",
        "e:AQAAAAAAAAACAAAAAAAAAB==",  // nonzero bits under the padding
        // length not a multiple of 8 bytes
        "e:AQ==",
        "e:AQAAAAAAAAAC",
        // unsorted, duplicates
        "e:AgAAAAAAAAABAAAAAAAAAA==",
        "e:AQAAAAAAAAABAAAAAAAAAA==",
        // registers: wrong length, out of range
        registers.substr(0, registers.size() - 4),
        registers + "AAAA",
        "h:" + base64(std::vector<std::uint8_t>(4095, 0)),
        "h:" + base64(std::vector<std::uint8_t>(4097, 0)),
        "h:",
        "h:AAAA",
    };
    for (const std::string& text : bad) {
        CAPTURE(text);
        CHECK_FALSE(DistinctCounter::deserialize(text));
    }

    std::vector<std::uint8_t> high(4096, 0);
    high.back() = 53;
    CHECK(DistinctCounter::deserialize("h:" + base64(high)));
    high.back() = 54;
    CHECK_FALSE(DistinctCounter::deserialize("h:" + base64(high)));
    high.back() = 0;
    high.front() = 255;
    CHECK_FALSE(DistinctCounter::deserialize("h:" + base64(high)));

    // Exact lists stop one short of the limit: a counter with that many would have promoted.
    std::vector<std::uint64_t> sorted(DistinctCounter::exact_limit - 1);
    for (std::size_t i = 0; i < sorted.size(); ++i)
        sorted[i] = i * 1000 + 1;
    CHECK(DistinctCounter::deserialize(exact_text(sorted)));
    sorted.push_back(sorted.back() + 1);
    CHECK_FALSE(DistinctCounter::deserialize(exact_text(sorted)));
    // Far too long is refused before decoding.
    CHECK_FALSE(DistinctCounter::deserialize("e:" + std::string(10000000, 'A')));
    CHECK_FALSE(DistinctCounter::deserialize("h:" + std::string(10000000, 'A')));

    // Random bytes (after a valid prefix) never crash and are never taken for a counter.
    std::mt19937_64 random(17);
    for (int i = 0; i < 2000; ++i) {
        std::string text = i % 2 == 0 ? "e:" : "h:";
        const std::size_t size = 1 + random() % 64;
        for (std::size_t j = 0; j < size; ++j)
            text += static_cast<char>(random() % 256);
        CHECK_FALSE(DistinctCounter::deserialize(text));
    }
}

TEST_CASE("copies are deep and independent") {
    const DistinctCounter hll = counter_of(random_hashes(1000, 21));
    DistinctCounter copy(hll);
    CHECK(copy == hll);
    for (std::uint64_t hash : random_hashes(100000, 22))
        copy.add(hash);
    CHECK_FALSE(copy == hll);
    CHECK(hll == counter_of(random_hashes(1000, 21)));

    DistinctCounter assigned = counter_of({1, 2, 3});
    assigned = hll;
    CHECK(assigned == hll);
    CHECK_FALSE(assigned.is_exact());
    assigned = counter_of({1, 2, 3});
    CHECK(assigned.is_exact());
    CHECK(assigned.estimate() == 3);
    const DistinctCounter& same = assigned;
    assigned = same;  // self-assignment
    CHECK(assigned.estimate() == 3);

    DistinctCounter moved = std::move(copy);
    CHECK_FALSE(moved.is_exact());
    DistinctCounter target;
    target = std::move(moved);
    CHECK_FALSE(target.is_exact());
}

TEST_CASE("DistinctCounter operator==") {
    CHECK(DistinctCounter{} == DistinctCounter{});
    CHECK(counter_of({1, 2}) == counter_of({2, 1, 2}));
    CHECK_FALSE(counter_of({1, 2}) == counter_of({1, 3}));
    CHECK_FALSE(counter_of({1}) == DistinctCounter{});
    const std::vector<std::uint64_t> hashes = random_hashes(500, 31);
    std::vector<std::uint64_t> reversed(hashes.rbegin(), hashes.rend());
    CHECK(counter_of(hashes) == counter_of(reversed));
    // An exact counter never equals a HyperLogLog, even an empty one.
    std::optional<DistinctCounter> zero =
        DistinctCounter::deserialize("h:" + base64(std::vector<std::uint8_t>(4096, 0)));
    REQUIRE(zero);
    CHECK_FALSE(*zero == DistinctCounter{});
    CHECK(zero->estimate() == 0);
}

TEST_CASE("exact sets across the inline size round-trip and grow like a sorted set") {
    // Sizes around the hashes kept inside the counter and the first heap blocks.
    for (std::size_t count = 0; count <= 10; ++count) {
        CAPTURE(count);
        const std::vector<std::uint64_t> hashes = random_hashes(count, 100 + count);
        std::vector<std::uint64_t> sorted = hashes;
        std::sort(sorted.begin(), sorted.end());
        const DistinctCounter counter = counter_of(hashes);
        CHECK(counter.serialize() == exact_text(sorted));
        std::optional<DistinctCounter> read = DistinctCounter::deserialize(counter.serialize());
        REQUIRE(read);
        CHECK(*read == counter);
        DistinctCounter copy = counter;
        for (std::uint64_t hash : hashes)
            copy.add(hash);  // duplicates from the inline part and the heap alike
        CHECK(copy == counter);
        copy.add(0);
        CHECK(copy.estimate() == count + 1);
        CHECK(counter.estimate() == count);
    }
}

namespace {

// Hashes that land in distinct registers, rank 1 each: a HyperLogLog with exactly `registers`
// nonzero registers once there are enough of them.
std::vector<std::uint64_t> hashes_in_registers(std::size_t registers) {
    std::vector<std::uint64_t> hashes;
    for (std::uint64_t index = 0; index < registers; ++index)
        hashes.push_back(index << (64 - DistinctCounter::precision) | (1ULL << 51));
    return hashes;
}

std::string registers_text(const std::vector<std::uint64_t>& hashes, std::uint8_t rank = 1) {
    std::vector<std::uint8_t> registers(std::size_t{1} << DistinctCounter::precision, 0);
    for (std::uint64_t hash : hashes)
        registers[hash >> (64 - DistinctCounter::precision)] = rank;
    return "h:" + base64(registers);
}

}  // namespace

TEST_CASE("few and many nonzero registers serialize as the full register array") {
    // Both sides of the sparse limit, built by adding, by merging halves, and by reading.
    for (std::size_t count :
         {DistinctCounter::exact_limit, DistinctCounter::sparse_limit - 1,
          DistinctCounter::sparse_limit, DistinctCounter::sparse_limit + 1, std::size_t{3000}}) {
        CAPTURE(count);
        const std::vector<std::uint64_t> hashes = hashes_in_registers(count);
        const DistinctCounter added = counter_of(hashes);
        CHECK_FALSE(added.is_exact());
        CHECK(added.serialize() == registers_text(hashes));

        const std::vector<std::uint64_t> front(hashes.begin(), hashes.begin() + count / 2);
        const std::vector<std::uint64_t> back(hashes.begin() + count / 2, hashes.end());
        check_merges_both_ways(front, back, added);

        std::optional<DistinctCounter> read = DistinctCounter::deserialize(added.serialize());
        REQUIRE(read);
        CHECK(*read == added);
        CHECK(read->estimate() == added.estimate());
        // Raising a register that is already set changes the state but not how it is held.
        DistinctCounter raised = added;
        raised.add(1);  // register 0, highest rank
        CHECK_FALSE(raised == added);
        CHECK(raised.serialize().substr(0, 8) != added.serialize().substr(0, 8));
    }
}

TEST_CASE("register ranks: the first set bit after the index, at most 53") {
    std::vector<std::uint64_t> bare;      // index bits only: the remainder is all zeros
    std::vector<std::uint64_t> last_bit;  // only the remainder's lowest bit set
    for (std::uint64_t index = 0; index < DistinctCounter::exact_limit; ++index) {
        bare.push_back(index << (64 - DistinctCounter::precision));
        last_bit.push_back(index << (64 - DistinctCounter::precision) | 1);
    }
    CHECK(counter_of(bare).serialize() == registers_text(bare, 53));
    CHECK(counter_of(last_bit).serialize() == registers_text(last_bit, 52));
}

TEST_CASE("a HyperLogLog crossing the sparse limit by adding equals one made at once") {
    const std::vector<std::uint64_t> hashes = random_hashes(20000, 55);
    DistinctCounter growing;
    for (std::size_t i = 0; i < hashes.size(); ++i) {
        growing.add(hashes[i]);
        if (i % 1999 == 0 || (i > 450 && i < 750 && i % 3 == 0)) {
            const std::vector<std::uint64_t> so_far(hashes.begin(),
                                                    hashes.begin() + static_cast<long>(i) + 1);
            const DistinctCounter merged = merged_in_groups(so_far, 150, i);
            REQUIRE(merged == growing);
            REQUIRE(merged.serialize() == growing.serialize());
        }
    }
}

TEST_CASE("sets stay sorted and exact when the hashes are not spread evenly") {
    // The searches start where an evenly spread hash would be. These hashes are bunched at
    // both ends and in the middle of the range, and added rising, falling and interleaved,
    // each twice.
    std::vector<std::uint64_t> bunched;
    for (std::uint64_t i = 0; i < 40; ++i) {
        bunched.push_back(i);
        bunched.push_back(~std::uint64_t{0} - i);
        bunched.push_back((std::uint64_t{1} << 63) + i);
    }
    std::vector<std::uint64_t> sorted = bunched;
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::uint64_t> reversed(sorted.rbegin(), sorted.rend());
    for (const std::vector<std::uint64_t>* order : {&bunched, &sorted, &reversed}) {
        DistinctCounter counter = counter_of(*order);
        for (std::uint64_t hash : *order)
            counter.add(hash);
        CHECK(counter.serialize() == exact_text(sorted));
        CHECK(counter.estimate() == sorted.size());
    }
    // A sparse HyperLogLog whose registers are all in the lowest tenth, filled from the top.
    const std::vector<std::uint64_t> low = hashes_in_registers(400);
    const std::vector<std::uint64_t> falling(low.rbegin(), low.rend());
    CHECK(counter_of(falling).serialize() == registers_text(low));
    CHECK(counter_of(falling) == counter_of(low));
}
