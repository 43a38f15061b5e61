// Anonymize: address parsing and truncation, host names reduced to registrable domains, request
// targets reduced to paths and referrers reduced to hosts. Everything here runs once per log
// line, so nothing allocates (except libpsl on the rare host-name client), throws or uses locale.
#include "logsift/anonymize.hpp"

#include <libpsl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace logsift {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char to_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
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

std::size_t write_invalid(char* out) {
    constexpr std::string_view invalid = "invalid";
    std::memcpy(out, invalid.data(), invalid.size());
    return invalid.size();
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
// have returned for HostnameLookups. Writes the lower-case, NUL-terminated name into out.
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
        out[i] = to_lower(c);
        previous = c;
    }
    out[text.size()] = '\0';
    return letter;
}

std::string_view trim_spaces(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

// What a byte can be in a URL's scheme and authority, as a table: every referrer is read
// byte by byte, and one lookup answers what would otherwise be several comparisons.
enum UrlByte : std::uint8_t {
    scheme_byte = 1,  // RFC 3986 scheme: letters, digits, '+', '-', '.'
    host_byte = 2,    // what we accept in a host name: letters, digits, '.', '-', '_'
    path_start = 4,   // '/', '?', '#': the end of the authority
};
constexpr std::array<std::uint8_t, 256> url_bytes = [] {
    std::array<std::uint8_t, 256> table{};
    auto mark = [&](std::string_view bytes, std::uint8_t kind) {
        for (char c : bytes)
            table[static_cast<unsigned char>(c)] |= kind;
    };
    for (char c = '0'; c <= '9'; ++c)
        mark(std::string_view(&c, 1), scheme_byte | host_byte);
    for (char c = 'a'; c <= 'z'; ++c) {
        const char upper = static_cast<char>(c - 'a' + 'A');
        mark(std::string_view(&c, 1), scheme_byte | host_byte);
        mark(std::string_view(&upper, 1), scheme_byte | host_byte);
    }
    mark("+-.", scheme_byte);
    mark(".-_", host_byte);
    mark("/?#", path_start);
    return table;
}();

bool is_url_byte(char c, UrlByte kind) {
    return (url_bytes[static_cast<unsigned char>(c)] & kind) != 0;
}

// Length of "scheme://" at the start of text (RFC 3986 scheme), or 0 when there is none.
std::size_t scheme_length(std::string_view text) {
    if (text.empty() || !is_alpha(text[0])) return 0;
    std::size_t pos = 1;
    while (pos < text.size() && is_url_byte(text[pos], scheme_byte))
        ++pos;
    if (text.substr(pos, 3) != "://") return 0;
    return pos + 3;
}

constexpr std::size_t max_host_length = 253;  // DNS limit for a name in text form

// string_view::find_first_of runs memchr over the set for every byte of the text; with sets
// of two or three bytes a plain comparison is several times cheaper, and this runs on every
// resource. Eight bytes are compared at a time while none of them is in the set.
template <char... Set>
std::size_t find_any(std::string_view text, std::size_t from = 0) {
    constexpr std::uint64_t ones = 0x0101010101010101;
    constexpr std::uint64_t highs = 0x8080808080808080;
    std::size_t i = from;
    for (; text.size() - i >= sizeof(std::uint64_t); i += sizeof(std::uint64_t)) {
        std::uint64_t word;
        std::memcpy(&word, text.data() + i, sizeof word);
        // A byte equal to c is a zero byte of word ^ c, which the subtraction borrows through.
        auto holds = [word](char c) {
            const std::uint64_t x = word ^ (ones * static_cast<unsigned char>(c));
            return (x - ones) & ~x & highs;
        };
        if ((holds(Set) | ...)) break;
    }
    for (; i < text.size(); ++i) {
        if (((text[i] == Set) || ...)) return i;
    }
    return std::string_view::npos;
}

}  // namespace

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

std::size_t reduce_client(std::string_view client, unsigned ipv4_prefix, unsigned ipv6_prefix,
                          char* out) {
    if (std::optional<IpAddress> address = parse_ip(client)) {
        unsigned prefix = address->v6 ? ipv6_prefix : ipv4_prefix;
        return format_network(truncate_ip(*address, prefix), prefix, out);
    }
    char name[max_host_length + 2];
    if (!lower_host_name(client, name, sizeof name)) return write_invalid(out);
    // libpsl may allocate inside this lookup (IDNA handling); host-name clients are rare (only
    // Apache with HostnameLookups On), so the hot path for addresses stays allocation-free.
    const psl_ctx_t* psl = public_suffixes();
    const char* domain = psl != nullptr ? psl_registrable_domain(psl, name) : nullptr;
    if (domain == nullptr) return write_invalid(out);
    // domain points into name, so it is a suffix of the client's own (checked) text.
    std::size_t length = std::strlen(domain);
    std::memcpy(out, domain, length);
    return length;
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
    if (std::size_t scheme = scheme_length(target); scheme != 0) {
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

std::size_t reduce_referrer(std::string_view referrer, char* out) {
    std::size_t start = 0;
    if (referrer.starts_with("//")) {
        start = 2;  // protocol-relative
    } else {
        start = scheme_length(referrer);
        if (start == 0) return 0;  // "-", "", "foo", "/relative": not a URL
    }
    // One pass over the authority, which ends at the path, query or fragment: the host follows
    // its last '@' and ends at the next ':'. Anything but name characters in the host (escapes
    // such as "\x22", '%', spaces) means the value is not a host we can vouch for; an empty
    // result is safer than copying unknown bytes. The host is copied in lower case as it goes.
    std::size_t host_start = start;
    std::size_t size = 0;
    bool in_host = true;
    bool valid = true;
    std::size_t authority_end = start;
    for (; authority_end < referrer.size(); ++authority_end) {
        const char c = referrer[authority_end];
        if (is_url_byte(c, host_byte)) {
            if (in_host && size < max_host_length) out[size] = to_lower(c);
            size += in_host;
        } else if (is_url_byte(c, path_start)) {
            break;
        } else if (c == '@') {
            host_start = authority_end + 1;
            size = 0;
            in_host = true;
            valid = true;
        } else if (c == ':') {
            in_host = false;
        } else if (in_host) {
            valid = false;
        }
    }
    if (host_start < authority_end && referrer[host_start] == '[') {
        // An IPv6 literal: printed in RFC 5952 form so one host gives one key.
        std::string_view authority = referrer.substr(host_start, authority_end - host_start);
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return 0;
        std::uint8_t bytes[16];
        if (!parse_v6(authority.substr(1, close - 1), bytes)) return 0;
        char* end = out;
        *end++ = '[';
        end = write_v6(bytes, end);
        *end++ = ']';
        return static_cast<std::size_t>(end - out);
    }
    if (!valid) return 0;
    if (size > 0 && referrer[host_start + size - 1] == '.') --size;  // the root label
    return std::min(size, max_host_length);
}

}  // namespace logsift
