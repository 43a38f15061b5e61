// Sketch: the exact-then-HyperLogLog distinct counter and its text form. The state is a pure
// function of the set of hashes added, which is what lets summaries from several servers merge
// in any order into byte-identical output.
#include "logsift/sketch.hpp"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <iterator>

namespace logsift {
namespace {

constexpr std::size_t register_count = std::size_t{1} << DistinctCounter::precision;
// 64 hash bits minus the index bits, plus one: the rank of an all-zero remainder.
constexpr std::uint8_t max_rank = 64 - DistinctCounter::precision + 1;

using Registers = std::array<std::uint8_t, register_count>;

void update_register(Registers& registers, std::uint64_t hash) {
    const auto index = static_cast<std::size_t>(hash >> (64 - DistinctCounter::precision));
    const std::uint64_t rest = hash << DistinctCounter::precision;
    // countl_zero(0) is 64; the cap keeps ranks within what the remaining 52 bits can say.
    const auto rank =
        static_cast<std::uint8_t>(std::min<int>(std::countl_zero(rest) + 1, max_rank));
    if (rank > registers[index]) registers[index] = rank;
}

constexpr char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const std::uint8_t* data, std::size_t size) {
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const std::uint32_t group =
            (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        out += base64_alphabet[(group >> 18) & 63];
        out += base64_alphabet[(group >> 12) & 63];
        out += base64_alphabet[(group >> 6) & 63];
        out += base64_alphabet[group & 63];
    }
    if (size - i == 1) {
        const std::uint32_t group = std::uint32_t{data[i]} << 16;
        out += base64_alphabet[(group >> 18) & 63];
        out += base64_alphabet[(group >> 12) & 63];
        out += "==";
    } else if (size - i == 2) {
        const std::uint32_t group =
            (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
        out += base64_alphabet[(group >> 18) & 63];
        out += base64_alphabet[(group >> 12) & 63];
        out += base64_alphabet[(group >> 6) & 63];
        out += '=';
    }
    return out;
}

int base64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

// Strict decoding: padded, no whitespace, and unused trailing bits zero, so that each state
// has exactly one accepted text. The text is measured against max_bytes before anything is
// allocated, since it comes from other machines.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text,
                                                       std::size_t max_bytes) {
    if (text.size() % 4 != 0) return std::nullopt;
    if (text.size() / 4 > (max_bytes + 2) / 3) return std::nullopt;
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') {
        ++padding;
        if (text[text.size() - 2] == '=') ++padding;
    }
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        const std::size_t pad_here = last ? padding : 0;
        std::uint32_t group = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            int value = 0;
            if (j < 4 - pad_here) {
                value = base64_value(text[i + j]);
                if (value < 0) return std::nullopt;
            }
            group = (group << 6) | static_cast<std::uint32_t>(value);
        }
        out.push_back(static_cast<std::uint8_t>(group >> 16));
        if (pad_here < 2) out.push_back(static_cast<std::uint8_t>(group >> 8));
        if (pad_here < 1) out.push_back(static_cast<std::uint8_t>(group));
        // The bits below the last written byte must be zero, or two texts would decode alike.
        if (pad_here == 2 && (group & 0xFFFF) != 0) return std::nullopt;
        if (pad_here == 1 && (group & 0xFF) != 0) return std::nullopt;
    }
    if (out.size() > max_bytes) return std::nullopt;
    return out;
}

}  // namespace

std::uint64_t stable_hash(std::string_view bytes) {
    return XXH3_64bits(bytes.data(), bytes.size());
}

DistinctCounter::DistinctCounter(const DistinctCounter& other)
    : exact_(other.exact_),
      registers_(other.registers_ ? std::make_unique<Registers>(*other.registers_) : nullptr) {}

DistinctCounter& DistinctCounter::operator=(const DistinctCounter& other) {
    if (this != &other) {
        DistinctCounter copy(other);
        *this = std::move(copy);
    }
    return *this;
}

void DistinctCounter::promote() {
    registers_ = std::make_unique<Registers>();
    registers_->fill(0);
    for (std::uint64_t hash : exact_)
        update_register(*registers_, hash);
    // The exact list is never used again; give its memory back, since there may be many keys.
    std::vector<std::uint64_t>().swap(exact_);
}

void DistinctCounter::add(std::uint64_t hash) {
    if (registers_) {
        update_register(*registers_, hash);
        return;
    }
    auto position = std::lower_bound(exact_.begin(), exact_.end(), hash);
    if (position != exact_.end() && *position == hash) return;
    exact_.insert(position, hash);
    if (exact_.size() >= exact_limit) promote();
}

void DistinctCounter::merge(const DistinctCounter& other) {
    if (this == &other) return;  // a set united with itself is unchanged
    if (!registers_ && !other.registers_) {
        std::vector<std::uint64_t> united;
        united.reserve(exact_.size() + other.exact_.size());
        std::set_union(exact_.begin(), exact_.end(), other.exact_.begin(), other.exact_.end(),
                       std::back_inserter(united));
        exact_ = std::move(united);
        if (exact_.size() >= exact_limit) promote();
        return;
    }
    if (!registers_) {
        // Start from the other side's registers and fold this side's hashes in.
        auto registers = std::make_unique<Registers>(*other.registers_);
        for (std::uint64_t hash : exact_)
            update_register(*registers, hash);
        registers_ = std::move(registers);
        std::vector<std::uint64_t>().swap(exact_);
        return;
    }
    if (!other.registers_) {
        for (std::uint64_t hash : other.exact_)
            update_register(*registers_, hash);
        return;
    }
    for (std::size_t i = 0; i < register_count; ++i) {
        (*registers_)[i] = std::max((*registers_)[i], (*other.registers_)[i]);
    }
}

std::uint64_t DistinctCounter::estimate() const {
    if (!registers_) return exact_.size();
    const double m = static_cast<double>(register_count);
    const double alpha = 0.7213 / (1.0 + 1.079 / m);
    double sum = 0.0;
    std::size_t zeros = 0;
    for (std::uint8_t value : *registers_) {
        sum += std::ldexp(1.0, -static_cast<int>(value));
        if (value == 0) ++zeros;
    }
    double estimate = alpha * m * m / sum;
    // Small-range correction (Flajolet et al.): linear counting is better while registers
    // are still empty. No large-range correction: a 64-bit hash does not saturate.
    if (estimate <= 2.5 * m && zeros != 0) {
        estimate = m * std::log(m / static_cast<double>(zeros));
    }
    return static_cast<std::uint64_t>(std::llround(estimate));
}

std::string DistinctCounter::serialize() const {
    if (registers_) return "h:" + base64_encode(registers_->data(), registers_->size());
    std::vector<std::uint8_t> bytes;
    bytes.reserve(exact_.size() * 8);
    // Little-endian by hand so the text is the same on every machine.
    for (std::uint64_t hash : exact_) {
        for (int shift = 0; shift < 64; shift += 8) {
            bytes.push_back(static_cast<std::uint8_t>(hash >> shift));
        }
    }
    return "e:" + base64_encode(bytes.data(), bytes.size());
}

std::optional<DistinctCounter> DistinctCounter::deserialize(std::string_view text) {
    if (text.size() < 2 || text[1] != ':') return std::nullopt;
    const char kind = text[0];
    const std::string_view body = text.substr(2);
    DistinctCounter counter;
    if (kind == 'h') {
        std::optional<std::vector<std::uint8_t>> bytes = base64_decode(body, register_count);
        if (!bytes || bytes->size() != register_count) return std::nullopt;
        auto registers = std::make_unique<Registers>();
        for (std::size_t i = 0; i < register_count; ++i) {
            if ((*bytes)[i] > max_rank) return std::nullopt;
            (*registers)[i] = (*bytes)[i];
        }
        counter.registers_ = std::move(registers);
        return counter;
    }
    if (kind != 'e') return std::nullopt;
    // An exact list at the limit would have been promoted, so it cannot come from a counter.
    std::optional<std::vector<std::uint8_t>> bytes = base64_decode(body, (exact_limit - 1) * 8);
    if (!bytes || bytes->size() % 8 != 0) return std::nullopt;
    counter.exact_.reserve(bytes->size() / 8);
    for (std::size_t i = 0; i < bytes->size(); i += 8) {
        std::uint64_t hash = 0;
        for (std::size_t j = 0; j < 8; ++j) {
            hash |= std::uint64_t{(*bytes)[i + j]} << (8 * j);
        }
        // Strictly increasing: sorted and without duplicates, as add() keeps it.
        if (!counter.exact_.empty() && hash <= counter.exact_.back()) return std::nullopt;
        counter.exact_.push_back(hash);
    }
    return counter;
}

bool DistinctCounter::operator==(const DistinctCounter& other) const {
    if (static_cast<bool>(registers_) != static_cast<bool>(other.registers_)) return false;
    if (registers_) return *registers_ == *other.registers_;
    return exact_ == other.exact_;
}

}  // namespace logsift
