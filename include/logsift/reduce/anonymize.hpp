// Anonymize: the pure functions that turn personal values into coarse ones. The full client
// address, the referrer's path and the query string never leave these functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace logsift {

struct IpAddress {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4
};

// Parses a client address as servers log it: IPv4, IPv6 (any RFC 4291 text form), bracketed
// IPv6 with or without ":port", IPv4 with ":port", zone ids ("%eth0") dropped. IPv4-mapped
// IPv6 (::ffff:a.b.c.d) becomes IPv4. Returns nullopt for anything else, including IPv4 with
// leading zeros ("010.0.0.1", which inet_aton would read as octal).
std::optional<IpAddress> parse_ip(std::string_view text);

// Keeps the first prefix bits (prefix is clamped to 32 / 128).
IpAddress truncate_ip(const IpAddress& address, unsigned prefix);

// Does address fall inside network/prefix? (families must match)
bool ip_in_network(const IpAddress& address, const IpAddress& network, unsigned prefix);

// Writes "203.0.113.0/24" or "2001:db8:1::/48" (RFC 5952 text) into out; returns the length.
// out must hold at least 64 bytes.
std::size_t format_network(const IpAddress& network, unsigned prefix, char* out);

// Parses "203.0.113.0/24", "2001:db8::/32" or a bare address (full length).
struct Cidr {
    IpAddress network;
    unsigned prefix = 0;
};
std::optional<Cidr> parse_cidr(std::string_view text);

// The IPv4 address an IPv6 address carries, when it is built from one: 6to4 (2002::/16),
// Teredo (2001::/32, the client's address, un-inverted), NAT64 (64:ff9b::/96, and
// 64:ff9b:1::/48 in RFC 6052's /96 or /48 layout), ISATAP interface identifiers (0:5efe and
// 200:5efe) and IPv4-compatible ::a.b.c.d (but not ::/120, which holds :: and ::1).
std::optional<IpAddress> embedded_ipv4(const IpAddress& address);

// The client's network: an address that embeds an IPv4 address is truncated as that IPv4
// address, so "2002:cb00:714d::1" gives "203.0.113.0/24". A 64:ff9b:1::/48 address in no
// layout we can read is kept to at most its /48. out must hold at least 64 bytes.
std::size_t format_client_network(const IpAddress& address, unsigned ipv4_prefix,
                                  unsigned ipv6_prefix, char* out);

// An IPv4 host as browsers read URLs (WHATWG URL standard): one to four parts, each decimal,
// octal ("0313") or hex ("0xcb"), the last filling the bytes left ("203.1", "3405803853").
std::optional<IpAddress> parse_ipv4_any(std::string_view text);

// Loopback, private, link-local, shared, multicast and other special-purpose addresses (the
// IANA registries), judged on the embedded IPv4 address when there is one. The documentation
// networks (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) count as public.
bool is_internal_address(const IpAddress& address);

// Network of a client field: an address as format_client_network gives it; a host name
// (Apache with HostnameLookups On) as reduce_host_client (hosts.hpp) gives it: its
// registrable domain or "invalid". Writes into out (at least 256 bytes); returns the length.
std::size_t reduce_client(std::string_view client, unsigned ipv4_prefix, unsigned ipv6_prefix,
                          char* out);

// From an X-Forwarded-For list ("a, b, c"), the right-most address that is not inside any
// trusted network; when all are trusted, the left-most. nullopt when none parses.
std::optional<IpAddress> forwarded_client(std::string_view forwarded_for, const Cidr* trusted,
                                          std::size_t trusted_count);

// The request target reduced to its path: query string and fragment removed (unless
// keep_query, which keeps the query but still drops the fragment); absolute-form targets
// ("http://host:80/p?q") reduced to their path ("/p"); "*" and CONNECT authorities as sent.
// Returns a view into target.
std::string_view reduce_resource(std::string_view target, bool keep_query);

// Length of "scheme://" at the start of text (RFC 3986 scheme), or 0 when there is none.
std::size_t url_scheme_length(std::string_view text);

}  // namespace logsift
