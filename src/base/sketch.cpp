// Sketch: the exact-then-HyperLogLog distinct counter and its text form. The state is a pure
// function of the set of hashes added, which is what lets summaries from several servers merge
// in any order into byte-identical output.
#include "logsift/base/sketch.hpp"

// Inlined: every log line hashes several short keys, and the library call dispatches on the
// length first. Same function, same values.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace logsift {
namespace {

constexpr std::size_t register_count = std::size_t{1} << DistinctCounter::precision;
// 64 hash bits minus the index bits, plus one: the rank of an all-zero remainder.
constexpr std::uint8_t max_rank = 64 - DistinctCounter::precision + 1;
static_assert(std::countl_zero(std::uint64_t{1} << (DistinctCounter::precision - 1)) + 1 ==
              max_rank);

std::uint32_t pair_of(std::uint32_t index, std::uint8_t rank) {
    return index << 8 | rank;
}

// 2^-rank, exactly as ldexp(1, -rank) gives it, without a libm call per register.
constexpr auto inverse_powers = [] {
    std::array<double, max_rank + 1> powers{};
    double power = 1.0;
    for (double& entry : powers) {
        entry = power;
        power /= 2;
    }
    return powers;
}();

// Exact blocks hold an odd number of hashes, the smallest that fits, so their capacity follows
// from the count: with malloc's 8-byte header, an odd count of 8-byte hashes fills its 16-byte
// granules exactly, and a block has at most one spare hash. A hundred thousand rows hold such
// sets; growing two hashes at a time costs a realloc every other new client of a row.
std::uint32_t exact_capacity(std::uint32_t size) {
    return size | 1;
}

template <typename T>
T* allocate(std::size_t count) {
    void* block = std::malloc(count * sizeof(T));
    if (!block) throw std::bad_alloc();
    return static_cast<T*>(block);
}

template <typename T>
T* reallocate(T* block, std::size_t count) {
    void* grown = std::realloc(block, count * sizeof(T));
    if (!grown) throw std::bad_alloc();
    return static_cast<T*>(grown);
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
    : size_(other.size_), kind_(other.kind_) {
    switch (kind_) {
        case Kind::exact:
            if (size_ <= inline_capacity) {
                std::copy_n(other.inline_, inline_capacity, inline_);
            } else {
                hashes_ = allocate<std::uint64_t>(exact_capacity(size_));
                std::copy_n(other.hashes_, size_, hashes_);
            }
            break;
        case Kind::sparse:
            pairs_ = allocate<std::uint32_t>(std::bit_ceil(size_));
            std::copy_n(other.pairs_, size_, pairs_);
            break;
        case Kind::dense:
            dense_ = new Registers(*other.dense_);
            break;
    }
}

DistinctCounter& DistinctCounter::operator=(const DistinctCounter& other) {
    if (this != &other) *this = DistinctCounter(other);
    return *this;
}

DistinctCounter::DistinctCounter(DistinctCounter&& other) noexcept {
    take(other);
}

DistinctCounter& DistinctCounter::operator=(DistinctCounter&& other) noexcept {
    if (this != &other) {
        release();
        take(other);
    }
    return *this;
}

// Copies the member of the union that other's kind makes active (reading another would be
// undefined), which leaves other owning nothing.
void DistinctCounter::take(DistinctCounter& other) noexcept {
    switch (other.kind_) {
        case Kind::exact:
            if (other.size_ <= inline_capacity) {
                std::copy_n(other.inline_, inline_capacity, inline_);
            } else {
                hashes_ = other.hashes_;
            }
            break;
        case Kind::sparse:
            pairs_ = other.pairs_;
            break;
        case Kind::dense:
            dense_ = other.dense_;
            break;
    }
    size_ = other.size_;
    kind_ = other.kind_;
    other.size_ = 0;
    other.kind_ = Kind::exact;
}

DistinctCounter::~DistinctCounter() {
    release();
}

void DistinctCounter::release() {
    if (kind_ == Kind::exact && size_ > inline_capacity) std::free(hashes_);
    if (kind_ == Kind::sparse) std::free(pairs_);
    if (kind_ == Kind::dense) delete dense_;
}

// Registers as the dense array, whatever the representation.
DistinctCounter::Registers DistinctCounter::registers() const {
    Registers registers{};
    if (kind_ == Kind::dense) return *dense_;
    for (std::uint32_t i = 0; i < size_; ++i)
        registers[pairs_[i] >> 8] = static_cast<std::uint8_t>(pairs_[i]);
    return registers;
}

// Becomes the HyperLogLog with these registers, sparse or dense by the count of nonzero ones.
void DistinctCounter::set_registers(const Registers& registers) {
    const auto nonzero =
        static_cast<std::size_t>(registers.size() - static_cast<std::size_t>(std::count(
                                                        registers.begin(), registers.end(), 0)));
    if (nonzero > sparse_limit) {
        auto* dense = new Registers(registers);
        release();
        dense_ = dense;
        kind_ = Kind::dense;
        size_ = 0;
        return;
    }
    auto* pairs = allocate<std::uint32_t>(std::bit_ceil(std::max<std::size_t>(nonzero, 1)));
    std::uint32_t count = 0;
    for (std::uint32_t i = 0; i < register_count; ++i) {
        if (registers[i] != 0) pairs[count++] = pair_of(i, registers[i]);
    }
    release();
    pairs_ = pairs;
    kind_ = Kind::sparse;
    size_ = count;
}

void DistinctCounter::promote(const std::uint64_t* first, const std::uint64_t* last) {
    Registers registers{};
    for (; first != last; ++first) {
        std::uint8_t& value = registers[register_index(*first)];
        value = std::max(value, register_rank(*first));
    }
    set_registers(registers);
}

void DistinctCounter::update(std::uint32_t index, std::uint8_t rank) {
    if (kind_ == Kind::dense) {
        std::uint8_t& value = (*dense_)[index];
        if (rank > value) value = rank;
        return;
    }
    std::uint32_t* end = pairs_ + size_;
    std::uint32_t* position =
        find_place(pairs_, size_, pair_of(index, 0), index << (32 - precision));
    if (position != end && *position >> 8 == index) {
        if (rank > static_cast<std::uint8_t>(*position)) *position = pair_of(index, rank);
        return;
    }
    if (std::has_single_bit(size_)) {  // the block is full
        if (size_ == sparse_limit) {
            Registers dense = registers();
            dense[index] = rank;
            set_registers(dense);
            return;
        }
        const auto offset = position - pairs_;
        pairs_ = reallocate(pairs_, std::size_t{size_} * 2);
        position = pairs_ + offset;
        end = pairs_ + size_;
    }
    std::memmove(position + 1, position, static_cast<std::size_t>(end - position) * 4);
    *position = pair_of(index, rank);
    ++size_;
}

void DistinctCounter::update(std::uint64_t hash) {
    update(register_index(hash), register_rank(hash));
}

void DistinctCounter::add_exact(std::uint64_t hash) {
    std::uint64_t* data = exact_data();
    std::uint64_t* end = data + size_;
    std::uint64_t* position = find_place(data, size_, hash, static_cast<std::uint32_t>(hash >> 32));
    if (position != end && *position == hash) return;
    if (size_ + 1 >= exact_limit) {
        promote(data, end);
        update(hash);
        return;
    }
    const auto offset = position - data;
    if (size_ == inline_capacity) {
        auto* block = allocate<std::uint64_t>(exact_capacity(size_ + 1));
        std::copy_n(inline_, size_, block);
        hashes_ = block;
        data = block;
    } else if (size_ > inline_capacity && exact_capacity(size_) == size_) {  // full
        hashes_ = reallocate(hashes_, exact_capacity(size_ + 1));
        data = hashes_;
    }
    position = data + offset;
    std::memmove(position + 1, position, static_cast<std::size_t>(size_ - offset) * 8);
    *position = hash;
    ++size_;
}

void DistinctCounter::add_sparse_or_exact(std::uint64_t hash) {
    if (kind_ == Kind::exact) {
        add_exact(hash);
    } else {
        update(hash);
    }
}

void DistinctCounter::merge(const DistinctCounter& other) {
    if (this == &other) return;  // a set united with itself is unchanged
    if (kind_ == Kind::exact && other.kind_ == Kind::exact) {
        // Merges run for every row a worker hands over: no heap for the union.
        std::array<std::uint64_t, 2 * (exact_limit - 1)> united;
        const auto united_end =
            std::set_union(exact_data(), exact_data() + size_, other.exact_data(),
                           other.exact_data() + other.size_, united.begin());
        const auto size = static_cast<std::uint32_t>(united_end - united.begin());
        if (size >= exact_limit) {
            promote(united.data(), united.data() + size);
            return;
        }
        const bool on_heap = size_ > inline_capacity;
        if (size > inline_capacity && (!on_heap || exact_capacity(size) != exact_capacity(size_))) {
            std::uint64_t* block = allocate<std::uint64_t>(exact_capacity(size));
            release();
            hashes_ = block;
        }
        std::copy(united.begin(), united_end, size > inline_capacity ? hashes_ : inline_);
        size_ = size;
        return;
    }
    if (kind_ == Kind::exact) {
        // Start from the other side's registers and fold this side's hashes in.
        DistinctCounter united(other);
        for (std::uint32_t i = 0; i < size_; ++i)
            united.update(exact_data()[i]);
        *this = std::move(united);
        return;
    }
    if (other.kind_ == Kind::exact) {
        for (std::uint32_t i = 0; i < other.size_; ++i)
            update(other.exact_data()[i]);
        return;
    }
    Registers registers = this->registers();
    const Registers theirs = other.registers();
    for (std::size_t i = 0; i < register_count; ++i)
        registers[i] = std::max(registers[i], theirs[i]);
    set_registers(registers);
}

std::uint64_t DistinctCounter::estimate() const {
    if (kind_ == Kind::exact) return size_;
    const Registers registers = this->registers();
    const double m = static_cast<double>(register_count);
    const double alpha = 0.7213 / (1.0 + 1.079 / m);
    double sum = 0.0;
    std::size_t zeros = 0;
    for (std::uint8_t value : registers) {
        sum += inverse_powers[value];
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

std::uint64_t DistinctCounter::lower_bound(std::uint64_t estimate) const {
    if (kind_ == Kind::exact) return estimate;
    const double bound = static_cast<double>(estimate) * (1.0 - 3.0 * largest_standard_error);
    return static_cast<std::uint64_t>(std::floor(bound));
}

std::string DistinctCounter::serialize() const {
    if (kind_ != Kind::exact) {
        const Registers registers = this->registers();
        return "h:" + base64_encode(registers.data(), registers.size());
    }
    std::vector<std::uint8_t> bytes;
    bytes.reserve(std::size_t{size_} * 8);
    // Little-endian by hand so the text is the same on every machine.
    for (std::uint32_t i = 0; i < size_; ++i) {
        for (int shift = 0; shift < 64; shift += 8) {
            bytes.push_back(static_cast<std::uint8_t>(exact_data()[i] >> shift));
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
        Registers registers;
        for (std::size_t i = 0; i < register_count; ++i) {
            if ((*bytes)[i] > max_rank) return std::nullopt;
            registers[i] = (*bytes)[i];
        }
        counter.set_registers(registers);
        return counter;
    }
    if (kind != 'e') return std::nullopt;
    // An exact list at the limit would have been promoted, so it cannot come from a counter.
    std::optional<std::vector<std::uint8_t>> bytes = base64_decode(body, (exact_limit - 1) * 8);
    if (!bytes || bytes->size() % 8 != 0) return std::nullopt;
    for (std::size_t i = 0; i < bytes->size(); i += 8) {
        std::uint64_t hash = 0;
        for (std::size_t j = 0; j < 8; ++j) {
            hash |= std::uint64_t{(*bytes)[i + j]} << (8 * j);
        }
        // Strictly increasing: sorted and without duplicates, as add() keeps it.
        if (counter.size_ != 0 && hash <= counter.exact_data()[counter.size_ - 1]) {
            return std::nullopt;
        }
        counter.add_exact(hash);
    }
    return counter;
}

void DistinctCounter::append_raw(std::string& out) const {
    const char header[] = {static_cast<char>(kind_)};
    out.append(header, 1);
    out.append(reinterpret_cast<const char*>(&size_), sizeof size_);
    switch (kind_) {
        case Kind::exact:
            out.append(reinterpret_cast<const char*>(exact_data()), std::size_t{size_} * 8);
            break;
        case Kind::sparse:
            out.append(reinterpret_cast<const char*>(pairs_), std::size_t{size_} * 4);
            break;
        case Kind::dense:
            out.append(reinterpret_cast<const char*>(dense_->data()), dense_->size());
            break;
    }
}

std::optional<DistinctCounter> DistinctCounter::read_raw(std::string_view& bytes) {
    std::uint32_t size = 0;
    if (bytes.size() < 1 + sizeof size) return std::nullopt;
    const auto kind = static_cast<Kind>(bytes[0]);
    std::memcpy(&size, bytes.data() + 1, sizeof size);
    const std::size_t body = kind == Kind::exact    ? std::size_t{size} * 8
                             : kind == Kind::sparse ? std::size_t{size} * 4
                                                    : register_count;
    if (kind > Kind::dense || (kind == Kind::exact && size >= exact_limit) ||
        (kind == Kind::sparse && (size == 0 || size > sparse_limit)) ||
        bytes.size() - 1 - sizeof size < body) {
        return std::nullopt;
    }
    const char* data = bytes.data() + 1 + sizeof size;
    DistinctCounter counter;
    counter.kind_ = kind;
    counter.size_ = size;
    switch (kind) {
        case Kind::exact:
            if (size > inline_capacity)
                counter.hashes_ = allocate<std::uint64_t>(exact_capacity(size));
            std::memcpy(counter.exact_data(), data, body);
            break;
        case Kind::sparse:
            counter.pairs_ = allocate<std::uint32_t>(std::bit_ceil(size));
            std::memcpy(counter.pairs_, data, body);
            break;
        case Kind::dense:
            counter.dense_ = new Registers;
            std::memcpy(counter.dense_->data(), data, body);
            break;
    }
    bytes.remove_prefix(1 + sizeof size + body);
    return counter;
}

bool DistinctCounter::operator==(const DistinctCounter& other) const {
    if (kind_ != other.kind_ || size_ != other.size_) return false;
    switch (kind_) {
        case Kind::exact:
            return std::equal(exact_data(), exact_data() + size_, other.exact_data());
        case Kind::sparse:
            return std::equal(pairs_, pairs_ + size_, other.pairs_);
        case Kind::dense:
            return *dense_ == *other.dense_;
    }
    return false;
}

}  // namespace logsift
