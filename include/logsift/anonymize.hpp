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

// Network of a client field: the address truncated to ipv4_prefix / ipv6_prefix; a host name
// (Apache with HostnameLookups On) becomes its registrable domain, lower-case
// ("in24.inetnebr.com" -> "inetnebr.com", from the Public Suffix List); anything else becomes
// "invalid". Never returns the input itself unless it is already a registrable domain.
// Writes into out (at least 256 bytes) and returns the length.
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

// The referrer's host only: lower-case, without scheme, user info, port, path, query. "-" and
// empty give empty; a value without a scheme and "//" (not a URL) gives empty.
// Writes into out (at least 256 bytes; longer hosts are cut) and returns the length.
std::size_t reduce_referrer(std::string_view referrer, char* out);

}  // namespace logsift
