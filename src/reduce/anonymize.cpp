// Anonymize: address parsing, embedded IPv4 addresses and truncation, and request targets
// reduced to paths (host names are in hosts.cpp). Everything here runs once per log line, so
// nothing allocates, throws or uses locale.
#include "logsift/reduce/anonymize.hpp"
#include "logsift/base/byte_class.hpp"

#include "logsift/reduce/hosts.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <utility>

namespace logsift {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Strict dotted quad. Leading zeros ("010.1.1.1") are rejected: inet_aton reads them as octal,
// so the writer and we could disagree about which address it is, and no server logs them.
bool parse_v4(std::string_view text, std::uint8_t* out) {
    std::size_t pos = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (pos >= text.size() || text[pos] != '.') return false;
            ++pos;
        }
        std::size_t start = pos;
        unsigned value = 0;
        while (pos < text.size() && is_digit(text[pos]) && pos - start < 3) {
            value = value * 10 + static_cast<unsigned>(text[pos] - '0');
            ++pos;
        }
        std::size_t digits = pos - start;
        if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) return false;
        out[part] = static_cast<std::uint8_t>(value);
    }
    return pos == text.size();
}

// Strict RFC 4291 text (no zone, no brackets): full, "::"-compressed, and with a trailing
// dotted quad. Bytes are left as written; mapping to IPv4 is the caller's decision.
bool parse_v6(std::string_view text, std::uint8_t* out) {
    std::uint8_t bytes[16] = {};
    int groups = 0;  // 16-bit groups written so far
    int gap = -1;    // group index where "::" stands
    std::size_t pos = 0;
    const std::size_t size = text.size();
    if (size < 2) return false;
    if (text[0] == ':') {
        if (text[1] != ':') return false;
        gap = 0;
        pos = 2;
        if (pos == size) {
            std::memcpy(out, bytes, 16);
            return true;
        }
    }
    while (true) {
        std::size_t start = pos;
        unsigned value = 0;
        while (pos < size && hex_value(text[pos]) >= 0) {
            value = (value << 4) | static_cast<unsigned>(hex_value(text[pos]));
            ++pos;
            if (pos - start > 4) return false;
        }
        if (pos == start) return false;
        if (pos < size && text[pos] == '.') {
            // The embedded IPv4 tail takes the last two groups and must end the text.
            if (groups > 6 || !parse_v4(text.substr(start), bytes + groups * 2)) return false;
            groups += 2;
            break;
        }
        if (groups == 8) return false;
        bytes[groups * 2] = static_cast<std::uint8_t>(value >> 8);
        bytes[groups * 2 + 1] = static_cast<std::uint8_t>(value & 0xff);
        ++groups;
        if (pos == size) break;
        if (text[pos] != ':') return false;
        ++pos;
        if (pos < size && text[pos] == ':') {
            if (gap >= 0) return false;
            gap = groups;
            ++pos;
            if (pos == size) break;
        } else if (pos == size) {
            return false;  // a single trailing colon
        }
    }
    if (gap >= 0) {
        // "::" stands for at least one zero group.
        if (groups >= 8) return false;
        int tail = groups - gap;
        int shift = 8 - groups;
        for (int i = tail - 1; i >= 0; --i) {
            bytes[(gap + shift + i) * 2] = bytes[(gap + i) * 2];
            bytes[(gap + shift + i) * 2 + 1] = bytes[(gap + i) * 2 + 1];
        }
        for (int i = gap; i < gap + shift; ++i)
            bytes[i * 2] = bytes[i * 2 + 1] = 0;
    } else if (groups != 8) {
        return false;
    }
    std::memcpy(out, bytes, 16);
    return true;
}

bool is_v4_mapped(const std::uint8_t* bytes) {
    for (int i = 0; i < 10; ++i) {
        if (bytes[i] != 0) return false;
    }
    return bytes[10] == 0xff && bytes[11] == 0xff;
}

IpAddress make_v6(const std::uint8_t* bytes) {
    IpAddress address;
    if (is_v4_mapped(bytes)) {
        std::memcpy(address.bytes.data(), bytes + 12, 4);
        return address;
    }
    address.v6 = true;
    std::memcpy(address.bytes.data(), bytes, 16);
    return address;
}

bool parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5) return false;
    unsigned value = 0;
    for (char c : text) {
        if (!is_digit(c)) return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value <= 65535;
}

// "fe80::1%eth0": the zone names an interface of the logging host, so it is dropped; it must
// still look like an interface name, or the whole field is not an address.
std::optional<std::string_view> strip_zone(std::string_view text) {
    std::size_t percent = text.find('%');
    if (percent == std::string_view::npos) return text;
    std::string_view zone = text.substr(percent + 1);
    if (zone.empty()) return std::nullopt;
    for (char c : zone) {
        if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '_' && c != '-') return std::nullopt;
    }
    return text.substr(0, percent);
}

std::optional<IpAddress> parse_v6_with_zone(std::string_view text) {
    std::optional<std::string_view> bare = strip_zone(text);
    std::uint8_t bytes[16];
    if (!bare || !parse_v6(*bare, bytes)) return std::nullopt;
    return make_v6(bytes);
}

char* write_decimal(unsigned value, char* out) {
    char digits[10];
    int count = 0;
    do {
        digits[count++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (count > 0)
        *out++ = digits[--count];
    return out;
}

// RFC 5952: lower-case, no leading zeros, the longest run of two or more zero groups (the
// first on ties) written as "::". Always plain hex groups, never a dotted tail.
char* write_v6(const std::uint8_t* bytes, char* out) {
    unsigned groups[8];
    for (int i = 0; i < 8; ++i)
        groups[i] = (unsigned{bytes[i * 2]} << 8) | bytes[i * 2 + 1];
    int best_start = -1;
    int best_length = 0;
    for (int i = 0; i < 8;) {
        if (groups[i] != 0) {
            ++i;
            continue;
        }
        int start = i;
        while (i < 8 && groups[i] == 0)
            ++i;
        if (i - start >= 2 && i - start > best_length) {
            best_start = start;
            best_length = i - start;
        }
    }
    for (int i = 0; i < 8; ++i) {
        if (i == best_start) {
            *out++ = ':';
            *out++ = ':';
            i += best_length - 1;
            continue;
        }
        if (i > 0 && i != best_start + best_length) *out++ = ':';
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned nibble = (groups[i] >> shift) & 0xf;
            if (nibble != 0 || started || shift == 0) {
                *out++ = hex_digits[nibble];
                started = true;
            }
        }
    }
    return out;
}

char* write_v4(const std::uint8_t* bytes, char* out) {
    for (int i = 0; i < 4; ++i) {
        if (i > 0) *out++ = '.';
        out = write_decimal(bytes[i], out);
    }
    return out;
}

std::string_view trim_spaces(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

// RFC 3986 scheme bytes after the first letter, as a table: every referrer and absolute-form
// target is read byte by byte.
constexpr std::array<bool, 256> scheme_bytes = letters_digits_and("+-.");

// Whether an IPv6 address starts with these whole bytes, then zeros up to bits (a multiple of
// 8). A byte comparison: this runs for every IPv6 client that is not in the memo.
bool has_prefix(const IpAddress& address, std::initializer_list<std::uint8_t> prefix,
                unsigned bits) {
    if (!address.v6) return false;
    const std::size_t whole = bits / 8;
    if (!std::equal(prefix.begin(), prefix.end(), address.bytes.begin())) return false;
    return std::all_of(address.bytes.begin() + static_cast<std::ptrdiff_t>(prefix.size()),
                       address.bytes.begin() + static_cast<std::ptrdiff_t>(whole),
                       [](std::uint8_t byte) { return byte == 0; });
}

IpAddress v4_from(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    IpAddress address;
    address.bytes = {a, b, c, d};
    return address;
}

// One part of a WHATWG URL IPv4 host: "0x" hex, "0" octal or decimal, up to 2^32 - 1.
std::optional<std::uint64_t> parse_ipv4_part(std::string_view part) {
    unsigned base = 10;
    if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
        base = 16;
        part.remove_prefix(2);
        if (part.empty()) return 0;  // "0x" is zero to browsers
    } else if (part.size() >= 2 && part[0] == '0') {
        base = 8;
        part.remove_prefix(1);
    }
    if (part.empty() || part.size() > 12) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : part) {
        int digit = hex_value(c);
        if (digit < 0 || static_cast<unsigned>(digit) >= base) return std::nullopt;
        value = value * base + static_cast<unsigned>(digit);
    }
    return value;
}

}  // namespace

std::size_t url_scheme_length(std::string_view text) {
    if (text.empty() || !is_alpha(text[0])) return 0;
    std::size_t pos = 1;
    while (pos < text.size() && scheme_bytes[static_cast<unsigned char>(text[pos])])
        ++pos;
    if (text.substr(pos, 3) != "://") return 0;
    return pos + 3;
}

namespace {}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (text.front() == '[') {
        std::size_t close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !parse_port(rest.substr(1)))) {
            return std::nullopt;
        }
        return parse_v6_with_zone(text.substr(1, close - 1));
    }
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        IpAddress address;
        if (!parse_v4(text, address.bytes.data())) return std::nullopt;
        return address;
    }
    if (text.find(':', colon + 1) == std::string_view::npos) {
        // One colon: "a.b.c.d:port". (No IPv6 text has a single colon.)
        IpAddress address;
        if (!parse_v4(text.substr(0, colon), address.bytes.data()) ||
            !parse_port(text.substr(colon + 1))) {
            return std::nullopt;
        }
        return address;
    }
    return parse_v6_with_zone(text);
}

IpAddress truncate_ip(const IpAddress& address, unsigned prefix) {
    const unsigned bits = address.v6 ? 128 : 32;
    if (prefix > bits) prefix = bits;
    IpAddress result = address;
    for (unsigned byte = 0; byte < bits / 8; ++byte) {
        unsigned first_bit = byte * 8;
        if (first_bit >= prefix) {
            result.bytes[byte] = 0;
        } else if (prefix - first_bit < 8) {
            unsigned keep = prefix - first_bit;
            result.bytes[byte] &= static_cast<std::uint8_t>(0xff << (8 - keep));
        }
    }
    for (unsigned byte = bits / 8; byte < 16; ++byte)
        result.bytes[byte] = 0;
    return result;
}

bool ip_in_network(const IpAddress& address, const IpAddress& network, unsigned prefix) {
    if (address.v6 != network.v6) return false;
    return truncate_ip(address, prefix).bytes == truncate_ip(network, prefix).bytes;
}

std::size_t format_network(const IpAddress& network, unsigned prefix, char* out) {
    const unsigned bits = network.v6 ? 128 : 32;
    if (prefix > bits) prefix = bits;
    char* end =
        network.v6 ? write_v6(network.bytes.data(), out) : write_v4(network.bytes.data(), out);
    *end++ = '/';
    end = write_decimal(prefix, end);
    return static_cast<std::size_t>(end - out);
}

std::optional<Cidr> parse_cidr(std::string_view text) {
    std::string_view address_text = text;
    std::optional<unsigned> prefix;
    std::size_t slash = text.find('/');
    if (slash != std::string_view::npos) {
        address_text = text.substr(0, slash);
        std::string_view digits = text.substr(slash + 1);
        if (digits.empty() || digits.size() > 3) return std::nullopt;
        unsigned value = 0;
        for (char c : digits) {
            if (!is_digit(c)) return std::nullopt;
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        prefix = value;
    }
    Cidr cidr;
    if (address_text.find(':') == std::string_view::npos) {
        if (!parse_v4(address_text, cidr.network.bytes.data())) return std::nullopt;
        if (prefix.value_or(32) > 32) return std::nullopt;
        cidr.prefix = prefix.value_or(32);
    } else {
        std::uint8_t bytes[16];
        if (!parse_v6(address_text, bytes)) return std::nullopt;
        unsigned bits = prefix.value_or(128);
        if (bits > 128) return std::nullopt;
        cidr.network = make_v6(bytes);
        if (!cidr.network.v6) {
            // Mapped addresses are compared as IPv4, so the network must lie inside ::ffff:0:0/96.
            if (bits < 96) return std::nullopt;
            bits -= 96;
        }
        cidr.prefix = bits;
    }
    // Host bits are forgiven ("10.1.2.3/8" means 10.0.0.0/8), as ip route and nginx do.
    cidr.network = truncate_ip(cidr.network, cidr.prefix);
    return cidr;
}

std::optional<IpAddress> embedded_ipv4(const IpAddress& address) {
    if (!address.v6) return std::nullopt;
    const auto& b = address.bytes;
    if (has_prefix(address, {0x20, 0x02}, 16)) return v4_from(b[2], b[3], b[4], b[5]);  // 6to4
    if (has_prefix(address, {0x20, 0x01, 0x00, 0x00}, 32)) {
        // Teredo: the client's own address, inverted so that NATs leave it alone.
        return v4_from(b[12] ^ 0xff, b[13] ^ 0xff, b[14] ^ 0xff, b[15] ^ 0xff);
    }
    if (has_prefix(address, {0x00, 0x64, 0xff, 0x9b}, 96))
        return v4_from(b[12], b[13], b[14], b[15]);
    if (has_prefix(address, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48)) {
        // RFC 8215's local-use prefix is a /48 that operators cut as they like, and the address
        // does not say which RFC 6052 prefix length was used. Zero bits 48..95 mean /96;
        // a zero "u" octet (bits 64..71) and zero suffix bits 88..127 mean /48; anything else
        // is left to the caller, which keeps no more than the /48 itself.
        if (std::all_of(b.begin() + 6, b.begin() + 12, [](std::uint8_t x) { return x == 0; }))
            return v4_from(b[12], b[13], b[14], b[15]);
        if (b[8] == 0 &&
            std::all_of(b.begin() + 11, b.end(), [](std::uint8_t x) { return x == 0; }))
            return v4_from(b[6], b[7], b[9], b[10]);
        return std::nullopt;
    }
    // ISATAP interface identifiers (RFC 5214): 0000:5efe or 0200:5efe, then the IPv4 address.
    if ((b[8] == 0x00 || b[8] == 0x02) && b[9] == 0 && b[10] == 0x5e && b[11] == 0xfe)
        return v4_from(b[12], b[13], b[14], b[15]);
    // IPv4-compatible ::a.b.c.d (RFC 4291, deprecated); "::" and "::1" are IPv6's own.
    if (std::all_of(b.begin(), b.begin() + 12, [](std::uint8_t x) { return x == 0; }) &&
        (b[12] | b[13] | b[14]) != 0)
        return v4_from(b[12], b[13], b[14], b[15]);
    return std::nullopt;
}

std::size_t format_client_network(const IpAddress& address, unsigned ipv4_prefix,
                                  unsigned ipv6_prefix, char* out) {
    const IpAddress client = embedded_ipv4(address).value_or(address);
    unsigned prefix = client.v6 ? ipv6_prefix : ipv4_prefix;
    // A local-use NAT64 address of unknown layout may hold the IPv4 address anywhere after
    // its /48.
    if (client.v6 && has_prefix(client, {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48))
        prefix = std::min(prefix, 48u);
    return format_network(truncate_ip(client, prefix), prefix, out);
}

std::optional<IpAddress> parse_ipv4_any(std::string_view text) {
    if (!text.empty() && text.back() == '.') text.remove_suffix(1);
    std::uint64_t parts[4];
    std::size_t count = 0;
    while (true) {
        std::size_t dot = text.find('.');
        if (count == 4) return std::nullopt;
        std::optional<std::uint64_t> part = parse_ipv4_part(text.substr(0, dot));
        if (!part) return std::nullopt;
        parts[count++] = *part;
        if (dot == std::string_view::npos) break;
        text.remove_prefix(dot + 1);
    }
    // All parts but the last are bytes; the last fills the bytes that remain ("203.1" is
    // 203.0.0.1, "3405803853" is 203.0.113.77).
    std::uint64_t value = 0;
    for (std::size_t i = 0; i + 1 < count; ++i) {
        if (parts[i] > 255) return std::nullopt;
        value |= parts[i] << (8 * (3 - i));
    }
    const std::uint64_t last_limit = std::uint64_t{1} << (8 * (5 - count));
    if (parts[count - 1] >= last_limit) return std::nullopt;
    value |= parts[count - 1];
    return v4_from(static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
                   static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value));
}

bool is_internal_address(const IpAddress& address) {
    if (!address.v6) {
        // IANA's IPv4 special-purpose registry, less the documentation networks (treated as
        // public, so that examples and tests show what real addresses give) and the 6to4 relay
        // anycast 192.88.99.0/24 (public routers).
        static const std::pair<IpAddress, unsigned> internal[] = {
            {v4_from(0, 0, 0, 0), 8},
            {v4_from(10, 0, 0, 0), 8},
            {v4_from(100, 64, 0, 0), 10},
            {v4_from(127, 0, 0, 0), 8},
            {v4_from(169, 254, 0, 0), 16},
            {v4_from(172, 16, 0, 0), 12},
            {v4_from(192, 0, 0, 0), 24},
            {v4_from(192, 168, 0, 0), 16},
            {v4_from(198, 18, 0, 0), 15},
            {v4_from(224, 0, 0, 0), 3},  // multicast 224/4 and reserved 240/4 with broadcast
        };
        return std::any_of(std::begin(internal), std::end(internal), [&](const auto& network) {
            return ip_in_network(address, network.first, network.second);
        });
    }
    if (std::optional<IpAddress> v4 = embedded_ipv4(address)) return is_internal_address(*v4);
    const auto& b = address.bytes;
    const bool low_zero =
        std::all_of(b.begin(), b.begin() + 15, [](std::uint8_t x) { return x == 0; });
    if (low_zero && b[15] <= 1) return true;         // :: and ::1
    if ((b[0] & 0xfe) == 0xfc) return true;          // unique local fc00::/7
    if (b[0] == 0xfe && (b[1] & 0x80)) return true;  // link-local fe80::/10, site-local fec0::/10
    if (b[0] == 0xff) return true;                   // multicast
    return has_prefix(address, {0x01, 0x00}, 64) ||  // discard-only
           has_prefix(address, {0x20, 0x01, 0x00, 0x02}, 48);  // benchmarking
}

std::size_t reduce_client(std::string_view client, unsigned ipv4_prefix, unsigned ipv6_prefix,
                          char* out) {
    if (std::optional<IpAddress> address = parse_ip(client))
        return format_client_network(*address, ipv4_prefix, ipv6_prefix, out);
    return reduce_host_client(client, out);
}

std::optional<IpAddress> forwarded_client(std::string_view forwarded_for, const Cidr* trusted,
                                          std::size_t trusted_count) {
    std::optional<IpAddress> left_most;
    std::string_view rest = forwarded_for;
    while (!rest.empty()) {
        std::size_t comma = rest.rfind(',');
        std::string_view entry =
            trim_spaces(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
        std::optional<IpAddress> address = parse_ip(entry);
        if (!address) continue;  // "unknown", "-", obfuscated identifiers (RFC 7239)
        bool is_trusted = false;
        for (std::size_t i = 0; i < trusted_count && !is_trusted; ++i) {
            is_trusted = ip_in_network(*address, trusted[i].network, trusted[i].prefix);
        }
        if (!is_trusted) return address;
        left_most = address;
    }
    return left_most;
}

std::string_view reduce_resource(std::string_view target, bool keep_query) {
    std::string_view path = target;
    if (std::size_t scheme = url_scheme_length(target); scheme != 0) {
        // Absolute form: the authority (host, port, maybe user info) is not part of the path.
        std::size_t path_start = find_any<'/', '?', '#'>(target, scheme);
        if (path_start == std::string_view::npos || target[path_start] != '/') {
            // "http://host?q": there is no '/' in the input to keep the query after, so the
            // path alone is returned even with keep_query.
            return "/";
        }
        path = target.substr(path_start);
    }
    // Cut even CONNECT authorities and other odd targets: they have no query, and when one
    // does, it is personal data all the same.
    std::size_t cut = keep_query ? path.find('#') : find_any<'?', '#'>(path);
    if (cut != std::string_view::npos) path = path.substr(0, cut);
    return path;
}

}  // namespace logsift
