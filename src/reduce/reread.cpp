// Reread: checks the columns of reduced records read back from a log. The values came from
// logsift, but a file on disk can be edited or be someone else's: each column is held to the
// grammar reduce writes, and anything else becomes the column's fixed "unknown" value.
#include "logsift/reduce/reread.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "logsift/reduce/agent_grammar.hpp"
#include "logsift/reduce/hosts.hpp"

namespace logsift {

std::size_t reread_network(std::string_view network, unsigned ipv4_prefix, unsigned ipv6_prefix,
                           const std::vector<Cidr>& filters, bool& selected, char* out) {
    std::optional<Cidr> logged = parse_cidr(network);
    if (!logged) {
        selected = filters.empty();
        return reduce_client(network, ipv4_prefix, ipv6_prefix, out);
    }
    // A network written before IPv4 addresses inside IPv6 ones were unwrapped (a 6to4 /48 holds
    // a whole IPv4 address) is unwrapped as reduce does it now, keeping the IPv4 bits it holds.
    if (logged->network.v6) {
        if (std::optional<IpAddress> inner = embedded_ipv4(logged->network)) {
            const bool six_to_four =
                logged->network.bytes[0] == 0x20 && logged->network.bytes[1] == 0x02;
            const int known = static_cast<int>(logged->prefix) - (six_to_four ? 16 : 96);
            if (known > 0) logged = Cidr{*inner, std::min(32u, static_cast<unsigned>(known))};
        }
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
    if (family.size() > 64) return other;
    // uap-core's literal names also hold `( ) / + & '` (Mobile Safari UI/WKWebView): each
    // piece between those must still be a product token.
    for (std::string_view rest = family; !rest.empty();) {
        const std::size_t cut = rest.find_first_of("()/+&'");
        std::string_view piece = rest.substr(0, cut);
        while (!piece.empty() && piece.front() == ' ')
            piece.remove_prefix(1);
        while (!piece.empty() && piece.back() == ' ')
            piece.remove_suffix(1);
        if (!piece.empty() && !is_product_token(piece, CaptureKind::product)) return other;
        if (cut == std::string_view::npos) break;
        rest.remove_prefix(cut + 1);
    }
    return family;
}

std::string_view reread_agent_version(std::string_view version) {
    // What reduce writes: major[.minor[.patch]], each part 1 to 6 digits.
    std::size_t parts = 0;
    for (std::string_view rest = version; !version.empty();) {
        const std::size_t dot = rest.find('.');
        if (++parts > 3 || !is_version_component(rest.substr(0, dot))) return {};
        if (dot == std::string_view::npos) break;
        rest.remove_prefix(dot + 1);
    }
    return version;
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
    if (country == "(other)") return "(other)";  // generalized by --k-anonymity
    return country.size() == 2 && upper(country[0]) && upper(country[1]) ? country
                                                                         : std::string_view{};
}

std::size_t reread_referrer_host(std::string_view host, unsigned ipv4_prefix, unsigned ipv6_prefix,
                                 char* out) {
    // The fixed words reduce writes for hosts it does not name: kept as written.
    if (host.size() > 2 && host.front() == '(' && host.back() == ')' &&
        std::all_of(host.begin() + 1, host.end() - 1,
                    [](char c) { return (c >= 'a' && c <= 'z') || c == '-'; })) {
        std::memcpy(out, host.data(), host.size());
        return host.size();
    }
    // A network an address literal was reduced to: cut, never widened, like a client's.
    if (host.find('/') != std::string_view::npos) {
        bool selected = true;
        if (!parse_cidr(host)) return 0;
        return reread_network(host, ipv4_prefix, ipv6_prefix, {}, selected, out);
    }
    std::array<char, 264> url;
    auto through_referrer_rules = [&](std::string_view before, std::string_view after) {
        if (before.size() + host.size() + after.size() > url.size()) return std::size_t{0};
        char* end = std::copy(before.begin(), before.end(), url.data());
        end = std::copy(host.begin(), host.end(), end);
        end = std::copy(after.begin(), after.end(), end);
        return reduce_referrer(
            std::string_view(url.data(), static_cast<std::size_t>(end - url.data())), ipv4_prefix,
            ipv6_prefix, out);
    };
    if (host.empty()) return 0;
    // An app referrer's scheme word ("android-app") stands for itself when the rules know it.
    if (host.find('.') == std::string_view::npos) {
        const std::size_t size = through_referrer_rules("", "://app");
        if (size != 0 && std::string_view(out, size) != "(other-scheme)") return size;
    }
    // A host name, as the host of a web URL: intranet names, addresses and names that hold
    // addresses get the words and networks reduce gives them today.
    return through_referrer_rules("http://", "");
}

}  // namespace logsift
