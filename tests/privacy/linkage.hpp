// Joins the records `logsift reduce` prints back to the raw client address of the line each
// came from, with none of logsift's code: every line's request is rewritten to `/line/N`, the
// address is read from the raw line here, and printed records are grouped by the columns logsift
// printed, whatever their spelling. The k-anonymity test (tests/e2e/test_k_anonymity.cpp) and
// the logsift_linkability tool share it, so the figures the tool reports are computed as the
// test asserts them.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace linkage {

// Where the client and the request sit in a family of access-log lines: the space-separated
// fields before the quoted request (the bracketed time counting as one), which of them is the
// time and which the client logsift reads by default (the connection's address, %h or
// $remote_addr), and the --format argument that makes logsift read them so.
struct Family {
    std::string name;
    std::string format;
    std::size_t fields = 0;
    std::size_t time_field = 0;
    std::size_t client_field = 0;
};

const std::vector<Family>& families();
const Family* find_family(std::string_view name);

// A raw log made ready for the join: each line that fits its family has its request replaced by
// `GET /line/N HTTP/1.1` (N counts the raw log's lines from 1); the others are left out.
struct Prepared {
    std::string text;                    // the rewritten lines, each ending in a newline
    std::vector<std::string> addresses;  // by line number (index 0 unused); empty: left out
    std::size_t lines = 0;               // lines in the raw log
    std::size_t kept = 0;                // lines in text
};

Prepared prepare(std::string_view raw, const Family& family);

// One spelling per address, so an address written two ways counts once: IPv4 and IPv6 as
// inet_ntop prints them (an IPv4-mapped IPv6 address as its IPv4 address), any other client (a
// host name, `-`) in lower case.
std::string canonical_address(std::string_view text);

enum class Period { day, hour, all };
std::optional<Period> parse_period(std::string_view name);
const char* period_name(Period period);

// The period a record belongs to, read from the printed time column (ISO 8601): its date for
// day, its date and hour for hour, one key for the whole run.
std::string period_key(std::string_view time, Period period);

// The quasi-identifier: these printed columns, in this order, plus the period.
inline constexpr std::array<const char*, 6> qi_columns = {
    "network", "agent", "agent_version", "country", "referrer_host", "vhost"};

// The --fields of every run joined here: time, the quasi-identifier, the resource.
std::string fields_argument();

// logsift's arguments for reducing a prepared log at path into what join reads: JSON Lines of
// fields_argument(), times in UTC so that a period is one string of the time column whatever
// offsets the log mixes, lines of other shapes skipped however many there are; then extra.
std::vector<std::string> reduce_arguments(const Family& family, const std::string& path,
                                          const std::vector<std::string>& extra);

struct Row {
    std::size_t line = 0;
    std::string time;
    std::array<std::string, 6> qi;  // as qi_columns
};

// Printed records joined to their lines. A record that cannot be joined (not JSON, a missing
// column, a resource other than /line/N, a line not in the input or printed twice) is a
// problem, described without any raw value.
struct Joined {
    std::vector<Row> rows;
    std::vector<std::string> problems;
};

Joined join(std::string_view jsonl, const Prepared& prepared);

// Which printed columns make a class: all six, or the (network, agent, agent_version) clients
// logsift's own distinct-client sketches count.
enum class Key { quasi_identifier, client };

struct ClassCheck {
    std::size_t classes = 0;
    std::size_t smallest = 0;                // fewest distinct addresses in any class
    std::size_t below = 0;                   // classes with fewer than k addresses
    std::vector<std::string> below_samples;  // the first few of them, as printed plus a count
};

// Groups rows by (period, key columns) and counts the distinct raw addresses in each class.
ClassCheck check_classes(const std::vector<Row>& rows, const Prepared& prepared, Period period,
                         Key key, std::size_t k);

// The lines whose class in a run without k-anonymity already holds k addresses or more: they
// need no generalization to reach k, so a k-anonymous run must print them.
std::vector<std::size_t> crowded_lines(const std::vector<Row>& plain, const Prepared& prepared,
                                       Period period, std::size_t k);

// How far printed records single out the client behind them.
struct Linkability {
    std::size_t records = 0;
    std::size_t addresses = 0;               // distinct raw addresses behind the records
    std::size_t classes = 0;                 //
    std::size_t lonely_classes = 0;          // classes of one address
    std::size_t lonely_records = 0;          // records in those
    std::size_t lonely_addresses = 0;        // addresses whose every record is in one of those
    std::size_t lonely_classes_2_hours = 0;  // lonely classes seen in two hours or more
};

Linkability measure(const std::vector<Row>& rows, const Prepared& prepared, Period period, Key key);

// What a k-anonymous run kept of the plain run's records, line by line.
struct Kept {
    std::size_t plain = 0;       // records of the plain run
    std::size_t printed = 0;     // of those, printed by the k-anonymous run
    std::size_t network = 0;     // printed with the plain run's network (its /24 or /48)
    std::size_t version = 0;     // printed with the plain run's agent_version
    std::size_t suppressed = 0;  // not printed
};

Kept compare(const std::vector<Row>& plain, const std::vector<Row>& anonymous);

}  // namespace linkage
