// downloads, sources, summary and merge end to end, on small logs whose every expected count
// was worked out by hand (tests/data/aggregate/*.log; each line's role is noted below).
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace e2e;

namespace {

// downloads.log, line by line:
// A download is one distinct (full address, agent, version); a source's client is one distinct
// full address.
//  1-2  192.0.2.10 curl, two 206 range requests            -> client A
//  3    192.0.2.99 curl, same /24 and agent, other address  -> client A2
//  4    198.51.100.7 curl, another network                  -> client B (referrer news.example.net)
//  5    192.0.2.10 Wget, same address, other agent          -> client C (a download of its own)
//  6-8  HEAD, 304 and 404                                   -> not downloads
//  9    Googlebot                                           -> a bot: excluded by default
//  10   /index.html, Firefox (referrer www.example.com)     -> not a download
//  11   tool-1.2.3.zip?token=x at 23:30, Firefox            -> client D (referrer news.example.net)
//  12   next day, 192.0.2.10 curl                           -> client A on 2026-10-09
//  13   next day, 2001:db8:1::5 curl, tool-1.2.4.tar.gz     -> client E on 2026-10-09
const std::string downloads_log = data("aggregate/downloads.log").string();
const std::string periods_log = data("aggregate/periods.log").string();

Result run(std::vector<std::string> args) {
    args.insert(args.begin() + 1, "--quiet");
    return logsift(args);
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("downloads: range requests and retries count once, addresses and agents apart") {
    Result result = run({"downloads", downloads_log});
    CHECK(result.status == 0);
    CHECK(result.out ==
          "2026-10-08\t/releases/tool-1.2.3.tar.gz\t4\t5\t12000\n"
          "2026-10-08\t/releases/tool-1.2.3.zip\t1\t1\t4000\n"
          "2026-10-09\t/releases/tool-1.2.3.tar.gz\t1\t1\t3000\n"
          "2026-10-09\t/releases/tool-1.2.4.tar.gz\t1\t1\t5000\n");
}

TEST_CASE("downloads: bots are excluded unless --include-bots") {
    Result result = run({"downloads", "--include-bots", "--period", "all", downloads_log});
    CHECK(result.out ==
          "all\t/releases/tool-1.2.3.tar.gz\t5\t7\t18000\n"
          "all\t/releases/tool-1.2.3.zip\t1\t1\t4000\n"
          "all\t/releases/tool-1.2.4.tar.gz\t1\t1\t5000\n");
}

TEST_CASE("downloads: --by version and --by product group the rule's captures") {
    Result version = run({"downloads", "--by", "version", "--header", downloads_log});
    CHECK(version.out ==
          "period\tproduct\tversion\tdownloads\trequests\tbytes\n"
          "2026-10-08\ttool\t1.2.3\t5\t6\t16000\n"
          "2026-10-09\ttool\t1.2.3\t1\t1\t3000\n"
          "2026-10-09\ttool\t1.2.4\t1\t1\t5000\n");
    Result product = run({"downloads", "--by", "product", "--period", "all", downloads_log});
    // Client A, on both days, counts once for the whole period.
    CHECK(product.out == "all\ttool\t6\t8\t24000\n");
}

TEST_CASE("downloads: day, ISO week and month boundaries in the log's offset, or in UTC") {
    CHECK(run({"downloads", periods_log}).out ==
          "2026-10-31\t/releases/tool-2.0.0.tar.gz\t1\t1\t100\n"
          "2026-11-01\t/releases/tool-2.0.0.tar.gz\t2\t2\t200\n"
          "2026-11-02\t/releases/tool-2.0.0.tar.gz\t1\t1\t100\n");
    CHECK(run({"downloads", "--utc", periods_log}).out ==
          "2026-10-31\t/releases/tool-2.0.0.tar.gz\t2\t2\t200\n"
          "2026-11-01\t/releases/tool-2.0.0.tar.gz\t2\t2\t200\n");
    CHECK(run({"downloads", "--period", "week", periods_log}).out ==
          "2026-W44\t/releases/tool-2.0.0.tar.gz\t3\t3\t300\n"
          "2026-W45\t/releases/tool-2.0.0.tar.gz\t1\t1\t100\n");
    CHECK(run({"downloads", "--period", "month", periods_log}).out ==
          "2026-10\t/releases/tool-2.0.0.tar.gz\t1\t1\t100\n"
          "2026-11\t/releases/tool-2.0.0.tar.gz\t3\t3\t300\n");
    CHECK(run({"downloads", "--period", "month", "--utc", periods_log}).out ==
          "2026-10\t/releases/tool-2.0.0.tar.gz\t2\t2\t200\n"
          "2026-11\t/releases/tool-2.0.0.tar.gz\t2\t2\t200\n");
}

TEST_CASE("sources: each dimension counts requests and distinct clients") {
    Result result = run({"sources", "--site-host", "www.example.com", downloads_log});
    CHECK(result.status == 0);
    std::vector<std::string> rows = split_lines(result.out);
    auto has = [&](const std::string& row) {
        return std::find(rows.begin(), rows.end(), row) != rows.end();
    };
    CHECK(has("2026-10-08\treferrer_host\tnews.example.net\t2\t2"));
    CHECK_FALSE(contains(result.out, "www.example.com"));
    CHECK(has("2026-10-08\tnetwork\t192.0.2.0/24\t4\t2"));
    CHECK(has("2026-10-08\tnetwork\t198.51.100.0/24\t1\t1"));
    CHECK(has("2026-10-08\tnetwork\t203.0.113.0/24\t5\t5"));
    CHECK(has("2026-10-08\tnetwork\t66.249.66.0/24\t1\t1"));
    CHECK(has("2026-10-08\tagent\tcurl 8.4.0\t7\t6"));
    CHECK(has("2026-10-08\tagent\tFirefox 120.0\t2\t2"));
    CHECK(has("2026-10-08\tagent_class\ttool\t8\t6"));
    CHECK(has("2026-10-08\tagent_class\tbot\t1\t1"));
    CHECK(has("2026-10-08\tagent_class\tbrowser\t2\t2"));
    CHECK(has("2026-10-08\tstatus_class\t2xx\t9\t7"));
    CHECK(has("2026-10-08\tstatus_class\t3xx\t1\t1"));
    CHECK(has("2026-10-08\tstatus_class\t4xx\t1\t1"));
    CHECK(has("2026-10-09\tnetwork\t2001:db8:1::/48\t1\t1"));

    // Without --site-host the site's own referrer is a source too (the format has no vhost).
    CHECK(contains(run({"sources", "--dimension", "referrer_host", downloads_log}).out,
                   "2026-10-08\treferrer_host\twww.example.com\t1\t1\n"));
}

TEST_CASE("sources: --dimension, --top and the order of rows") {
    Result result =
        run({"sources", "--dimension", "network", "--top", "2", "--period", "all", downloads_log});
    CHECK(result.out ==
          "all\tnetwork\t203.0.113.0/24\t5\t5\n"
          "all\tnetwork\t192.0.2.0/24\t5\t2\n");
}

TEST_CASE("sources: --min-clients folds small rows into (other) and never prints a row below k") {
    Result folded = run({"sources", "--dimension", "network", "--min-clients", "2", "--period",
                         "all", downloads_log});
    CHECK(folded.out ==
          "all\tnetwork\t203.0.113.0/24\t5\t5\n"
          "all\tnetwork\t192.0.2.0/24\t5\t2\n"
          "all\tnetwork\t(other)\t3\t3\n");

    // On a real log, for several k: every printed row has at least k clients.
    for (const char* report : {"sources", "downloads"}) {
        for (int k : {2, 3, 5, 20}) {
            CAPTURE(report);
            CAPTURE(k);
            Result result = run({report, "--max-bad", "5", "--min-clients", std::to_string(k),
                                 data("real/apache-combined-elastic-examples.log").string()});
            CHECK(result.status == 0);
            for (const std::string& row : split_lines(result.out)) {
                std::vector<std::string> cells = split_tabs(row);
                std::size_t clients_column = std::string(report) == "sources" ? 4 : 2;
                REQUIRE(cells.size() > clients_column);
                CHECK(std::stoull(cells[clients_column]) >= static_cast<unsigned long long>(k));
            }
        }
    }
}

TEST_CASE("filters: --status, --method, --path, --agent-class, --vhost") {
    CHECK(run({"reduce", "--status", "4xx", "--fields", "status,resource", downloads_log}).out ==
          "404\t/releases/tool-1.2.4.tar.gz\n");
    CHECK(run({"reduce", "--status", "304,404", "--fields", "status", downloads_log}).out ==
          "304\n404\n");
    CHECK(run({"reduce", "--method", "HEAD", "--fields", "method,network", downloads_log}).out ==
          "HEAD\t203.0.113.0/24\n");
    CHECK(run({"reduce", "--path", "\\.zip$", "--fields", "resource", downloads_log}).out ==
          "/releases/tool-1.2.3.zip\n");
    CHECK(run({"reduce", "--agent-class", "bot", "--fields", "network,agent_class", downloads_log})
              .out == "66.249.66.0/24\tbot\n");
    CHECK(run({"reduce", "--agent-class", "browser", "--fields", "agent", downloads_log}).out ==
          "Firefox\nFirefox\n");
    std::string vhost_log = data("real/vhost-combined-misc-crowdsec.log").string();
    Result vhosts = run({"reduce", "--vhost", "nonexistent.example", vhost_log});
    CHECK(vhosts.status == 0);
    CHECK(vhosts.out == "");
    CHECK(run({"downloads", "--status", "206", downloads_log}).out ==
          "2026-10-08\t/releases/tool-1.2.3.tar.gz\t1\t2\t3000\n");
}

TEST_CASE("filters: --client selects by the full address and prints only the network") {
    Result one =
        run({"reduce", "--client", "192.0.2.99/32", "--fields", "network,status", downloads_log});
    CHECK(one.out == "192.0.2.0/24\t200\n");
    CHECK_FALSE(contains(one.out + one.err, "192.0.2.99"));
    Result bare = run({"reduce", "--client", "192.0.2.10", "--fields", "time", downloads_log});
    CHECK(split_lines(bare.out).size() == 4);  // lines 1, 2, 5 and 12
    Result v6 =
        run({"sources", "--client", "2001:db8::/32", "--dimension", "network", downloads_log});
    CHECK(v6.out == "2026-10-09\tnetwork\t2001:db8:1::/48\t1\t1\n");
}

TEST_CASE("filters: --since and --until in ISO 8601, as a time of day, and relative") {
    CHECK(run({"reduce", "--since", "2026-10-08T10:05", "--until", "2026-10-09T00:00Z", "--fields",
               "status", downloads_log})
              .out == "200\n304\n404\n200\n200\n200\n");
    // The window is in the logged times' own instants: 12:05+02:00 is 10:05Z.
    CHECK(split_lines(run({"reduce", "--since", "2026-10-08T12:05:00+02:00", "--fields", "status",
                           downloads_log})
                          .out)
              .size() == 8);
    // A time of day is on the day of the last record (2026-10-09, +0000).
    CHECK(run({"reduce", "--since", "00:45", "--fields", "resource", downloads_log}).out ==
          "/releases/tool-1.2.4.tar.gz\n");
    CHECK(run({"downloads", "--until", "00:45", "--period", "all", downloads_log}).out ==
          "all\t/releases/tool-1.2.3.tar.gz\t4\t6\t15000\n"
          "all\t/releases/tool-1.2.3.zip\t1\t1\t4000\n");
    // Relative windows are measured from now: these 2026 logs are far in the past or future.
    Result recent = run({"reduce", "--since", "-2h", downloads_log});
    CHECK(recent.status == 0);
    Result stdin_time_of_day = logsift({"reduce", "--since", "13:00"}, read_file(downloads_log));
    CHECK(stdin_time_of_day.status == 2);
    CHECK(contains(stdin_time_of_day.err, "standard input"));
    CHECK(run({"reduce", "--since", "yesterday-ish", downloads_log}).status == 2);
}

TEST_CASE("summary: JSON is versioned, holds the settings, and parses") {
    Result result = run({"summary", "--output-format", "json", downloads_log});
    CHECK(result.status == 0);
    nlohmann::json summary = nlohmann::json::parse(result.out);
    CHECK(summary["logsift_summary"] == 2);
    CHECK(summary["settings"]["ipv4_prefix"] == 24);
    CHECK(summary["settings"]["ipv6_prefix"] == 48);
    CHECK(summary["settings"]["period"] == "day");
    CHECK(summary["settings"]["time_resolution"] == "hour");
    CHECK(summary["lines"]["read"] == 13);
    CHECK(summary["downloads"].size() == 4);
    CHECK(summary["downloads"][0]["resource"] == "/releases/tool-1.2.3.tar.gz");
    CHECK(summary["downloads"][0]["requests"] == 5);

    Result tables = run({"summary", downloads_log});
    CHECK(contains(tables.out, "2026-10-08\t/releases/tool-1.2.3.tar.gz\t4\t5\t12000\n"));
    CHECK(contains(tables.out, "2026-10-09\t/releases/tool-1.2.4.tar.gz\t1\t1\t5000\n\n"));
    CHECK(contains(tables.out, "2026-10-08\tstatus_class\t2xx\t9\t7\n"));

    Result downloads_json = run({"downloads", "--output-format", "json", downloads_log});
    nlohmann::json rows = nlohmann::json::parse(downloads_json.out);
    CHECK(rows["downloads"][0]["downloads"] == 4);
    CHECK(rows["downloads"][0]["period"] == "2026-10-08");

    Result table = run({"downloads", "--output-format", "table", downloads_log});
    // Text columns are padded to the widest cell, numbers right-aligned, two spaces apart.
    CHECK(split_lines(table.out).at(0) == "period" + std::string(4 + 2, ' ') + "resource" +
                                              std::string(19 + 2, ' ') +
                                              "downloads  requests  bytes");
    CHECK(split_lines(table.out).at(1) ==
          "2026-10-08  /releases/tool-1.2.3.tar.gz          4         5  12000");
}

TEST_CASE("merge: summaries of a log split anywhere give the same reports as the whole log") {
    TempDir dir;
    std::string whole =
        read_file(data("real/apache-combined-elastic-examples.log")) + read_file(downloads_log);
    write_file(dir / "whole.log", whole);
    std::vector<std::string> lines = split_lines(whole);
    std::vector<std::size_t> cuts = {0, 1234, 5000, 7777, 9999, lines.size()};
    std::vector<std::string> parts;
    for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
        std::string piece;
        for (std::size_t l = cuts[i]; l < cuts[i + 1]; ++l)
            piece += lines[l] + "\n";
        std::string log = (dir / ("part" + std::to_string(i) + ".log")).string();
        std::string json = (dir / ("part" + std::to_string(i) + ".json")).string();
        write_file(log, piece);
        Result made =
            run({"summary", "--max-bad", "5", "--output-format", "json", "-o", json, log});
        REQUIRE(made.status == 0);
        parts.push_back(json);
    }
    // Merge in another order, and in two steps.
    std::string first = (dir / "first.json").string();
    std::string merged = (dir / "merged.json").string();
    REQUIRE(logsift({"merge", "-o", first, parts[3], parts[0]}).status == 0);
    REQUIRE(logsift({"merge", "-o", merged, parts[4], first, parts[2], parts[1]}).status == 0);

    const std::string whole_log = (dir / "whole.log").string();
    for (std::vector<std::string> report :
         std::vector<std::vector<std::string>>{{"downloads"},
                                               {"downloads", "--by", "version"},
                                               {"sources"},
                                               {"sources", "--min-clients", "3"}}) {
        CAPTURE(report[0]);
        std::vector<std::string> direct = report;
        direct.insert(direct.end(), {"--max-bad", "5", whole_log});
        std::vector<std::string> from = report;
        from.insert(from.end(), {"--from", merged});
        Result expected = run(direct);
        Result actual = run(from);
        CHECK(expected.status == 0);
        CHECK(actual.status == 0);
        CHECK(expected.out.size() > 100);
        CHECK(actual.out == expected.out);
    }
    // Merging is order-independent down to the byte.
    Result forward = logsift({"merge", parts[0], parts[1], parts[2], parts[3], parts[4]});
    Result backward = logsift({"merge", parts[4], parts[3], parts[2], parts[1], parts[0]});
    CHECK(forward.out == backward.out);
    // Summaries can also come on standard input.
    Result piped = logsift({"merge"}, read_file(merged));
    CHECK(piped.out == read_file(merged));
}

TEST_CASE("merge: bad summaries and mismatched settings are usage errors with a clear message") {
    TempDir dir;
    std::string day = (dir / "day.json").string();
    std::string week = (dir / "week.json").string();
    REQUIRE(run({"summary", "--output-format", "json", "-o", day, downloads_log}).status == 0);
    REQUIRE(
        run({"summary", "--output-format", "json", "--period", "week", "-o", week, downloads_log})
            .status == 0);
    Result mismatch = logsift({"merge", day, week});
    CHECK(mismatch.status == 2);
    CHECK(contains(mismatch.err, "period"));
    CHECK(mismatch.out == "");

    write_file(dir / "junk.json", "this is not json");
    Result junk = logsift({"merge", (dir / "junk.json").string()});
    CHECK(junk.status == 2);
    CHECK(contains(junk.err, "not valid JSON"));

    nlohmann::json document = nlohmann::json::parse(read_file(day));
    document["logsift_summary"] = 99;
    write_file(dir / "version.json", document.dump());
    CHECK(contains(logsift({"merge", (dir / "version.json").string()}).err,
                   "unsupported summary version"));

    document = nlohmann::json::parse(read_file(day));
    document["downloads"][0]["requests"] = -5;
    write_file(dir / "negative.json", document.dump());
    Result negative = logsift({"merge", (dir / "negative.json").string()});
    CHECK(negative.status == 2);
    CHECK(contains(negative.err, "downloads[0]: \"requests\" must be a whole number"));

    document = nlohmann::json::parse(read_file(day));
    document["downloads"][0]["requests"] = 18446744073709551615ULL;
    write_file(dir / "big.json", document.dump());
    Result overflow = logsift({"merge", (dir / "big.json").string(), day});
    CHECK(overflow.status == 2);
    CHECK(contains(overflow.err, "overflow"));

    CHECK(run({"downloads", "--from", day, "--period", "week"}).status == 2);
    CHECK(run({"downloads", "--from", day, downloads_log}).status == 2);
}
