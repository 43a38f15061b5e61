// Hosts: host names as they reach the log (client names, referrer hosts, Host headers) reduced
// to values that name a site, not a person or a machine: registrable domains under the ICANN
// section of the Public Suffix List, networks for address literals, and fixed tokens.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace logsift {

// Does a (lower-case) host name hold something that reads as an address: four decimal groups
// of at most three digits joined by '.', '-' or '_' ("ec2-203-0-113-78", "203.0.113.77.nip.io"),
// a run of 8 or more decimal digits ("3405803853"), a run of 8 or more hex digits with a
// decimal digit among them ("cb00714d"), or a label with a decimal digit that is IPv6 text
// with '-' for ':' ("2001-db8--1.sslip.io")? A name without any decimal digit holds none.
bool holds_address_digits(std::string_view name);

// The registrable domain of a lower-case host name under the ICANN section of the Public
// Suffix List only: one label more than its longest ICANN public suffix, so "alice.dyndns.org"
// gives "dyndns.org" (the private section would keep "alice"). nullopt when the name is itself
// a public suffix or ends in no ICANN suffix. A view into name.
std::optional<std::string_view> icann_registrable_domain(std::string_view name);

// A client host name (Apache with HostnameLookups On) reduced to its ICANN registrable domain,
// lower-case; "invalid" when the name is not a host name, has no registrable domain, or the
// domain holds address digits. Writes into out (at least 256 bytes); returns the length.
std::size_t reduce_host_client(std::string_view client, char* out);

// The referrer's site: for http, https and ftp URLs the host, lower-case, without user info and
// port; address literals in any notation as their network truncated to the prefixes (like
// clients); "(internal)" for loopback, private and special-purpose addresses, single-label
// names and internal domains (localhost, .local, .internal, .lan, .home.arpa, ...); the ICANN
// registrable domain of a name that holds address digits, or "(invalid)" when that holds them
// too. Other schemes give their word ("android-app", "chrome-extension") when known, else
// "(other-scheme)". "-", non-URLs and hosts with bytes no host name has give empty.
// Writes into out (at least 256 bytes); returns the length.
std::size_t reduce_referrer(std::string_view referrer, unsigned ipv4_prefix, unsigned ipv6_prefix,
                            char* out);

// A host name in lower case without port or root dot, when text is one (letters, digits, '-'
// and '_' inside labels, at most 253 bytes, not an address); nullopt otherwise.
std::optional<std::string> normalize_host_name(std::string_view text);

// The virtual host (the Host header or server name): a lower-case host name without port;
// "(address)" for an address literal; "(invalid)" for anything else; "(other)" for a valid name
// not among site_hosts when site_hosts (lower-case names) is not empty. "-" and empty give
// empty. Writes into out (at least 256 bytes); returns the length.
std::size_t reduce_vhost(std::string_view vhost, const std::vector<std::string>& site_hosts,
                         char* out);

}  // namespace logsift
