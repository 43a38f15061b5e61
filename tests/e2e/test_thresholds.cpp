// --min-clients counts people: distinct full addresses, an estimate only by its lower bound,
// the same after merge and --from, and never on a mergeable summary. Every log here is made by
// the test, so each row's true number of addresses is known without asking logsift.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "harness.hpp"

using namespace e2e;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string line(const std::string& address, const std::string& agent, int minute = 0,
                 const std::string& resource = "/index.html") {
    char time[64];
    std::snprintf(time, sizeof time, "[10/Oct/2026:13:%02d:00 +0000]", minute % 60);
    return address + " - - " + time + " \"GET " + resource + " HTTP/1.1\" 200 512 \"-\" \"" +
           agent + "\"\n";
}

// value -> clients, from a one-dimension `sources` TSV report.
std::map<std::string, unsigned long long> rows_of(const std::string& report) {
    std::map<std::string, unsigned long long> rows;
    for (const std::string& row : split_lines(report)) {
        std::vector<std::string> cells = split_tabs(row);
        REQUIRE(cells.size() == 5);
        rows[cells[2]] = std::stoull(cells[4]);
    }
    return rows;
}

}  // namespace

TEST_CASE("one address with five agents or versions is one client, not five") {
    std::string log;
    for (int version = 1; version <= 5; ++version)
        log += line("198.51.100.7", "curl/8.0." + std::to_string(version), version,
                    "/releases/tool-1.0.tar.gz");
    log += line("198.51.100.7", "Wget/1.21.3", 7, "/releases/tool-1.0.tar.gz");
    TempDir dir;
    write_file(dir / "cycling.log", log);
    const std::string path = (dir / "cycling.log").string();

    Result sources = logsift({"sources", "-q", "--period", "all", path});
    REQUIRE(sources.status == 0);
    CHECK(contains(sources.out, "all\tnetwork\t198.51.100.0/24\t6\t1\n"));
    CHECK(contains(sources.out, "all\tagent_class\ttool\t6\t1\n"));
    // Under any threshold above one, nothing of this one person is printed.
    for (const char* report : {"sources", "downloads"}) {
        CAPTURE(report);
        for (const char* k : {"2", "5"}) {
            Result folded = logsift({report, "-q", "--min-clients", k, path});
            CHECK(folded.status == 0);
            CHECK(folded.out == "");
        }
    }
    // A download is (address, agent, version): six of them, but one person.
    CHECK(logsift({"downloads", "-q", "--period", "all", path}).out ==
          "all\t/releases/tool-1.0.tar.gz\t6\t6\t3072\n");
}

TEST_CASE("rows in HyperLogLog range are never printed below k, and clear rows are") {
    // One /16 per row, each with a known number of distinct addresses around the thresholds
    // and well past the 127 a sketch keeps exactly.
    const std::vector<unsigned> sizes = {100, 140, 180, 250, 300, 360, 372,  378,
                                         390, 420, 470, 520, 700, 900, 1400, 2100};
    std::map<std::string, unsigned> truth;
    std::string log;
    std::mt19937 random(20261206);
    for (std::size_t row = 0; row < sizes.size(); ++row) {
        const std::string network = "10." + std::to_string(row + 1);
        truth[network + ".0.0/16"] = sizes[row];
        for (unsigned i = 0; i < sizes[row]; ++i) {
            const std::string address =
                network + "." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
            for (unsigned repeat = 0; repeat < 1 + random() % 3; ++repeat)
                log += line(address, "curl/8.4.0", static_cast<int>(random() % 60));
        }
    }
    TempDir dir;
    write_file(dir / "crowds.log", log);
    for (unsigned k : {150u, 300u, 378u, 450u, 600u, 1000u}) {
        CAPTURE(k);
        Result result =
            logsift({"sources", "-q", "--ipv4-prefix", "16", "--dimension", "network", "--period",
                     "all", "--min-clients", std::to_string(k), (dir / "crowds.log").string()});
        REQUIRE(result.status == 0);
        std::map<std::string, unsigned long long> printed = rows_of(result.out);
        unsigned folded = 0;
        for (const auto& [network, addresses] : truth) {
            if (!printed.count(network)) folded += addresses;
        }
        for (const auto& [value, clients] : printed) {
            CAPTURE(value);
            // The true number of people behind a printed row (the folded rows, for (other)).
            const unsigned people = value == "(other)" ? folded : truth.at(value);
            CHECK(people >= k);
        }
        // The bound is not so careful that a clear row is lost.
        for (const auto& [network, addresses] : truth) {
            if (addresses >= k * 5 / 4) CHECK_MESSAGE(printed.count(network), network);
        }
    }
}

TEST_CASE("thresholds hold the same after merge and --from, and not on a summary") {
    // Two halves of one day with shared and separate addresses: rows that are under k in each
    // half reach k only together.
    std::string first, second;
    for (int i = 1; i <= 6; ++i) {
        const std::string shared = "203.0.113." + std::to_string(i);
        first += line(shared, "Firefox/128.0", i);
        second += line(shared, "Firefox/128.0", i + 1);
        first += line("192.0.2." + std::to_string(i), "curl/8.4.0", i);
        second += line("198.51.100." + std::to_string(i), "Wget/1.21.3", i);
    }
    TempDir dir;
    write_file(dir / "a.log", first);
    write_file(dir / "b.log", second);
    write_file(dir / "whole.log", first + second);
    for (const char* half : {"a", "b"}) {
        Result summary = logsift({"summary", "-q", "--output-format", "json", "-o",
                                  (dir / (std::string(half) + ".json")).string(),
                                  (dir / (std::string(half) + ".log")).string()});
        REQUIRE(summary.status == 0);
    }
    Result merged = logsift({"merge", "-o", (dir / "merged.json").string(),
                             (dir / "a.json").string(), (dir / "b.json").string()});
    REQUIRE(merged.status == 0);
    for (const char* k : {"4", "6", "7", "12", "13"}) {
        CAPTURE(k);
        const std::vector<std::string> shape = {"--dimension", "agent_class,network,agent",
                                                "--min-clients", k};
        auto run = [&](std::vector<std::string> inputs) {
            std::vector<std::string> args = {"sources", "-q"};
            args.insert(args.end(), shape.begin(), shape.end());
            args.insert(args.end(), inputs.begin(), inputs.end());
            Result result = logsift(args);
            REQUIRE(result.status == 0);
            return result.out;
        };
        const std::string whole = run({(dir / "whole.log").string()});
        CHECK(run({"--from", (dir / "a.json").string(), "--from", (dir / "b.json").string()}) ==
              whole);
        CHECK(run({"--from", (dir / "merged.json").string()}) == whole);
    }
    // 6 people browse, 12 fetch: under k = 13 neither class is printed, but the 18 together
    // are; under 19, nothing is.
    Result classes = logsift({"sources", "-q", "--dimension", "agent_class", "--min-clients", "13",
                              (dir / "whole.log").string()});
    CHECK(classes.out == "2026-10-10\tagent_class\t(other)\t24\t18\n");
    CHECK(logsift({"sources", "-q", "--dimension", "agent_class", "--min-clients", "19",
                   (dir / "whole.log").string()})
              .out == "");
    Result twelve = logsift({"sources", "-q", "--dimension", "agent_class", "--min-clients", "12",
                             (dir / "whole.log").string()});
    CHECK(twelve.out == "2026-10-10\tagent_class\ttool\t12\t12\n");

    Result refused = logsift(
        {"summary", "--output-format", "json", "--min-clients", "5", (dir / "whole.log").string()});
    CHECK(refused.status == 2);
    CHECK(refused.out == "");
    CHECK(contains(refused.err, "--min-clients: thresholds apply to reports"));
}
