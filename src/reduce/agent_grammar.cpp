// The closed grammar of agent families and versions (see agent_grammar.hpp), and the look at a
// rule's pattern that tells whether its family capture is the client's free text. Plain byte
// loops: they run once per distinct agent, and at load once per rule.
#include "logsift/reduce/agent_grammar.hpp"

#include <array>
#include <cstddef>

namespace logsift {
namespace {

// The longest family a capture may give: uap-core's longest literal name has 31 bytes.
constexpr std::size_t max_family_bytes = 40;
constexpr int max_words = 6;
// "Sogou web spider" is the longest common crawler name the generic rules capture; a fourth
// word is where free text starts to say who or what rather than which program.
constexpr int max_free_text_words = 3;
// A run of digits this long is an id, a date or a phone number, not part of a product name.
constexpr int min_digit_run_refused = 6;
// Product names that mix letters and digits are short and hold few digits (MJ12bot, 360Spider,
// Site24x7, S3Gof3r); a longer mix (JohnDoeSecret123bot, TelemetrySpider2) is a person's or a
// deployment's name.
constexpr std::size_t max_mixed_word_bytes = 12;
constexpr int max_mixed_word_digits = 3;
// Hexadecimal words this long are hashes, keys or ids (deadbeef01).
constexpr std::size_t min_hex_token_bytes = 8;
constexpr std::size_t max_version_digits = 6;

bool is_letter(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_hex_letter(char c) {
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_separator(char c) {
    return c == ' ' || c == '.' || c == '_' || c == '-';
}

// One word of a family: letters, digits and `!`.
bool is_plain_word(std::string_view word) {
    int letters = 0, digits = 0, run = 0;
    bool all_hex = true;
    for (const char c : word) {
        if (is_digit(c)) {
            ++digits;
            if (++run >= min_digit_run_refused) return false;
            continue;
        }
        run = 0;
        if (is_letter(c)) {
            ++letters;
            all_hex = all_hex && is_hex_letter(c);
        } else if (c == '!') {
            all_hex = false;
        } else {
            return false;
        }
    }
    if (letters > 0 && digits > 0 &&
        (word.size() > max_mixed_word_bytes || digits > max_mixed_word_digits)) {
        return false;
    }
    return !(all_hex && digits > 0 && word.size() >= min_hex_token_bytes);
}

// Index of the `]` that closes the class opened at `open`, or the last index when none does.
std::size_t class_end(std::string_view pattern, std::size_t open) {
    std::size_t i = open + 1;
    if (i < pattern.size() && pattern[i] == '^') ++i;
    if (i < pattern.size() && pattern[i] == ']') ++i;  // a leading `]` is a member
    while (i < pattern.size()) {
        if (pattern[i] == '\\') {
            i += 2;
        } else if (pattern[i] == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
            const std::size_t close = pattern.find(":]", i + 2);
            if (close == std::string_view::npos) return pattern.size() - 1;
            i = close + 2;
        } else if (pattern[i] == ']') {
            return i;
        } else {
            ++i;
        }
    }
    return pattern.size() - 1;
}

// The index just after the `(` (and a `?P<name>`) of capture group `group`, or npos.
std::size_t capture_start(std::string_view pattern, int group) {
    int count = 0;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\') {
            ++i;
        } else if (c == '[') {
            i = class_end(pattern, i);
        } else if (c == '(') {
            const std::string_view rest = pattern.substr(i + 1);
            const bool named = rest.starts_with("?P<") || rest.starts_with("?<");
            if (!rest.starts_with("?") || named) {
                if (++count != group) continue;
                if (!named) return i + 1;
                const std::size_t close = pattern.find('>', i);
                return close == std::string_view::npos ? close : close + 1;
            }
        }
    }
    return std::string_view::npos;
}

}  // namespace

bool is_product_token(std::string_view token, CaptureKind kind) {
    if (token.empty() || token.size() > max_family_bytes) return false;
    const char first = token.front();
    if (!is_letter(first) && !is_digit(first)) return false;
    const char last = token.back();
    if (!is_letter(last) && !is_digit(last) && last != '!') return false;
    int words = 0;
    std::size_t i = 0;
    while (i < token.size()) {
        const std::size_t start = i;
        while (i < token.size() && !is_separator(token[i]))
            ++i;
        // An empty word is two separators in a row; the first and last bytes are no separator.
        if (i == start || !is_plain_word(token.substr(start, i - start))) return false;
        ++words;
        if (i < token.size()) ++i;
    }
    return words <= (kind == CaptureKind::free_text ? max_free_text_words : max_words);
}

bool is_version_component(std::string_view component) {
    if (component.empty() || component.size() > max_version_digits) return false;
    for (const char c : component) {
        if (!is_digit(c)) return false;
    }
    return true;
}

bool capture_is_free_text(std::string_view pattern, int group) {
    std::size_t i = capture_start(pattern, group);
    if (i == std::string_view::npos) return false;
    int depth = 0;
    while (i < pattern.size()) {
        const char c = pattern[i];
        if (c == '(') {
            ++depth;
            ++i;
            if (i < pattern.size() && pattern[i] == '?') {  // (?:  (?i:  (?P<name>
                while (i < pattern.size() && pattern[i] != ':' && pattern[i] != '>' &&
                       pattern[i] != ')')
                    ++i;
                ++i;
            }
            continue;
        }
        if (c == ')') {
            if (depth == 0) return false;  // the group ends before any run of any characters
            --depth;
            ++i;
            continue;
        }
        if (c == '|') return false;  // only the first alternative's start is looked at
        if (c == '^' || c == '$') {
            ++i;
            continue;
        }
        std::size_t atom_end;
        if (c == '\\') {
            const char escaped = i + 1 < pattern.size() ? pattern[i + 1] : '\0';
            if (escaped == 'b' || escaped == 'B' || escaped == 'A' || escaped == 'z') {
                i += 2;  // zero-width
                continue;
            }
            static constexpr std::string_view classes = "wWsSdDpP";
            if (classes.find(escaped) == std::string_view::npos) return false;  // a literal
            atom_end = i + 2;
            if ((escaped == 'p' || escaped == 'P') && atom_end < pattern.size() &&
                pattern[atom_end] == '{') {
                const std::size_t close = pattern.find('}', atom_end);
                atom_end = close == std::string_view::npos ? pattern.size() : close + 1;
            }
        } else if (c == '[') {
            atom_end = class_end(pattern, i) + 1;
        } else if (c == '.') {
            atom_end = i + 1;
        } else {
            return false;  // a literal character: the rule names the product
        }
        if (atom_end < pattern.size()) {
            const char quantifier = pattern[atom_end];
            if (quantifier == '*' || quantifier == '+' || quantifier == '{') return true;
        }
        i = atom_end;
        if (i < pattern.size() && pattern[i] == '?') ++i;
    }
    return false;
}

bool names_a_bot(std::string_view text) {
    static constexpr std::array<std::string_view, 6> words = {"bot",    "spider",   "crawl",
                                                              "scrape", "archiver", "indexer"};
    for (std::size_t i = 0; i < text.size(); ++i) {
        for (const std::string_view word : words) {
            if (text.size() - i < word.size()) continue;
            bool same = true;
            for (std::size_t j = 0; j < word.size() && same; ++j) {
                char c = text[i + j];
                if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
                same = c == word[j];
            }
            if (same) return true;
        }
    }
    return false;
}

}  // namespace logsift
