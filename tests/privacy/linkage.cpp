// The join of printed records to raw addresses, and the class counts built on it. Nothing here
// calls logsift or shares its code: the point is to judge its output from outside.
#include "linkage.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace linkage {

namespace {

// A request is `"...", with \ escaping the next byte (Apache's \" and \\), followed by the
// status or, for ssl_request, the size: anything else means the line is not what the family
// says (a quote inside the request that nobody escaped, a field missing), so it is left out.
bool next_is_number(std::string_view rest) {
    if (rest.size() < 2 || rest[0] != ' ') return false;
    std::size_t end = 1;
    while (end < rest.size() && std::isdigit(static_cast<unsigned char>(rest[end])))
        ++end;
    if (end == 1) {
        if (rest[1] != '-') return false;
        end = 2;
    }
    return end == rest.size() || rest[end] == ' ' || rest[end] == '\r';
}

struct Split {
    std::size_t request_begin = 0;  // just after the opening quote
    std::size_t request_end = 0;    // at the closing quote
    std::string client;
};

std::optional<Split> split_line(std::string_view line, const Family& family) {
    Split split;
    std::size_t at = 0;
    for (std::size_t field = 0; field < family.fields; ++field) {
        std::size_t end = 0;
        if (field == family.time_field) {
            if (at >= line.size() || line[at] != '[') return std::nullopt;
            end = line.find(']', at);
            if (end == std::string_view::npos) return std::nullopt;
            ++end;
        } else {
            end = line.find(' ', at);
            if (end == std::string_view::npos || end == at) return std::nullopt;
            if (line.substr(at, end - at).find('"') != std::string_view::npos) return std::nullopt;
        }
        if (field == family.client_field) split.client = line.substr(at, end - at);
        if (end >= line.size() || line[end] != ' ') return std::nullopt;
        at = end + 1;
    }
    if (at >= line.size() || line[at] != '"') return std::nullopt;
    split.request_begin = at + 1;
    std::size_t i = split.request_begin;
    while (i < line.size() && line[i] != '"')
        i += line[i] == '\\' ? 2 : 1;
    if (i >= line.size()) return std::nullopt;
    split.request_end = i;
    if (!next_is_number(line.substr(i + 1))) return std::nullopt;
    return split;
}

std::string class_key(const Row& row, Period period, Key key) {
    std::string text = period_key(row.time, period);
    const std::size_t columns = key == Key::quasi_identifier ? row.qi.size() : 3;
    for (std::size_t i = 0; i < columns; ++i) {
        // A unit separator cannot occur in a printed column (they hold no control bytes).
        text += '\x1f';
        text += row.qi[i];
    }
    return text;
}

std::string describe(const std::string& key, std::size_t addresses) {
    std::string text;
    for (char c : key)
        text += c == '\x1f' ? std::string(" | ") : std::string(1, c);
    return "[" + text + "] " + std::to_string(addresses) + " address(es)";
}

struct Class {
    std::unordered_set<std::string_view> addresses;
    std::size_t records = 0;
    std::set<std::string> hours;
};

std::map<std::string, Class> group(const std::vector<Row>& rows, const Prepared& prepared,
                                   Period period, Key key) {
    std::map<std::string, Class> classes;
    for (const Row& row : rows) {
        Class& found = classes[class_key(row, period, key)];
        found.addresses.insert(prepared.addresses.at(row.line));
        ++found.records;
        found.hours.insert(period_key(row.time, Period::hour));
    }
    return classes;
}

}  // namespace

const std::vector<Family>& families() {
    static const std::vector<Family> all = {
        // %h %l %u %t "%r": logsift's presets of that shape.
        {"combined", "combined", 4, 3, 0},
        {"common", "common", 4, 3, 0},
        {"main", "main", 4, 3, 0},
        {"combinedio", "combinedio", 4, 3, 0},
        // %v[:%p] %h %l %u %t "%r".
        {"vhost_combined", "vhost_combined", 5, 4, 1},
        {"vhost_combined_noport", "vhost_combined_noport", 5, 4, 1},
        {"vhost_common", "vhost_common", 5, 4, 1},
        // %t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x "%r" %b: the time comes first.
        {"ssl_request", "ssl_request", 4, 0, 1},
        // mtail's Apache example: %D before the referrer.
        {"apache_D", R"(%h %l %u %t "%r" %>s %b %D "%{Referer}i" "%{User-agent}i")", 4, 3, 0},
        // lighttpd writes X-Forwarded-For first; logsift's client is the connection, the second.
        {"lighttpd",
         R"(%{X-Forwarded-For}i %h %u %t "%r" %>s %b %I %O %T "%{Referer}i" "%{User-Agent}i")", 4,
         3, 1},
    };
    return all;
}

const Family* find_family(std::string_view name) {
    for (const Family& family : families())
        if (family.name == name) return &family;
    return nullptr;
}

Prepared prepare(std::string_view raw, const Family& family) {
    Prepared prepared;
    prepared.addresses.emplace_back();
    std::size_t start = 0;
    while (start < raw.size()) {
        std::size_t end = raw.find('\n', start);
        if (end == std::string_view::npos) end = raw.size();
        std::string_view line = raw.substr(start, end - start);
        start = end + 1;
        ++prepared.lines;
        std::optional<Split> split = split_line(line, family);
        if (!split) {
            prepared.addresses.emplace_back();
            continue;
        }
        prepared.addresses.push_back(canonical_address(split->client));
        prepared.text.append(line.substr(0, split->request_begin));
        prepared.text += "GET /line/" + std::to_string(prepared.lines) + " HTTP/1.1";
        prepared.text.append(line.substr(split->request_end));
        prepared.text += '\n';
        ++prepared.kept;
    }
    return prepared;
}

std::string canonical_address(std::string_view text) {
    const std::string copy(text);
    char printed[INET6_ADDRSTRLEN] = {};
    unsigned char bytes[16] = {};
    if (::inet_pton(AF_INET, copy.c_str(), bytes) == 1) {
        ::inet_ntop(AF_INET, bytes, printed, sizeof printed);
        return printed;
    }
    if (::inet_pton(AF_INET6, copy.c_str(), bytes) == 1) {
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::equal(mapped, mapped + 12, bytes))
            ::inet_ntop(AF_INET, bytes + 12, printed, sizeof printed);
        else
            ::inet_ntop(AF_INET6, bytes, printed, sizeof printed);
        return printed;
    }
    std::string lower = copy;
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower;
}

std::optional<Period> parse_period(std::string_view name) {
    if (name == "day") return Period::day;
    if (name == "hour") return Period::hour;
    if (name == "all") return Period::all;
    return std::nullopt;
}

const char* period_name(Period period) {
    switch (period) {
        case Period::day:
            return "day";
        case Period::hour:
            return "hour";
        case Period::all:
            return "all";
    }
    return "?";
}

std::string period_key(std::string_view time, Period period) {
    // 2015-05-17T10:00:00+00:00: the date is 10 bytes, the date and hour 13.
    switch (period) {
        case Period::day:
            return std::string(time.substr(0, 10));
        case Period::hour:
            return std::string(time.substr(0, 13));
        case Period::all:
            return "all";
    }
    return "";
}

std::string fields_argument() {
    std::string fields = "time";
    for (const char* column : qi_columns)
        fields += std::string(",") + column;
    return fields + ",resource";
}

std::vector<std::string> reduce_arguments(const Family& family, const std::string& path,
                                          const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"reduce", "--format", family.format, "--utc"};
    args.insert(args.end(), {"--fields", fields_argument(), "--output-format", "jsonl"});
    args.insert(args.end(), {"--max-bad", "100%"});
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(path);
    return args;
}

Joined join(std::string_view jsonl, const Prepared& prepared) {
    Joined joined;
    std::vector<bool> seen(prepared.addresses.size(), false);
    std::size_t start = 0;
    std::size_t record = 0;
    while (start < jsonl.size()) {
        std::size_t end = jsonl.find('\n', start);
        if (end == std::string_view::npos) end = jsonl.size();
        std::string_view text = jsonl.substr(start, end - start);
        start = end + 1;
        ++record;
        const std::string where = "record " + std::to_string(record) + ": ";
        nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
        if (value.is_discarded() || !value.is_object()) {
            joined.problems.push_back(where + "not a JSON object");
            continue;
        }
        auto column = [&](const char* name) -> std::optional<std::string> {
            auto found = value.find(name);
            if (found == value.end() || !found->is_string()) return std::nullopt;
            return found->get<std::string>();
        };
        Row row;
        std::optional<std::string> time = column("time");
        std::optional<std::string> resource = column("resource");
        bool complete = time && resource;
        for (std::size_t i = 0; i < qi_columns.size(); ++i) {
            std::optional<std::string> cell = column(qi_columns[i]);
            complete = complete && cell;
            if (cell) row.qi[i] = *cell;
        }
        if (!complete) {
            joined.problems.push_back(where + "a column is missing or not a string");
            continue;
        }
        const std::string_view prefix = "/line/";
        std::string_view digits = *resource;
        std::size_t line = 0;
        if (digits.substr(0, prefix.size()) != prefix) {
            joined.problems.push_back(where + "the resource is not /line/N: " + *resource);
            continue;
        }
        digits.remove_prefix(prefix.size());
        auto [after, error] = std::from_chars(digits.data(), digits.data() + digits.size(), line);
        if (error != std::errc() || after != digits.data() + digits.size()) {
            joined.problems.push_back(where + "the resource is not /line/N: " + *resource);
            continue;
        }
        if (line == 0 || line >= prepared.addresses.size() || prepared.addresses[line].empty()) {
            joined.problems.push_back(where + "line " + std::to_string(line) +
                                      " was not in the input");
            continue;
        }
        if (seen[line]) {
            joined.problems.push_back(where + "line " + std::to_string(line) +
                                      " was printed twice");
            continue;
        }
        seen[line] = true;
        row.line = line;
        row.time = *time;
        joined.rows.push_back(std::move(row));
    }
    return joined;
}

ClassCheck check_classes(const std::vector<Row>& rows, const Prepared& prepared, Period period,
                         Key key, std::size_t k) {
    ClassCheck check;
    bool first = true;
    for (const auto& [name, found] : group(rows, prepared, period, key)) {
        ++check.classes;
        const std::size_t addresses = found.addresses.size();
        check.smallest = first ? addresses : std::min(check.smallest, addresses);
        first = false;
        if (addresses >= k) continue;
        ++check.below;
        if (check.below_samples.size() < 10)
            check.below_samples.push_back(describe(name, addresses));
    }
    return check;
}

std::vector<std::size_t> crowded_lines(const std::vector<Row>& plain, const Prepared& prepared,
                                       Period period, std::size_t k) {
    const std::map<std::string, Class> classes =
        group(plain, prepared, period, Key::quasi_identifier);
    std::vector<std::size_t> lines;
    for (const Row& row : plain)
        if (classes.at(class_key(row, period, Key::quasi_identifier)).addresses.size() >= k)
            lines.push_back(row.line);
    return lines;
}

Linkability measure(const std::vector<Row>& rows, const Prepared& prepared, Period period,
                    Key key) {
    const std::map<std::string, Class> classes = group(rows, prepared, period, key);
    Linkability result;
    result.records = rows.size();
    result.classes = classes.size();
    for (const auto& [name, found] : classes) {
        if (found.addresses.size() != 1) continue;
        ++result.lonely_classes;
        result.lonely_records += found.records;
        if (found.hours.size() >= 2) ++result.lonely_classes_2_hours;
    }
    // An address is lonely while every record of it sits in a one-address class.
    std::unordered_map<std::string_view, bool> lonely;
    for (const Row& row : rows) {
        const bool alone = classes.at(class_key(row, period, key)).addresses.size() == 1;
        auto [at, inserted] = lonely.emplace(prepared.addresses.at(row.line), alone);
        if (!inserted) at->second = at->second && alone;
    }
    result.addresses = lonely.size();
    result.lonely_addresses = static_cast<std::size_t>(std::count_if(
        lonely.begin(), lonely.end(), [](const auto& entry) { return entry.second; }));
    return result;
}

Kept compare(const std::vector<Row>& plain, const std::vector<Row>& anonymous) {
    std::unordered_map<std::size_t, const Row*> by_line;
    for (const Row& row : anonymous)
        by_line.emplace(row.line, &row);
    Kept kept;
    for (const Row& row : plain) {
        ++kept.plain;
        auto found = by_line.find(row.line);
        if (found == by_line.end()) {
            ++kept.suppressed;
            continue;
        }
        ++kept.printed;
        if (found->second->qi[0] == row.qi[0]) ++kept.network;
        if (found->second->qi[2] == row.qi[2]) ++kept.version;
    }
    return kept;
}

}  // namespace linkage
