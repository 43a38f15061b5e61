// Format scanner: one line -> the views of its fields, following the steps the compiler made.
// This runs once per log line: no allocation, and the separators are searched 16 bytes at a
// time.
#include "logsift/format/format.hpp"

#include "logsift/base/ascii.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace logsift {
namespace {

using Step = LogFormat::Step;
using StepType = LogFormat::StepType;
using ascii::is_digit;

bool is_status(std::string_view text) {
    return text.size() == 3 && is_digit(text[0]) && is_digit(text[1]) && is_digit(text[2]);
}

bool is_count(std::string_view text) {
    if (text == "-") return true;
    return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

bool is_port(std::string_view text) {
    return !text.empty() && text.size() <= 5 && std::all_of(text.begin(), text.end(), is_digit);
}

// Literal separators are a few bytes long: comparing them inline beats the out-of-line
// string_view::compare and memcmp that the scan would otherwise call several times per line.
// pos is at most line.size().
bool has_at(std::string_view line, std::size_t pos, std::string_view literal) {
    if (line.size() - pos < literal.size()) return false;
    const char* at = line.data() + pos;
    for (char c : literal) {
        if (*at++ != c) return false;
    }
    return true;
}

using Repeated = std::array<char, 16>;

constexpr Repeated repeated(char c) {
    Repeated bytes{};
    bytes.fill(c);
    return bytes;
}

// The first byte at or after at that is a[0] or b[0], or nullptr. Fields are a few to a hundred
// bytes long: a library memchr per field, two per quoted field, costs more in calls than in
// search. The bytes come repeated, so that loading them is all it takes to compare 16 at once.
const char* find_either(const char* at, const char* end, const Repeated& a, const Repeated& b) {
#if defined(__SSE2__)
    if (end - at >= 16) {
        const __m128i want_a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.data()));
        const __m128i want_b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.data()));
        auto hits = [&](const char* block) {
            const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));
            return static_cast<unsigned>(_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(bytes, want_a), _mm_cmpeq_epi8(bytes, want_b))));
        };
        for (; end - at >= 16; at += 16) {
            if (unsigned found = hits(at)) return at + std::countr_zero(found);
        }
        if (at == end) return nullptr;
        // The last few bytes: one block that ends at `end`, less the bytes already searched.
        const char* last = end - 16;
        unsigned found = hits(last) >> (at - last);
        return found ? at + std::countr_zero(found) : nullptr;
    }
#endif
    for (; at < end; ++at) {
        if (*at == a[0] || *at == b[0]) return at;
    }
    return nullptr;
}

bool is_token_kind(FieldKind kind) {
    switch (kind) {
        case FieldKind::client:
        case FieldKind::remote_user:
        case FieldKind::method:
        case FieldKind::protocol:
        case FieldKind::status:
        case FieldKind::bytes:
        case FieldKind::vhost:
        case FieldKind::port:
        case FieldKind::network:
        case FieldKind::agent_version:
        case FieldKind::agent_class:
        case FieldKind::referrer_host:
        case FieldKind::country:
            return true;
        default:
            return false;
    }
}

}  // namespace

void LogFormat::prepare_scan() {
    std::size_t i = 0;
    if (steps_[0].type == StepType::literal) lead_ = steps_[i++].literal;
    while (i < steps_.size()) {
        const Step& step = steps_[i];
        ScanField& field = scan_fields_.emplace_back();
        field.kind = step.kind;
        field.quoted = step.quoted;
        field.numeric = step.numeric;
        // Servers write these as single tokens. Letting them run to a later separator would
        // let `combined` swallow a vhost prefix or an X-Forwarded-For list into its client
        // field and claim lines it does not describe.
        field.single_word = is_token_kind(step.kind);
        field.may_be_empty = (present_ & (1u << static_cast<unsigned>(FieldKind::network))) != 0;
        field.pair = i + 1 < steps_.size() && steps_[i + 1].type == StepType::field;
        if (field.pair) field.query_kind = steps_[++i].kind;
        if (++i < steps_.size()) field.follow = steps_[i++].literal;

        std::array<unsigned char, sizeof field.head> mask{};
        const std::size_t head_size = std::min(field.follow.size(), mask.size());
        std::fill_n(mask.begin(), head_size, 0xff);
        std::memcpy(&field.head_mask, mask.data(), mask.size());
        std::memcpy(&field.head, field.follow.data(), head_size);
        char stop = ' ';
        char also = ' ';
        if (field.quoted) {
            stop = '"';
            also = '\\';
        } else if (!field.follow.empty()) {
            stop = field.follow[0];
            also = field.single_word ? ' ' : stop;
        }
        field.stop = repeated(stop);
        field.also = repeated(also);
    }
}

inline bool LogFormat::ScanField::follows_at(const char* at, const char* end) const {
    const auto left = static_cast<std::size_t>(end - at);
    if (left < sizeof head) return has_at(std::string_view(at, left), 0, follow);
    std::uint64_t bytes;
    std::memcpy(&bytes, at, sizeof bytes);
    if ((bytes & head_mask) != head) return false;
    return follow.size() <= sizeof head || has_at(std::string_view(at, left), sizeof head,
                                                  std::string_view(follow).substr(sizeof head));
}

std::optional<ScanError> LogFormat::scan(std::string_view line, Fields& fields) const {
    constexpr std::size_t npos = std::string_view::npos;
    fields.present = present_;
    if (line.empty()) return ScanError{"empty line", 1};
    if (!has_at(line, 0, lead_)) {
        bool cut = line.size() < lead_.size() && lead_.starts_with(line);
        return ScanError{cut ? "line ends early" : "missing separator", 1};
    }
    const char* const begin = line.data();
    const char* const line_end = begin + line.size();
    std::size_t pos = lead_.size();
    for (const ScanField& field : scan_fields_) {
        // One search per field for the bytes where it may end, and a look at each one found.
        const char* at = begin + pos;
        for (;; ++at) {
            at = find_either(at, line_end, field.stop, field.also);
            if (at == nullptr || field.follow.empty() || field.follows_at(at, line_end)) break;
            if (field.quoted) {
                if (*at == '\\') {
                    if (line_end - at < 2) {
                        at = nullptr;
                        break;
                    }
                    ++at;  // and the loop's: the escaped byte, even a quote, is in the field
                } else if (static_cast<std::size_t>(line_end - at) < field.follow.size() &&
                           field.follow.starts_with(std::string_view(at, line_end - at))) {
                    return ScanError{"line ends early", pos + 1};
                }
            } else if (field.single_word && *at == ' ') {
                // The line is bad either way: which error it gets depends on whether the
                // separator comes at all.
                if (line.find(field.follow, static_cast<std::size_t>(at - begin)) != npos) {
                    return ScanError{"space inside a single-word field", pos + 1};
                }
                at = nullptr;
                break;
            }
        }
        std::size_t end = line.size();
        if (at != nullptr) {
            end = static_cast<std::size_t>(at - begin);
        } else if (field.quoted) {
            return ScanError{"unterminated quoted field", pos + 1};
        } else if (!field.follow.empty()) {
            return ScanError{pos >= line.size() ? "line ends early" : "missing separator", pos + 1};
        }
        std::string_view text(begin + pos, end - pos);

        if (field.pair) {
            // Cut by hand: substr is a call that takes text's address, which kept text on the
            // stack for every field, to be stored from there by a 16-byte load of two 8-byte
            // stores, which the CPU cannot forward (perf saw a stall there).
            const auto* question =
                static_cast<const char*>(std::memchr(text.data(), '?', text.size()));
            const std::size_t path_size =
                question ? static_cast<std::size_t>(question - text.data()) : text.size();
            fields.value[static_cast<std::size_t>(field.kind)] = {text.data(), path_size};
            fields.value[static_cast<std::size_t>(field.query_kind)] = {text.data() + path_size,
                                                                        text.size() - path_size};
        } else {
            if (field.kind == FieldKind::status && !is_status(text) &&
                !(field.may_be_empty && text.empty())) {
                return ScanError{"status is not a number", pos + 1};
            }
            if (field.numeric && !is_count(text) && !(field.may_be_empty && text.empty())) {
                return ScanError{"bytes is not a number", pos + 1};
            }
            if (field.kind == FieldKind::port && !is_port(text)) {
                return ScanError{"port is not a number", pos + 1};
            }
            if (field.kind != FieldKind::opaque) {
                fields.value[static_cast<std::size_t>(field.kind)] = text;
            }
        }
        pos = end + field.follow.size();
    }
    // Only "\n" ends a line. A "\r" in the text after the last field means a log written with
    // "\r" line ends alone, where this one "line" holds many: taking its first and ignoring the
    // rest would lose them silently.
    static constexpr Repeated carriage_returns = repeated('\r');
    if (const char* cr = find_either(begin + pos, line_end, carriage_returns, carriage_returns)) {
        return ScanError{"carriage return inside the line",
                         static_cast<std::size_t>(cr - begin) + 1};
    }
    return std::nullopt;
}

}  // namespace logsift
