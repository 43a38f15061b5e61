// Byte classes for the reduce stage, which asks "may this byte stand here?" or "where is the
// next of these bytes?" for every byte of methods, hosts, schemes and paths.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace logsift {

// True for ASCII letters, digits and the bytes of extra.
constexpr std::array<bool, 256> letters_digits_and(std::string_view extra) {
    std::array<bool, 256> table{};
    for (char c = '0'; c <= '9'; ++c)
        table[static_cast<unsigned char>(c)] = true;
    for (char c = 'a'; c <= 'z'; ++c) {
        table[static_cast<unsigned char>(c)] = true;
        table[static_cast<unsigned char>(c - 'a' + 'A')] = true;
    }
    for (char c : extra)
        table[static_cast<unsigned char>(c)] = true;
    return table;
}

// string_view::find_first_of runs memchr over the set for every byte of the text; with sets
// of two or three bytes a plain comparison is several times cheaper, and this runs on every
// resource. Eight bytes are compared at a time while none of them is in the set.
template <char... Set>
inline std::size_t find_any(std::string_view text, std::size_t from = 0) {
    constexpr std::uint64_t ones = 0x0101010101010101;
    constexpr std::uint64_t highs = 0x8080808080808080;
    std::size_t i = from;
    for (; text.size() - i >= sizeof(std::uint64_t); i += sizeof(std::uint64_t)) {
        std::uint64_t word;
        std::memcpy(&word, text.data() + i, sizeof word);
        // A byte equal to c is a zero byte of word ^ c, which the subtraction borrows through.
        auto holds = [word](char c) {
            const std::uint64_t x = word ^ (ones * static_cast<unsigned char>(c));
            return (x - ones) & ~x & highs;
        };
        if ((holds(Set) | ...)) break;
    }
    for (; i < text.size(); ++i) {
        if (((text[i] == Set) || ...)) return i;
    }
    return std::string_view::npos;
}

}  // namespace logsift
