// Validate: what a value of each column kind may hold, checked where values come back in from
// outside (a JSON summary read by `merge` and `--from`). A summary is a file anyone may have
// edited, so a value no reducer writes (a whole address, free text, control bytes) is refused
// rather than printed. One function per column kind, so each can be tightened on its own as the
// reducers' grammars close.
#pragma once

#include <string_view>

#include "logsift/aggregate/summary.hpp"
#include "logsift/base/period.hpp"

namespace logsift {

// A client network in canonical form: "a.b.c.d/N" with N == ipv4_prefix, or RFC 5952
// "x:y::/N" with N == ipv6_prefix, host bits zero; or `invalid`; or a host name's registrable
// domain (lower case, at least two labels).
bool valid_network(std::string_view value, unsigned ipv4_prefix, unsigned ipv6_prefix);

// A referrer's host: a lower-case host name with a letter in it (not an address literal), a
// network as valid_network takes it, or a fixed token in parentheses such as `(internal)`.
bool valid_referrer_host(std::string_view value, unsigned ipv4_prefix, unsigned ipv6_prefix);

// A lower-case host name: letters, digits, '-', '_' and '.', no empty label, at most 253 bytes,
// at least one letter.
bool valid_host_name(std::string_view value);

// Two upper-case letters (ISO 3166-1 alpha-2, as the country databases give them), or
// "(other)" (a country --k-anonymity generalized).
bool valid_country(std::string_view value);

// An agent row: the product's name, then a space and its version when it has one. Printable,
// no control bytes, no `@` or `=`, no leading or trailing space, at most 160 bytes.
bool valid_agent(std::string_view value);

// browser, bot, tool or other.
bool valid_agent_class(std::string_view value);

// A digit followed by "xx" (2xx, 4xx).
bool valid_status_class(std::string_view value);

// A reduced resource: not empty, no line break.
bool valid_resource(std::string_view value);

// A period label as the declared period writes it: "2026-10-08", "2026-W41", "2026-10", "all",
// or "unknown" (records without a time) for every period but all.
bool valid_period_label(std::string_view value, Period period);

// The value of a sources row of dimension, under the summary's settings.
bool valid_source_value(Dimension dimension, std::string_view value,
                        const SummarySettings& settings);

}  // namespace logsift
