// ASCII byte tests and case folding, for the parsers of configuration text, times and host
// names. Locale-free on purpose: <cctype> depends on the C locale and takes an int.
#pragma once

#include <string_view>

namespace logsift::ascii {

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
constexpr bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
// A blank separates words on one line; a space also ends lines.
constexpr bool is_blank(char c) {
    return c == ' ' || c == '\t';
}
constexpr bool is_space(char c) {
    return is_blank(c) || c == '\n' || c == '\r';
}
constexpr char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// text without the spaces (is_space) at either end.
constexpr std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

}  // namespace logsift::ascii
