// Hosts: client host names, referrer hosts and virtual hosts. Referrers and virtual hosts are
// reduced once per log line, so the checks are byte loops with early exits; libpsl is asked
// only about the rare names that hold an address or come from HostnameLookups.
#include "logsift/reduce/hosts.hpp"

#include "logsift/base/ascii.hpp"
#include "logsift/base/byte_class.hpp"

#include <libpsl.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "logsift/reduce/anonymize.hpp"

namespace logsift {
namespace {

using ascii::is_alpha;
using ascii::is_digit;

constexpr std::size_t max_host_length = 253;  // DNS limit for a name in text form
constexpr std::size_t max_label_length = 63;

bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

// What we accept in a referrer's host: letters, digits, '.', '-', '_'. A table, because
// every referrer's host is read byte by byte.
constexpr std::array<bool, 256> host_bytes = letters_digits_and(".-_");

std::size_t write_token(std::string_view token, char* out) {
    std::memcpy(out, token.data(), token.size());
    return token.size();
}

// The Public Suffix List, loaded once: the newest of the system file and the built-in copy.
// Function-local static initialisation is thread-safe; lookups only read the context.
const psl_ctx_t* public_suffixes() {
    struct Holder {
        psl_ctx_t* context;
        Holder() : context(psl_latest(nullptr)) {}
        ~Holder() { psl_free(context); }  // psl_free ignores the built-in context
        Holder(const Holder&) = delete;
        Holder& operator=(const Holder&) = delete;
    };
    static const Holder holder;
    return holder.context != nullptr ? holder.context : psl_builtin();
}

// Letters, digits, '-' and '.', with at least one letter, no empty label: what a resolver can
// have returned for HostnameLookups. Writes the lower-case name into out.
bool lower_host_name(std::string_view text, char* out, std::size_t capacity) {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);  // the root label
    if (text.empty() || text.size() >= capacity) return false;
    bool letter = false;
    char previous = '.';
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (is_alpha(c)) {
            letter = true;
        } else if (c == '.') {
            if (previous == '.') return false;
        } else if (!is_digit(c) && c != '-') {
            return false;
        }
        out[i] = ascii::lower(c);
        previous = c;
    }
    return letter;
}

// Names that only resolve inside a network: single labels (intranet short names) and the
// special-use and customary private domains (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal,
// and the common home-router and enterprise ones).
// Judged on the last label, found by the caller: this runs for every referrer.
bool is_internal_name(std::string_view name, std::size_t last_dot) {
    if (last_dot == std::string_view::npos) return true;
    const std::string_view last = name.substr(last_dot + 1);
    for (std::string_view word : {"localhost", "localdomain", "local", "internal", "lan", "home",
                                  "corp", "intranet", "private"}) {
        if (last == word) return true;
    }
    const std::string_view rest = name.substr(0, last_dot);
    return last == "arpa" && (rest == "home" || rest.ends_with(".home"));
}

// WHATWG's "ends in a number": a host whose last label is decimal or 0x-hex is an IPv4 host
// to browsers, or invalid when it does not parse as one.
bool ends_in_number(std::string_view name, std::size_t last_dot) {
    std::string_view last = last_dot == std::string_view::npos ? name : name.substr(last_dot + 1);
    if (last.empty()) return false;
    if (std::all_of(last.begin(), last.end(), is_digit)) return true;
    if (last.size() < 2 || last[0] != '0' || (last[1] != 'x' && last[1] != 'X')) return false;
    return std::all_of(last.begin() + 2, last.end(),
                       [](char c) { return is_hex(ascii::lower(c)); });
}

// "2001-db8--1": IPv6 text with '-' for ':', as sslip.io reads it.
bool is_dashed_ipv6_label(std::string_view label) {
    if (label.size() < 3 || label.size() > 45 || std::count(label.begin(), label.end(), '-') < 2 ||
        std::none_of(label.begin(), label.end(), is_digit))
        return false;
    char text[48];
    for (std::size_t i = 0; i < label.size(); ++i) {
        if (label[i] != '-' && !is_hex(label[i])) return false;
        text[i] = label[i] == '-' ? ':' : label[i];
    }
    std::optional<IpAddress> address = parse_ip({text, label.size()});
    return address && address->v6;
}

std::size_t write_referrer_address(const IpAddress& address, unsigned ipv4_prefix,
                                   unsigned ipv6_prefix, char* out) {
    if (is_internal_address(address)) return write_token("(internal)", out);
    return format_client_network(address, ipv4_prefix, ipv6_prefix, out);
}

// Only these schemes name a site by a host; any other scheme's "host" is an app's package name,
// an extension id or a path, so the scheme's word stands for it.
bool is_web_scheme(std::string_view scheme) {
    auto equals = [&](std::string_view word) {
        return scheme.size() == word.size() &&
               std::equal(scheme.begin(), scheme.end(), word.begin(),
                          [](char a, char b) { return ascii::lower(a) == b; });
    };
    return equals("http") || equals("https") || equals("ftp");
}

std::size_t write_scheme_word(std::string_view scheme, char* out) {
    static constexpr std::string_view known[] = {"android-app",
                                                 "ios-app",
                                                 "file",
                                                 "chrome-extension",
                                                 "moz-extension",
                                                 "safari-extension",
                                                 "chrome",
                                                 "safari-web-extension",
                                                 "edge",
                                                 "ms-browser-extension",
                                                 "about",
                                                 "app",
                                                 "capacitor",
                                                 "ionic",
                                                 "content",
                                                 "ms-appx-web",
                                                 "ws",
                                                 "wss"};
    for (std::string_view word : known) {
        if (scheme.size() == word.size() &&
            std::equal(scheme.begin(), scheme.end(), word.begin(),
                       [](char a, char b) { return ascii::lower(a) == b; })) {
            return write_token(word, out);
        }
    }
    return write_token("(other-scheme)", out);
}

// Letters, digits, '-' and '_' in labels of 1 to 63 bytes that start and end with a letter or
// digit, at most 253 bytes in all, the last label not a number. Writes it in lower case into
// out; returns its length, 0 when text is not such a name.
std::size_t lower_strict_host_name(std::string_view text, char* out) {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    if (text.empty() || text.size() > max_host_length || ends_in_number(text, text.rfind('.')))
        return 0;
    std::size_t label_start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '.') {
            const std::size_t length = i - label_start;
            if (length == 0 || length > max_label_length) return 0;
            auto is_edge = [](char c) { return is_alpha(c) || is_digit(c); };
            if (!is_edge(text[label_start]) || !is_edge(text[i - 1])) return 0;
            label_start = i + 1;
            if (i < text.size()) out[i] = '.';
            continue;
        }
        const char c = text[i];
        if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') return 0;
        out[i] = ascii::lower(c);
    }
    return text.size();
}

}  // namespace

bool holds_address_digits(std::string_view name) {
    // Most names hold no digit at all, and every rule below needs one.
    if (std::none_of(name.begin(), name.end(), is_digit)) return false;
    // Runs of hex digits: a long one with a decimal digit may be a whole address.
    for (std::size_t i = 0; i < name.size();) {
        if (!is_hex(name[i])) {
            ++i;
            continue;
        }
        std::size_t start = i;
        bool decimal = false;
        for (; i < name.size() && is_hex(name[i]); ++i)
            decimal = decimal || is_digit(name[i]);
        if (decimal && i - start >= 8) return true;
    }
    // Four decimal groups in a row, each a byte, one separator between them.
    int chain = 0;
    std::size_t previous_end = std::string_view::npos;
    for (std::size_t i = 0; i < name.size();) {
        if (!is_digit(name[i])) {
            ++i;
            continue;
        }
        std::size_t start = i;
        unsigned value = 0;
        for (; i < name.size() && is_digit(name[i]); ++i)
            value = value * 10 + static_cast<unsigned>(name[i] - '0');
        const bool byte = i - start <= 3 && value <= 255;
        const bool joined =
            previous_end != std::string_view::npos && start == previous_end + 1 &&
            (name[previous_end] == '.' || name[previous_end] == '-' || name[previous_end] == '_');
        chain = byte ? (joined ? chain + 1 : 1) : 0;
        if (chain >= 4) return true;
        previous_end = i;
    }
    // IPv6 written with dashes, one label at a time.
    for (std::size_t start = 0; start < name.size();) {
        std::size_t dot = name.find('.', start);
        if (dot == std::string_view::npos) dot = name.size();
        if (is_dashed_ipv6_label(name.substr(start, dot - start))) return true;
        start = dot + 1;
    }
    return false;
}

std::optional<std::string_view> icann_registrable_domain(std::string_view name) {
    const psl_ctx_t* psl = public_suffixes();
    char text[max_host_length + 2];
    if (psl == nullptr || name.empty() || name.size() > max_host_length) return std::nullopt;
    std::memcpy(text, name.data(), name.size());
    text[name.size()] = '\0';
    // From the left, the first suffix that is an ICANN public suffix is the longest one; the
    // registrable domain adds the label before it. The implicit "*" rule is not used, so an
    // unknown top-level label has no registrable domain.
    std::size_t previous = std::string_view::npos;
    for (std::size_t start = 0; start < name.size();) {
        if (psl_is_public_suffix2(psl, text + start, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE)) {
            if (previous == std::string_view::npos) return std::nullopt;
            return name.substr(previous);
        }
        previous = start;
        std::size_t dot = name.find('.', start);
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return std::nullopt;
}

std::size_t reduce_host_client(std::string_view client, char* out) {
    char name[max_host_length + 2];
    if (!lower_host_name(client, name, sizeof name)) return write_token("invalid", out);
    const std::size_t size = client.back() == '.' ? client.size() - 1 : client.size();
    std::optional<std::string_view> domain = icann_registrable_domain({name, size});
    if (!domain || holds_address_digits(*domain)) return write_token("invalid", out);
    return write_token(*domain, out);
}

std::size_t reduce_referrer(std::string_view referrer, unsigned ipv4_prefix, unsigned ipv6_prefix,
                            char* out) {
    std::size_t start = 0;
    if (referrer.starts_with("//")) {
        start = 2;  // protocol-relative
    } else {
        start = url_scheme_length(referrer);
        if (start == 0) return 0;  // "-", "", "foo", "/relative": not a URL
        std::string_view scheme = referrer.substr(0, start - 3);
        if (!is_web_scheme(scheme)) return write_scheme_word(scheme, out);
    }
    // One pass over the authority, which ends at the path, query or fragment: the host follows
    // its last '@' and ends at the next ':'. Anything but name bytes in the host (escapes such
    // as "\x22", '%', spaces) means a host we cannot vouch for; empty is safer than copying
    // unknown bytes. The host is copied in lower case as it goes.
    std::size_t host_start = start;
    std::size_t size = 0;
    std::size_t last_dot = std::string_view::npos;
    bool in_host = true;
    bool valid = true;
    std::size_t end = start;
    for (; end < referrer.size(); ++end) {
        const char c = referrer[end];
        if (host_bytes[static_cast<unsigned char>(c)]) {
            if (in_host) {
                if (size < max_host_length) out[size] = ascii::lower(c);
                if (c == '.') last_dot = size;
                ++size;
            }
        } else if (c == '/' || c == '?' || c == '#') {
            break;
        } else if (c == '@') {
            host_start = end + 1;
            size = 0;
            last_dot = std::string_view::npos;
            in_host = valid = true;
        } else if (c == ':') {
            in_host = false;
        } else if (in_host) {
            valid = false;
        }
    }
    if (host_start < end && referrer[host_start] == '[') {
        std::string_view host = referrer.substr(host_start, end - host_start);
        std::size_t close = host.find(']');
        if (close == std::string_view::npos) return 0;
        std::optional<IpAddress> address = parse_ip(host.substr(0, close + 1));
        if (!address) return 0;
        return write_referrer_address(*address, ipv4_prefix, ipv6_prefix, out);
    }
    // Longer than a host name can be: only its first bytes were copied, and it is no name.
    if (!valid || size == 0 || size > max_host_length + 1) return 0;
    if (last_dot == size - 1) {  // the root label
        --size;
        last_dot = size == 0 ? std::string_view::npos : std::string_view(out, size).rfind('.');
    }
    if (size == 0 || size > max_host_length) return 0;
    const std::string_view name(out, size);
    // Every IPv4 notation starts with a digit; most names do not.
    if (is_digit(name[0])) {
        if (std::optional<IpAddress> address = parse_ipv4_any(name))
            return write_referrer_address(*address, ipv4_prefix, ipv6_prefix, out);
    }
    if (ends_in_number(name, last_dot)) return write_token("(invalid)", out);
    if (is_internal_name(name, last_dot)) return write_token("(internal)", out);
    if (!holds_address_digits(name)) return name.size();
    // nip.io, sslip.io, cloud and ISP names carry a machine's address: the site is the
    // registrable domain, as long as that does not hold the address itself.
    std::optional<std::string_view> domain = icann_registrable_domain(name);
    if (!domain || holds_address_digits(*domain)) return write_token("(invalid)", out);
    std::memmove(out, domain->data(), domain->size());
    return domain->size();
}

std::optional<std::string> normalize_host_name(std::string_view text) {
    char name[max_host_length + 1];
    if (parse_ipv4_any(text)) return std::nullopt;
    std::size_t size = lower_strict_host_name(text, name);
    if (size == 0) return std::nullopt;
    return std::string(name, size);
}

std::size_t reduce_vhost(std::string_view vhost, const std::vector<std::string>& site_hosts,
                         char* out) {
    if (vhost.empty() || vhost == "-") return 0;
    if (parse_ip(vhost)) return write_token("(address)", out);  // also "[v6]:port", "v4:port"
    std::string_view host = vhost;
    if (std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
        std::string_view port = host.substr(colon + 1);
        if (port.size() > 5 || !std::all_of(port.begin(), port.end(), is_digit))
            return write_token("(invalid)", out);
        host = host.substr(0, colon);
    }
    if (parse_ipv4_any(host)) return write_token("(address)", out);
    const std::size_t size = lower_strict_host_name(host, out);
    if (size == 0) return write_token("(invalid)", out);
    if (!site_hosts.empty() &&
        std::none_of(site_hosts.begin(), site_hosts.end(),
                     [&](const std::string& site) { return site == std::string_view(out, size); }))
        return write_token("(other)", out);
    return size;
}

}  // namespace logsift
