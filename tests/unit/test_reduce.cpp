// Unit tests for reduce: the per-reducer memo of recent clients must give, for every line, what
// the address alone gives, however the memo's slots collide and are replaced.
#include <doctest/doctest.h>

#include <string>

#include "logsift/format/format.hpp"
#include "logsift/reduce/reduce.hpp"

using namespace logsift;

TEST_CASE("reduce: networks and --client stay right for every line as the client memo churns") {
    auto compiled = LogFormat::compile("$remote_addr $status");
    REQUIRE(compiled);
    const LogFormat& format = *compiled;
    ReduceOptions options;
    options.client_filter.push_back(*parse_cidr("10.1.0.0/16"));
    Reducer reducer(options, format, nullptr);

    // 20000 distinct addresses, each seen again after thousands of others: far more than the
    // memo holds, so slots are both hit and replaced.
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < 20000; ++i) {
            const int b = i / 256 % 4, c = i % 256, d = i / 1024 % 200 + 1;
            const std::string address =
                "10." + std::to_string(b) + "." + std::to_string(c) + "." + std::to_string(d);
            const std::string line = address + " 200";
            Fields fields;
            REQUIRE_FALSE(format.scan(line, fields));
            Record record;
            REQUIRE_FALSE(reducer.reduce(line, fields, record));
            const std::string expected =
                "10." + std::to_string(b) + "." + std::to_string(c) + ".0/24";
            REQUIRE(std::string(record.network) == expected);
            REQUIRE(record.client_selected == (b == 1));
        }
    }

    // IPv6 and non-addresses share the memo with IPv4.
    for (const auto& [client, network] :
         {std::pair{"2001:db8:1:2::5", "2001:db8:1::/48"}, std::pair{"-", "invalid"},
          std::pair{"10.1.2.3", "10.1.2.0/24"}, std::pair{"2001:db8:1:2::5", "2001:db8:1::/48"}}) {
        const std::string line = std::string(client) + " 200";
        Fields fields;
        REQUIRE_FALSE(format.scan(line, fields));
        Record record;
        REQUIRE_FALSE(reducer.reduce(line, fields, record));
        CHECK(std::string(record.network) == network);
    }
}

TEST_CASE("reduce: the columns TSV copies unescaped never hold a byte it would escape") {
    auto compiled = LogFormat::compile(
        R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
        R"("$http_referer" "$http_user_agent")");
    REQUIRE(compiled);
    const LogFormat& format = *compiled;
    ReduceOptions options;
    Reducer reducer(options, format, nullptr);
    // Escape sequences and raw control bytes wherever a server lets a client put them.
    const char* lines[] = {
        R"(192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "G\\ET /a HTTP/1.1" 200 1 "http://a\\b.example/" "x")",
        "192.0.2.1\\ - - [10/Oct/2026:13:55:36 +0000] \"GET /a HTTP/1.1\" 200 1 \"-\" \"x\"",
        "host\\name - - [10/Oct/2026:13:55:36 +0000] \"GET /a HTTP/1.1\" 200 1 \"-\" \"x\"",
        "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"G\rT /a HTTP/1.1\" 200 1 \"http://h\r.x/\" "
        "\"x\"",
        "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"GET /a\tb HTTP/1.1\" 200 1 \"//h\t/\" \"x\"",
        "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"PO\\\"ST /a HTTP/1.1\" 200 1 "
        "\"http://[::1\\]/\" \"x\"",
    };
    for (const char* text : lines) {
        const std::string line = text;
        Fields fields;
        if (format.scan(line, fields)) continue;
        Record record;
        if (reducer.reduce(line, fields, record)) continue;
        for (std::size_t i = 0; i < column_count; ++i) {
            const auto column = static_cast<Column>(i);
            if (!column_is_plain(column)) continue;
            std::array<char, 24> scratch{};
            const std::string_view value = record.text(column, scratch);
            CAPTURE(line);
            CAPTURE(column_name(column));
            CHECK(value.find_first_of("\t\n\r\\") == std::string_view::npos);
        }
    }
}
