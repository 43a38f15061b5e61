// Reread: the columns of logsift's own reduced records, read back as a log (the `logsift`
// preset). Each value was reduced once already; here it is checked against the grammar its
// column allows and, for networks, cut to the run's prefix when that is shorter. Nothing is
// ever widened: a network keeps at most the bits it was logged with.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "logsift/reduce/anonymize.hpp"

namespace logsift {

// A logged network ("203.0.113.0/24", "2001:db8::/48", a registrable domain, "invalid") cut to
// the shorter of its own prefix and the run's (ipv4_prefix / ipv6_prefix). Names go through the
// same host checks as a client name. Writes into out (at least 256 bytes); returns the length.
// selected (when filters is not empty): whether the whole logged network lies in one of them.
std::size_t reread_network(std::string_view network, unsigned ipv4_prefix, unsigned ipv6_prefix,
                           const std::vector<Cidr>& filters, bool& selected, char* out);

// The agent columns as reduce wrote them: a family that is not a product name becomes "Other",
// a version that is not a short dotted version becomes empty, a class other than browser, bot,
// tool or other becomes "other". Empty columns (the log had no user agent) stay empty.
std::string_view reread_agent_family(std::string_view family);
std::string_view reread_agent_version(std::string_view version);
std::string_view reread_agent_class(std::string_view agent_class);

// An ISO 3166-1 alpha-2 code (two upper-case letters) or "(other)" (--k-anonymity) as logged,
// else empty.
std::string_view reread_country(std::string_view country);

// A logged referrer host: a fixed word such as "(internal)" as written, a network cut like a
// client's, a host name or a scheme's word through the referrer rules. Writes into out (at
// least 256 bytes); returns the length.
std::size_t reread_referrer_host(std::string_view host, unsigned ipv4_prefix, unsigned ipv6_prefix,
                                 char* out);

}  // namespace logsift
