// Validate: the column grammars of validate.hpp. These run once per row of a summary read back,
// never per log line, so they favour plain code over speed.
#include "logsift/aggregate/validate.hpp"

#include "logsift/base/ascii.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "logsift/reduce/anonymize.hpp"

namespace logsift {
namespace {

using ascii::is_digit;

bool is_lower(char c) {
    return c >= 'a' && c <= 'z';
}
bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}
bool is_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

// The value of digits (all of them decimal), or nullopt.
std::optional<unsigned> decimal(std::string_view digits) {
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_digit)) return std::nullopt;
    unsigned value = 0;
    for (char c : digits)
        value = value * 10 + static_cast<unsigned>(c - '0');
    return value;
}

// A network exactly as format_network writes it after truncate_ip: parsed, it must print back
// byte for byte, which rejects host bits, leading zeros, upper-case hex, non-RFC 5952 forms
// and IPv4-mapped notation; and its length must be the one the summary declares.
bool canonical_network(std::string_view value, unsigned ipv4_prefix, unsigned ipv6_prefix) {
    const std::size_t slash = value.find('/');
    if (slash == std::string_view::npos) return false;
    const std::optional<Cidr> cidr = parse_cidr(value);
    if (!cidr) return false;
    const unsigned declared = cidr->network.v6 ? ipv6_prefix : ipv4_prefix;
    if (cidr->prefix != declared) return false;
    std::array<char, 64> text{};
    const std::size_t size = format_network(cidr->network, cidr->prefix, text.data());
    return std::string_view(text.data(), size) == value;
}

bool is_leap(unsigned year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned days_in_month(unsigned year, unsigned month) {
    constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

// "(word)": a fixed token the reducers write in place of a value, such as `(internal)`.
bool fixed_token(std::string_view value) {
    if (value.size() < 3 || value.size() > 42 || value.front() != '(' || value.back() != ')') {
        return false;
    }
    const std::string_view word = value.substr(1, value.size() - 2);
    return std::all_of(word.begin(), word.end(), [](char c) {
        return is_lower(c) || is_digit(c) || c == '-' || c == '_' || c == '.' || c == ' ';
    });
}

}  // namespace

bool valid_host_name(std::string_view value) {
    if (value.empty() || value.size() > 253) return false;
    bool letter = false;
    char previous = '.';
    for (char c : value) {
        if (is_lower(c)) {
            letter = true;
        } else if (c == '.') {
            if (previous == '.') return false;
        } else if (!is_digit(c) && c != '-' && c != '_') {
            return false;
        }
        previous = c;
    }
    return previous != '.' && letter;
}

bool valid_network(std::string_view value, unsigned ipv4_prefix, unsigned ipv6_prefix) {
    if (value == "invalid") return true;
    if (value.find('/') != std::string_view::npos) {
        return canonical_network(value, ipv4_prefix, ipv6_prefix);
    }
    // A registrable domain has a public suffix and one label more; a client's name is read
    // without '_' (what a resolver returns).
    return valid_host_name(value) && value.find('.') != std::string_view::npos &&
           value.find('_') == std::string_view::npos;
}

bool valid_referrer_host(std::string_view value, unsigned ipv4_prefix, unsigned ipv6_prefix) {
    if (value.find('/') != std::string_view::npos) {
        return canonical_network(value, ipv4_prefix, ipv6_prefix);
    }
    return fixed_token(value) || valid_host_name(value);
}

bool valid_country(std::string_view value) {
    // "(other)": a country reduce --k-anonymity generalized, read back from its records.
    return (value.size() == 2 && is_upper(value[0]) && is_upper(value[1])) || value == "(other)";
}

bool valid_agent(std::string_view value) {
    if (value.empty() || value.size() > 160 || value.front() == ' ' || value.back() == ' ') {
        return false;
    }
    // A family is a rule's literal name (which may hold `( ) / + & '`) or a product token, and
    // a version is digits and dots: none holds '@' or '=' (e-mail addresses, key=value
    // secrets), ':' or ';' (URLs, parameter lists) or '%' (an escaped byte of free text).
    return std::none_of(value.begin(), value.end(), [](char c) {
        return is_control(c) || c == '@' || c == '=' || c == ':' || c == ';' || c == '%';
    });
}

bool valid_agent_class(std::string_view value) {
    return value == "browser" || value == "bot" || value == "tool" || value == "other";
}

bool valid_status_class(std::string_view value) {
    return value.size() == 3 && is_digit(value[0]) && value[1] == 'x' && value[2] == 'x';
}

bool valid_resource(std::string_view value) {
    // Other control bytes and NUL can be in a logged path; a line break cannot, since it ends
    // the line (a carriage return inside a line makes it a bad line).
    return !value.empty() && value.find_first_of("\n\r") == std::string_view::npos;
}

bool valid_period_label(std::string_view value, Period period) {
    if (period == Period::all) return value == "all";
    if (value == "unknown") return true;
    if (value.size() < 7 || value[4] != '-' || !decimal(value.substr(0, 4))) return false;
    const unsigned year = *decimal(value.substr(0, 4));
    switch (period) {
        case Period::week: {
            if (value.size() != 8 || value[5] != 'W') return false;
            const std::optional<unsigned> week = decimal(value.substr(6, 2));
            return week && *week >= 1 && *week <= 53;
        }
        case Period::month:
        case Period::day: {
            const std::optional<unsigned> month = decimal(value.substr(5, 2));
            if (!month || *month < 1 || *month > 12) return false;
            if (period == Period::month) return value.size() == 7;
            if (value.size() != 10 || value[7] != '-') return false;
            const std::optional<unsigned> day = decimal(value.substr(8, 2));
            return day && *day >= 1 && *day <= days_in_month(year, *month);
        }
        case Period::all:
            break;
    }
    return false;
}

bool valid_source_value(Dimension dimension, std::string_view value,
                        const SummarySettings& settings) {
    switch (dimension) {
        case Dimension::referrer_host:
            return valid_referrer_host(value, settings.ipv4_prefix, settings.ipv6_prefix);
        case Dimension::network:
            return valid_network(value, settings.ipv4_prefix, settings.ipv6_prefix);
        case Dimension::country:
            return valid_country(value);
        case Dimension::agent:
            return valid_agent(value);
        case Dimension::agent_class:
            return valid_agent_class(value);
        case Dimension::status_class:
            return valid_status_class(value);
    }
    return false;
}

}  // namespace logsift
