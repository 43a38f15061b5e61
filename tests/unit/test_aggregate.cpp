// Unit tests for summaries: merging is exact for counts and gives the same JSON bytes in any
// order, rows only one side has move across whole, and JSON round-trips, written and read as a
// stream.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "logsift/aggregate/aggregator.hpp"
#include "logsift/aggregate/summary_json.hpp"

using namespace logsift;

namespace {

constexpr auto network = static_cast<std::size_t>(Dimension::network);

// A summary of one day with `count` networks numbered from `first`, each seen by `clients`
// clients `requests` times, and one download row.
Summary summary_of(int first, int count, std::uint64_t clients, std::uint64_t requests) {
    Summary summary;
    summary.settings.key_id = "0123456789abcdef";
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
        REQUIRE(ab.merge(Summary(b)));
        Summary ba = b;
        REQUIRE(ba.merge(Summary(a)));
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

TEST_CASE("an aggregator hands over its largest tables and counts on into what it keeps") {
    auto loaded = DownloadRules::load(std::string(LOGSIFT_PATTERNS_DIR) + "/downloads");
    REQUIRE(loaded.has_value());
    const DownloadRules& rules = **loaded;
    const std::string agents[] = {"curl", "Wget", "Firefox"};
    std::vector<std::string> networks;
    for (int i = 0; i < 3000; ++i)
        networks.push_back("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) +
                           ".0/24");

    // keep_rows 0 hands over every table, the current period's small ones too, whose rows the
    // aggregator had remembered as the last ones counted.
    for (std::size_t keep_rows : {std::size_t{0}, std::size_t{100}}) {
        CAPTURE(keep_rows);
        const SummarySettings settings;
        Aggregator whole(settings, rules, {}), parted(settings, rules, {});
        Summary handed;
        handed.settings = settings;
        for (int i = 0; i < 9000; ++i) {
            Record record;
            record.network = networks[static_cast<std::size_t>(i % 3000)];
            record.method = "GET";
            record.resource = i % 5 == 0 ? "/releases/tool-1.0.tar.gz" : "/";
            record.status = 200;
            record.bytes = 100;
            record.agent = agents[i % 3];
            record.agent_version = "1";
            record.agent_class = "browser";
            record.country = i % 2 == 0 ? "DE" : "FR";
            record.logged_time = Timestamp{1'790'000'000 + i, 0};  // all on one day
            whole.add(record);
            parted.add(record);
            if (i % 2000 != 1999) continue;
            Summary taken = parted.take_largest_tables(keep_rows);
            CHECK(parted.row_count() <= keep_rows);
            const PeriodSummary& day = taken.periods.begin()->second;
            CHECK(day.sources[network].size() == 2000);  // the networks since the last take
            const bool agents_taken =
                !day.sources[static_cast<std::size_t>(Dimension::agent)].empty();
            CHECK(agents_taken == (keep_rows == 0));
            // A copy: the taken rows are freed here, so counting on into them would be lost.
            REQUIRE(handed.merge(Summary(taken)));
        }
        REQUIRE(handed.merge(parted.take_summary()));
        CHECK(handed.lines_parsed == 9000);
        CHECK(summary_to_json(handed) == summary_to_json(whole.take_summary()));
    }
}

TEST_CASE("an agent's keys made by the agent cache count as the ones an aggregator joins") {
    auto loaded = DownloadRules::load(std::string(LOGSIFT_PATTERNS_DIR) + "/downloads");
    REQUIRE(loaded.has_value());
    const DownloadRules& rules = **loaded;
    const SummarySettings settings;
    Aggregator joined(settings, rules, {}), given(settings, rules, {});
    const char* versions[] = {"8.4.0", ""};  // with and without a version
    for (int i = 0; i < 40; ++i) {
        const std::string network = "10.0." + std::to_string(i) + ".0/24";
        const std::string version = versions[i % 2];
        Record record;
        record.network = network;
        record.method = "GET";
        record.resource = "/";
        record.status = 200;
        record.agent = "curl";
        record.agent_version = version;
        record.agent_class = "tool";
        joined.add(record);
        const std::string with_version = version.empty() ? "curl" : "curl " + version;
        const std::string client_part = std::string("\0curl\0", 6) + version;
        record.agent_with_version = with_version;
        record.agent_client_part = client_part;
        given.add(record);
    }
    CHECK(summary_to_json(given.take_summary()) == summary_to_json(joined.take_summary()));
}

TEST_CASE("a summary's JSON reads back to the same summary") {
    const Summary summary = summary_of(0, 500, 130, 3);
    const std::string json = summary_to_json(summary);
    auto read = summary_from_json(json);
    REQUIRE(read);
    CHECK(summary_to_json(*read) == json);
    // Merging into an empty summary moves every row over unchanged.
    Summary empty;
    empty.settings = read->settings;
    REQUIRE(empty.merge(std::move(*read)));
    CHECK(summary_to_json(empty) == json);
}

TEST_CASE("merging reports counts that would overflow") {
    Summary a = summary_of(0, 1, 1, 1);
    Summary b = summary_of(0, 1, 1, 1);
    b.periods.at("2026-10-08").sources[network].find("10.0.0.0/24")->requests = UINT64_MAX;
    auto merged = a.merge(std::move(b));
    REQUIRE_FALSE(merged);
    CHECK(merged.error().reason == "source counts overflow");
}

TEST_CASE("the JSON summary is written in bounded pieces and escapes values as nlohmann does") {
    Summary summary = summary_of(0, 3000, 3, 2);
    // Values that need escaping or are not UTF-8: quote, backslash, control bytes, DEL, a cut
    // UTF-8 sequence and a valid one. nlohmann::json's own dump is the reference.
    const std::string odd = std::string("/a\"b\\c\x01\x1f\x7f\xff\xe2\x82 \xc3\xa9", 15);
    const std::string quoted = "/x\"y\\z";  // printable ASCII that still needs escaping
    PeriodSummary& day = summary.periods.at("2026-10-08");
    for (const std::string& value : {odd, quoted}) {
        day.downloads.try_emplace(value).first->requests = 1;
        day.sources[static_cast<std::size_t>(Dimension::agent)].try_emplace(value).first->requests =
            1;
    }

    std::string whole;
    std::size_t pieces = 0, largest = 0;
    write_summary_json(summary, [&](std::string_view piece) {
        ++pieces;
        largest = std::max(largest, piece.size());
        whole += piece;
    });
    CHECK(whole == summary_to_json(summary));
    CHECK(pieces > 1);
    CHECK(largest < 80 << 10);  // 64 KiB plus at most one row

    const nlohmann::json document = nlohmann::json::parse(whole);
    for (const std::string& value : {odd, quoted}) {
        const std::string escaped =
            nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        CHECK(whole.find("\"resource\":" + escaped) != std::string::npos);
        CHECK(whole.find("\"value\":" + escaped) != std::string::npos);
    }
    // The same document as nlohmann writes it from its own reading of the output.
    CHECK(nlohmann::ordered_json::parse(whole).dump(-1, ' ', false,
                                                    nlohmann::json::error_handler_t::replace) +
              "\n" ==
          whole);
    CHECK(document["sources"].size() == 3002);
}

TEST_CASE("the JSON summary reads from a stream, in any key order, as the document says") {
    const Summary summary = summary_of(0, 40, 3, 2);
    const std::string json = summary_to_json(summary);

    std::istringstream stream(json);
    auto streamed = summary_from_json(stream);
    REQUIRE(streamed);
    CHECK(summary_to_json(*streamed) == json);

    // Keys sorted (as jq -S or nlohmann::json write them): rows come before the version.
    const std::string sorted = nlohmann::json::parse(json).dump();
    REQUIRE(sorted.find("\"downloads\"") < sorted.find("\"logsift_summary\""));
    auto reordered = summary_from_json(sorted);
    REQUIRE(reordered);
    CHECK(summary_to_json(*reordered) == json);

    // A repeated key keeps its last value, as in a JSON document: the first, bad list of
    // sources does not count.
    nlohmann::ordered_json document = nlohmann::ordered_json::parse(json);
    std::string twice = document.dump();
    twice.insert(twice.find("\"sources\""),
                 "\"sources\":[{\"period\":\"x\",\"dimension\":\"nonsense\"}],");
    auto repeated = summary_from_json(twice);
    REQUIRE(repeated);
    CHECK(summary_to_json(*repeated) == json);

    // A bad row early and a cut-off end: the syntax error is what is reported.
    document["sources"][0]["requests"] = -1;
    std::string bad_row = document.dump();
    auto content = summary_from_json(bad_row);
    REQUIRE_FALSE(content);
    CHECK(content.error().reason ==
          "sources[0]: \"requests\" must be a whole number from 0 to 2^64-1");
    auto cut = summary_from_json(std::string_view(bad_row).substr(0, bad_row.size() - 10));
    REQUIRE_FALSE(cut);
    CHECK(cut.error().reason == "not valid JSON");

    // The version is checked before any row, wherever it stands.
    nlohmann::json newer = nlohmann::json::parse(bad_row);
    newer["logsift_summary"] = 3;
    auto version = summary_from_json(newer.dump());
    REQUIRE_FALSE(version);
    CHECK(version.error().reason == "unsupported summary version (this logsift reads version 2)");
}
