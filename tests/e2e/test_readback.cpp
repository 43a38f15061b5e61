// Reading reduced logs back: `reduce` output (TSV, JSONL, --in-place, gzip'd) is a log that the
// `logsift` presets read, so summaries of anonymized logs can be made again months later.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace e2e;

namespace {

// Real logs that every tool reads with --format auto and whose summaries have no bad line (a
// bad raw line is not in the reduced log, so `lines.read` would differ).
const char* const clean_logs[] = {
    "real/apache-combined-basjes-hackers.log",       "real/apache-combined-gpxe-lnav.log",
    "real/apache-common-darwin-beats.log",           "real/apache-common-nasa-aug95-head.log",
    "real/apache-vhost-combined-beats.log",          "real/combined-attack-probes-crowdsec.log",
    "real/nginx-combined-elastic-examples-head.log", "real/vhost-combined-misc-crowdsec.log",
};

nlohmann::json summary_of(const std::string& path) {
    Result result = logsift({"summary", "--output-format", "json", path});
    REQUIRE_MESSAGE(result.status == 0, path << ": " << result.err);
    return nlohmann::json::parse(result.out);
}

// A summary without its distinct clients: a reduced log no longer holds the full address, so
// its clients are its networks; every other value must be the raw log's.
nlohmann::json without_clients(nlohmann::json summary) {
    for (const char* table : {"downloads", "sources"}) {
        for (nlohmann::json& row : summary[table])
            row.erase("clients");
    }
    return summary;
}

// (period, dimension, value) -> distinct clients, from a `sources` TSV report.
std::map<std::string, unsigned long long> clients_by_row(const std::string& report) {
    std::map<std::string, unsigned long long> clients;
    for (const std::string& line : split_lines(report)) {
        std::vector<std::string> cells = split_tabs(line);
        REQUIRE(cells.size() == 5);
        clients[cells[0] + "\t" + cells[1] + "\t" + cells[2]] = std::stoull(cells[4]);
    }
    return clients;
}

}  // namespace

TEST_CASE("a reduced log summarizes as the raw log did, in TSV and JSONL" *
          doctest::test_suite("slow")) {
    TempDir dir;
    for (const char* name : clean_logs) {
        CAPTURE(name);
        const std::string raw = data(name).string();
        const nlohmann::json expected = summary_of(raw);
        REQUIRE(expected["lines"]["parsed"].get<long>() > 0);
        for (const char* format : {"tsv", "jsonl"}) {
            CAPTURE(format);
            const fs::path reduced = dir / (std::string("reduced.") + format);
            Result reduce = logsift({"reduce", "--output-format", format, "-o", reduced, raw});
            REQUIRE(reduce.status == 0);
            Result detect = logsift({"formats", "--detect", reduced.string()});
            CHECK(detect.out.starts_with(std::string(format) == "tsv" ? "logsift\t"
                                                                      : "logsift_jsonl\t"));
            // The reduced record holds every value a summary counts but the full address.
            CHECK(without_clients(summary_of(reduced.string())) == without_clients(expected));
        }
    }
}

TEST_CASE("downloads and sources read a reduced log like the raw one") {
    TempDir dir;
    // One bad line (an unterminated quote), under --max-bad: it is in neither report.
    const std::string raw = data("real/apache-combined-elastic-examples.log").string();
    const fs::path reduced = dir / "reduced.tsv";
    REQUIRE(logsift({"reduce", "-o", reduced, raw}).status == 0);
    for (const char* report : {"downloads", "sources"}) {
        CAPTURE(report);
        Result from_raw = logsift({report, raw});
        Result from_reduced = logsift({report, reduced.string()});
        REQUIRE(from_raw.status == 0);
        REQUIRE(from_reduced.status == 0);
        CHECK(!from_raw.out.empty());
        if (std::string(report) == "downloads") {
            CHECK(from_reduced.out == from_raw.out);  // no download here has two addresses
            continue;
        }
        // The same rows and requests; a reduced log's client is its network, so a row never
        // has more clients than in the raw log, and a network row has exactly one.
        std::map<std::string, unsigned long long> raw_rows = clients_by_row(from_raw.out);
        std::map<std::string, unsigned long long> reduced_rows = clients_by_row(from_reduced.out);
        REQUIRE(raw_rows.size() == reduced_rows.size());
        bool fewer = false;
        for (const auto& [row, clients] : raw_rows) {
            CAPTURE(row);
            REQUIRE(reduced_rows.count(row) == 1);
            CHECK(reduced_rows[row] <= clients);
            fewer = fewer || reduced_rows[row] < clients;
            if (row.find("\tnetwork\t") != std::string::npos) CHECK(reduced_rows[row] == 1);
        }
        CHECK(fewer);  // this log has networks with several addresses
    }
}

TEST_CASE("a log reduced --in-place, then gzip'd, reads back") {
    TempDir dir;
    const fs::path log = dir / "access.log";
    fs::copy_file(data("real/apache-combined-basjes-hackers.log"), log);
    const nlohmann::json expected = summary_of(log.string());
    REQUIRE(logsift({"reduce", "--in-place", "--k-anonymity", "1", log.string()}).status == 0);
    CHECK(logsift({"formats", "--detect", log.string()}).out.starts_with("logsift\t"));
    CHECK(without_clients(summary_of(log.string())) == without_clients(expected));
    REQUIRE(shell("gzip '" + log.string() + "'").status == 0);
    const std::string gzipped = log.string() + ".gz";
    CHECK(logsift({"formats", "--detect", gzipped}).out.starts_with("logsift\t"));
    CHECK(without_clients(summary_of(gzipped)) == without_clients(expected));
}

TEST_CASE("a reduced network is never widened, and cut to a shorter run prefix") {
    const std::string log =
        "2026-10-10T13:00:00+00:00\t203.0.113.0/24\tGET\t/\t200\t5\tcurl\t8.5.0\ttool\t\t\t\n"
        "2026-10-10T13:00:00+00:00\t2001:db8:1::/48\tGET\t/\t200\t5\tcurl\t8.5.0\ttool\t\t\t\n"
        "2026-10-10T13:00:00+00:00\t198.51.100.77\tGET\t/\t200\t5\tcurl\t8.5.0\ttool\t\t\t\n"
        "2026-10-10T13:00:00+00:00\tinvalid\tGET\t/\t200\t5\tcurl\t8.5.0\ttool\t\t\t\n";
    Result same = logsift({"reduce", "--format", "logsift", "-"}, log);
    REQUIRE(same.status == 0);
    auto network = [](const std::string& out, std::size_t line) {
        return split_tabs(split_lines(out).at(line)).at(1);
    };
    CHECK(network(same.out, 0) == "203.0.113.0/24");
    CHECK(network(same.out, 1) == "2001:db8:1::/48");
    CHECK(network(same.out, 2) == "198.51.100.0/24");  // a whole address is cut like a client's
    CHECK(network(same.out, 3) == "invalid");
    Result longer = logsift(
        {"reduce", "--format", "logsift", "--ipv4-prefix", "28", "--ipv6-prefix", "56", "-"}, log);
    REQUIRE(longer.status == 0);
    CHECK(network(longer.out, 0) == "203.0.113.0/24");  // the bits are gone: never /28
    CHECK(network(longer.out, 1) == "2001:db8:1::/48");
    CHECK(network(longer.out, 2) == "198.51.100.64/28");
    Result shorter = logsift(
        {"reduce", "--format", "logsift", "--ipv4-prefix", "16", "--ipv6-prefix", "32", "-"}, log);
    REQUIRE(shorter.status == 0);
    CHECK(network(shorter.out, 0) == "203.0.0.0/16");
    CHECK(network(shorter.out, 1) == "2001:db8::/32");
}

TEST_CASE("reduced agent, referrer and country columns are checked, not parsed again") {
    const std::string log =
        "2026-10-10T13:00:00+00:00\t203.0.113.0/24\tGET\t/\t200\t5\tFirefox\t128.0\tbrowser\t"
        "www.example.com\tDE\t\n"
        "2026-10-10T13:00:00+00:00\t203.0.113.0/24\tGET\t/\t200\t5\t"
        "alice@example.com password=x\t3.1.user=alice\twizard\t"
        "alice:secret@EXAMPLE.org\tgermany\t\n";
    Result result = logsift({"reduce", "--format", "logsift", "-"}, log);
    REQUIRE(result.status == 0);
    auto lines = split_lines(result.out);
    REQUIRE(lines.size() == 2);
    auto first = split_tabs(lines[0]);
    CHECK(first.at(6) == "Firefox");
    CHECK(first.at(7) == "128.0");
    CHECK(first.at(8) == "browser");
    CHECK(first.at(9) == "www.example.com");
    CHECK(first.at(10) == "DE");
    auto second = split_tabs(lines[1]);
    CHECK(second.at(6) == "Other");
    CHECK(second.at(7) == "");
    CHECK(second.at(8) == "other");
    CHECK(second.at(9) == "example.org");
    CHECK(second.at(10) == "");
    CHECK(result.out.find("alice") == std::string::npos);
}
