// Reread: checks the columns of reduced records read back from a log. The values came from
// logsift, but a file on disk can be edited or be someone else's: each column is held to the
// grammar reduce writes, and anything else becomes the column's fixed "unknown" value.
#include "logsift/reread.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace logsift {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// A run of six or more digits is a number (an address, a phone number, an id), never part
// of a product name.
bool has_long_digit_run(std::string_view text) {
    std::size_t run = 0;
    for (char c : text) {
        run = is_digit(c) ? run + 1 : 0;
        if (run >= 6) return true;
    }
    return false;
}

}  // namespace

std::size_t reread_network(std::string_view network, unsigned ipv4_prefix, unsigned ipv6_prefix,
                           const std::vector<Cidr>& filters, bool& selected, char* out) {
    std::optional<Cidr> logged = parse_cidr(network);
    if (!logged) {
        selected = filters.empty();
        return reduce_client(network, ipv4_prefix, ipv6_prefix, out);
    }
    const unsigned prefix =
        std::min(logged->prefix, logged->network.v6 ? ipv6_prefix : ipv4_prefix);
    // A network is inside a --client network only as a whole: its prefix at least as long.
    selected =
        filters.empty() || std::any_of(filters.begin(), filters.end(), [&](const Cidr& filter) {
            return filter.network.v6 == logged->network.v6 && logged->prefix >= filter.prefix &&
                   ip_in_network(logged->network, filter.network, filter.prefix);
        });
    return format_network(truncate_ip(logged->network, prefix), prefix, out);
}

std::string_view reread_agent_family(std::string_view family) {
    static constexpr std::string_view other = "Other";
    if (family.empty()) return family;  // the log had no user agent
    if (family.size() > 64 || !is_alnum(family.front())) return other;
    for (char c : family) {
        if (!is_alnum(c) && std::strchr(" ._-+!&()/'%", c) == nullptr) return other;
    }
    return has_long_digit_run(family) ? other : family;
}

std::string_view reread_agent_version(std::string_view version) {
    if (version.size() > 40) return {};
    std::size_t components = 1;
    std::size_t length = 0;
    for (char c : version) {
        if (c == '.') {
            if (length == 0 || ++components > 4) return {};
            length = 0;
        } else if (is_alnum(c) || c == '_' || c == '-') {
            if (++length > 12) return {};
        } else {
            return {};
        }
    }
    return length == 0 && !version.empty() ? std::string_view{} : version;
}

std::string_view reread_agent_class(std::string_view agent_class) {
    if (agent_class.empty()) return agent_class;
    for (std::string_view name : {"browser", "bot", "tool", "other"}) {
        if (agent_class == name) return name;
    }
    return "other";
}

std::string_view reread_country(std::string_view country) {
    auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    return country.size() == 2 && upper(country[0]) && upper(country[1]) ? country
                                                                         : std::string_view{};
}

std::size_t reread_referrer_host(std::string_view host, char* out) {
    // reduce_referrer takes a URL; "//host" is the protocol-relative one, host alone.
    std::array<char, 260> url;
    if (host.empty() || host.size() + 2 > url.size()) return 0;
    url[0] = url[1] = '/';
    std::memcpy(url.data() + 2, host.data(), host.size());
    return reduce_referrer(std::string_view(url.data(), host.size() + 2), out);
}

}  // namespace logsift
