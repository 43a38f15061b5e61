// Unit tests for summaries: merging is exact for counts and gives the same JSON bytes in any
// order, rows only one side has move across whole, and JSON round-trips.
#include <doctest/doctest.h>

#include <string>
#include <variant>

#include "logsift/aggregate.hpp"

using namespace logsift;

namespace {

constexpr auto network = static_cast<std::size_t>(Dimension::network);

// A summary of one day with `count` networks numbered from `first`, each seen by `clients`
// clients `requests` times, and one download row.
Summary summary_of(int first, int count, std::uint64_t clients, std::uint64_t requests) {
    Summary summary;
    summary.lines_read = summary.lines_parsed = requests * static_cast<std::uint64_t>(count);
    PeriodSummary& day = summary.periods["2026-10-08"];
    for (int i = first; i < first + count; ++i) {
        const std::string value =
            "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24";
        SourceCounts& row = *day.sources[network].try_emplace(value).first;
        row.requests = requests;
        for (std::uint64_t client = 0; client < clients; ++client)
            row.clients.add(stable_hash(value + " client " + std::to_string(client)));
    }
    DownloadCounts& download = *day.downloads.try_emplace("/releases/tool-1.0.tar.gz").first;
    download.product = "tool";
    download.version = "1.0";
    download.requests = requests;
    download.bytes = 1000 * requests;
    download.clients.add(stable_hash(std::to_string(first)));
    return summary;
}

}  // namespace

TEST_CASE("summaries merge exactly and to the same bytes in either order") {
    // Overlapping networks (1000 to 1999 on both sides), with one, three and 200 clients, so
    // that inline, heap and HyperLogLog sets meet.
    for (std::uint64_t clients : {1u, 3u, 200u}) {
        CAPTURE(clients);
        const Summary a = summary_of(0, 2000, clients, 2);
        const Summary b = summary_of(1000, 3000, clients, 5);
        Summary ab = a;
        REQUIRE_FALSE(ab.merge(Summary(b)));
        Summary ba = b;
        REQUIRE_FALSE(ba.merge(Summary(a)));
        CHECK(summary_to_json(ab) == summary_to_json(ba));

        const auto& rows = ab.periods.at("2026-10-08").sources[network];
        CHECK(rows.size() == 4000);
        CHECK(rows.find("10.0.5.0/24")->requests == 2);     // a only
        CHECK(rows.find("10.3.232.0/24")->requests == 7);   // both: 1000 = 3 * 256 + 232
        CHECK(rows.find("10.15.159.0/24")->requests == 5);  // b only: 3999
        CHECK_FALSE(rows.find("10.15.160.0/24"));
        // The same clients on both sides count once.
        CHECK(rows.find("10.3.232.0/24")->clients ==
              a.periods.at("2026-10-08").sources[network].find("10.3.232.0/24")->clients);
        const DownloadCounts& download =
            *ab.periods.at("2026-10-08").downloads.find("/releases/tool-1.0.tar.gz");
        CHECK(download.requests == 7);
        CHECK(download.bytes == 7000);
        CHECK(download.clients.estimate() == 2);
        CHECK(ab.lines_read == 2 * 2000 + 5 * 3000);
    }
}

TEST_CASE("a summary's JSON reads back to the same summary") {
    const Summary summary = summary_of(0, 500, 130, 3);
    const std::string json = summary_to_json(summary);
    auto read = summary_from_json(json);
    REQUIRE(std::holds_alternative<Summary>(read));
    CHECK(summary_to_json(std::get<Summary>(read)) == json);
    // Merging into an empty summary moves every row over unchanged.
    Summary empty;
    REQUIRE_FALSE(empty.merge(std::move(std::get<Summary>(read))));
    CHECK(summary_to_json(empty) == json);
}

TEST_CASE("merging reports counts that would overflow") {
    Summary a = summary_of(0, 1, 1, 1);
    Summary b = summary_of(0, 1, 1, 1);
    b.periods.at("2026-10-08").sources[network].find("10.0.0.0/24")->requests = UINT64_MAX;
    CHECK(a.merge(std::move(b)) == "source counts overflow");
}
