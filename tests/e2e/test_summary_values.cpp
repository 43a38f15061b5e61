// A JSON summary read back (`merge`, `--from`) must hold only values a reducer writes under the
// settings it declares: each case takes a real summary, edits one value, and expects status 2,
// a message naming the file, and the value printed nowhere.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace e2e;

namespace {

const std::string downloads_log = data("aggregate/downloads.log").string();

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

nlohmann::json make_summary(std::vector<std::string> options = {}) {
    std::vector<std::string> args = {"summary", "--quiet", "--output-format", "json"};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(downloads_log);
    Result made = logsift(args);
    REQUIRE(made.status == 0);
    return nlohmann::json::parse(made.out);
}

// The first sources row of dimension, or (when the log has none) an agent_class row turned
// into one: its value is what the tests replace.
nlohmann::json& source_row(nlohmann::json& summary, const std::string& dimension) {
    for (nlohmann::json& row : summary["sources"]) {
        if (row["dimension"] == dimension) return row;
    }
    for (nlohmann::json& row : summary["sources"]) {
        if (row["dimension"] == "agent_class") {
            row["dimension"] = dimension;
            return row;
        }
    }
    FAIL("the summary has no agent_class row");
    return summary;
}

// Runs merge and each --from report on the edited summary: all refuse it the same way.
void expect_refused(const nlohmann::json& edited, const std::string& bad_value,
                    const std::string& reason) {
    TempDir dir;
    const std::string path = (dir / "edited.json").string();
    write_file(path, edited.dump());
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"merge", path},
             {"summary", "--from", path},
             {"sources", "--from", path, "--output-format", "csv"},
             {"downloads", "--from", path}}) {
        CAPTURE(args[0]);
        Result result = logsift(args);
        CHECK(result.status == 2);
        CHECK(result.out == "");
        CHECK(contains(result.err, "logsift: error: " + path + ": "));
        CHECK(contains(result.err, reason));
        std::string err = result.err;  // without the file's name, which may hold anything
        for (std::size_t at; (at = err.find(path)) != std::string::npos;)
            err.erase(at, path.size());
        CHECK(!contains(err, bad_value));
    }
}

}  // namespace

TEST_CASE("summary values: the unedited summary is read back") {
    TempDir dir;
    const std::string path = (dir / "summary.json").string();
    for (std::vector<std::string> options :
         std::vector<std::vector<std::string>>{{},
                                               {"--ipv4-prefix", "16", "--ipv6-prefix", "32"},
                                               {"--ipv4-prefix", "32", "--ipv6-prefix", "128"},
                                               {"--period", "week"},
                                               {"--period", "month"},
                                               {"--period", "all"}}) {
        write_file(path, make_summary(options).dump());
        Result merged = logsift({"merge", path});
        CHECK(merged.status == 0);
        CHECK(merged.err == "");
        CHECK(logsift({"sources", "--quiet", "--from", path}).status == 0);
    }
}

TEST_CASE("summary values: the summary of every real log is read back" *
          doctest::test_suite("slow")) {
    // What logsift writes, logsift reads: a check stricter than the reducers would break the
    // nightly merge.
    TempDir dir;
    const std::string path = (dir / "summary.json").string();
    std::size_t read_back = 0;
    for (const auto& entry : fs::directory_iterator(data("real"))) {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() != ".log") continue;
        Result made = logsift({"summary", "--quiet", "--max-bad", "100", "--output-format", "json",
                               "-o", path, entry.path().string()});
        if (made.status == 2) continue;  // no preset fits: not a summary's concern
        CAPTURE(name);
        Result merged = logsift({"merge", path});
        CHECK(merged.status == 0);
        CHECK(merged.err == "");
        read_back += merged.status == 0;
    }
    CHECK(read_back >= 25);  // 34 logs today; a few fit no preset
}

TEST_CASE("summary values: a network must have the declared prefix and canonical form") {
    // downloads.log has 192.0.2.0/24, 198.51.100.0/24 and 2001:db8:1::/48 at /24 and /48.
    for (const char* bad :
         {"203.0.113.77/32", "203.0.113.77", "192.0.2.77/24", "192.0.0.0/16", "192.000.2.0/24",
          "2001:db8:1::5/128", "2001:0db8:1::/48", "2001:DB8:1::/48", "::ffff:203.0.113.0/120",
          "alice.dyndns.org x", "ALICE.example.org", "alice@example.org", "my_host.example.org",
          "localhost", "2001:db8:1::"}) {
        CAPTURE(bad);
        nlohmann::json summary = make_summary();
        source_row(summary, "network")["value"] = bad;
        expect_refused(summary, bad, "a value of \"network\" is not one logsift writes");
    }
    // Under /16 and /32, a /24 and a /48 are as wrong as a whole address.
    nlohmann::json wide = make_summary({"--ipv4-prefix", "16", "--ipv6-prefix", "32"});
    source_row(wide, "network")["value"] = "192.0.2.0/24";
    expect_refused(wide, "192.0.2.0/24", "(networks have the declared prefix: /16 for IPv4");
}

TEST_CASE("summary values: referrer hosts, agents and the small dimensions" *
          doctest::test_suite("slow")) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"referrer_host", "alice@example.com"},
        {"referrer_host", "198.51.100.111"},
        {"referrer_host", "3405803853"},
        {"referrer_host", "[2001:db8::1]"},
        {"referrer_host", "198.51.100.111/32"},
        {"referrer_host", "News.Example.Net"},
        {"referrer_host", "news.example.net:8080"},
        {"referrer_host", "news example net"},
        {"referrer_host", "(password=hunter2)"},
        {"agent", "alice.smith@example.com password=hunter2 CNRYUA01"},
        {"agent", "ArcGIS 3.1.CNRYUA04-user=alice"},
        {"agent", "curl\x01 8.4.0"},
        {"agent", "curl 8.4.0 token=CNRY-secret"},
        {"agent", " curl 8.4.0"},
        {"agent", std::string(161, 'a')},
        {"agent_class", "hacker"},
        {"status_class", "200"},
        {"status_class", "2XX"},
        {"country", "de"},
        {"country", "DEU"},
        {"country", "D1"},
    };
    for (const auto& [dimension, bad] : cases) {
        CAPTURE(dimension);
        CAPTURE(bad);
        nlohmann::json summary = make_summary();
        source_row(summary, dimension)["value"] = bad;
        expect_refused(summary, bad, "a value of \"" + dimension + "\" is not one logsift writes");
    }
}

TEST_CASE("summary values: an unknown dimension, a bad period and download rows") {
    nlohmann::json summary = make_summary();
    nlohmann::json& row = source_row(summary, "email");
    row["value"] = "alice@example.com";
    expect_refused(summary, "alice@example.com", "unknown \"dimension\"");

    for (const char* bad : {"2026-13-01", "2026-02-30", "2026-W10", "all", "alice"}) {
        CAPTURE(bad);
        summary = make_summary();
        summary["sources"][0]["period"] = bad;
        expect_refused(summary, bad, "a \"period\" is not a label of the declared period \"day\"");
    }

    summary = make_summary();
    summary["downloads"][0]["resource"] = "/releases/tool-1.2.3.tar.gz\nCNRY-injected line";
    expect_refused(summary, "CNRY-injected line",
                   "downloads, period 2026-10-08: a \"resource\" is not one logsift writes");

    summary = make_summary();
    summary["downloads"][0]["product"] = "alice@example.com";
    expect_refused(summary, "alice@example.com",
                   "a \"product\" or \"version\" is not taken from its resource");
    summary = make_summary();
    summary["downloads"][0]["version"] = "CNRYVER01";
    expect_refused(summary, "CNRYVER01",
                   "a \"product\" or \"version\" is not taken from its resource");

    summary = make_summary();
    summary["lines"]["parsed"] = summary["lines"]["read"].get<std::uint64_t>() + 1;
    expect_refused(summary, "CNRY-unused", "lines: more lines \"parsed\" than \"read\"");
}

TEST_CASE("summary values: a CSV report defuses a value that would start a formula") {
    // No reducer writes an agent starting with '-' today, but the grammar allows one, and the
    // CSV reports go through the same writer as reduce's CSV.
    nlohmann::json summary = make_summary();
    nlohmann::json& row = source_row(summary, "agent");
    row["value"] = "-Evil 1.0";
    TempDir dir;
    const std::string path = (dir / "edited.json").string();
    write_file(path, summary.dump());
    Result report =
        logsift({"sources", "--from", path, "--dimension", "agent", "--output-format", "csv"});
    CHECK(report.status == 0);
    CHECK(contains(report.out, ",agent,\"'-Evil 1.0\","));
    for (const std::string& line : split_lines(report.out))
        CHECK(line.find(",-") == std::string::npos);
}
