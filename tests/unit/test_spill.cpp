// Unit tests for spilling: runs read back exactly what was written, however the records fall
// across the buffers; a sketch's raw form reads back to an equal sketch and refuses a cut one;
// and a summary whose tables went to runs, in several pieces that share values with each other
// and with the rows still in memory, writes the same JSON and the same reports as one that
// never left memory, merged on one thread or two.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "logsift/aggregate/summary.hpp"
#include "logsift/aggregate/summary_json.hpp"
#include "logsift/base/sketch.hpp"
#include "logsift/base/spill.hpp"
#include "logsift/output/output.hpp"
#include "logsift/report/report.hpp"

using namespace logsift;

namespace {

std::vector<std::string> read_run(const SpillRun& run, std::size_t buffer_bytes) {
    RunReader reader(run, buffer_bytes);
    std::vector<std::string> records;
    std::string_view record;
    while (reader.next(record))
        records.emplace_back(record);
    return records;
}

// One day of count networks from first, each with clients clients and requests requests.
Summary networks(int first, int count, std::uint64_t clients, std::uint64_t requests) {
    Summary summary;
    PeriodSummary& day = summary.periods["2026-10-08"];
    auto& table = day.sources[static_cast<std::size_t>(Dimension::network)];
    for (int i = first; i < first + count; ++i) {
        const std::string value =
            "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24";
        SourceCounts& row = *table.try_emplace(value).first;
        row.requests = requests + static_cast<std::uint64_t>(i % 7);
        for (std::uint64_t client = 0; client < clients + static_cast<std::uint64_t>(i % 3);
             ++client) {
            row.clients.add(stable_hash(value + std::to_string(client)));
        }
    }
    SourceCounts& agent =
        *day.sources[static_cast<std::size_t>(Dimension::agent)].try_emplace("curl 8.0").first;
    agent.requests = requests;
    agent.clients.add(stable_hash(std::to_string(first)));
    return summary;
}

std::string sources_report(const Summary& summary, ReportOptions options) {
    std::string text;
    {
        OutputSink sink(text);
        write_sources_report(summary, options, sink);
        sink.flush();
    }
    return text;
}

}  // namespace

TEST_CASE("runs read back every record, across buffers of any size") {
    auto file = std::make_shared<SpillFile>();
    std::mt19937 random(7);
    // Empty records, small ones, and ones larger than the writer's and the reader's buffers.
    std::vector<std::vector<std::string>> written(3);
    std::vector<SpillRun> runs;
    for (auto& records : written) {
        RunWriter writer(file);
        for (int i = 0; i < 2000; ++i) {
            const std::size_t size = i % 500 == 7 ? 300'000 : random() % 40;
            records.emplace_back(size, static_cast<char>('a' + i % 26));
            writer.add(records.back());
        }
        runs.push_back(writer.finish());
    }
    RunWriter empty(file);
    const SpillRun nothing = empty.finish();
    // A run cut inside a record says so, naming the directory.
    SpillRun cut = runs[0];
    cut.size = 3;
    std::string message;
    try {
        read_run(cut, 100);
    } catch (const SpillError& error) {
        message = error.what();
    }
    CHECK(message.starts_with("temporary rows in "));
    CHECK(message.ends_with(" are damaged"));
    for (std::size_t buffer_bytes : {std::size_t{1}, std::size_t{100}, std::size_t{1} << 20}) {
        CAPTURE(buffer_bytes);
        for (std::size_t i = 0; i < runs.size(); ++i)
            CHECK(read_run(runs[i], buffer_bytes) == written[i]);
        CHECK(read_run(nothing, buffer_bytes).empty());
    }
}

TEST_CASE("a temporary file that cannot be made names its directory and the reason") {
    const char* previous = std::getenv("TMPDIR");
    const std::string kept = previous ? previous : "";
    ::setenv("TMPDIR", "/nonexistent-logsift-dir", 1);
    std::string message;
    try {
        SpillFile file;
    } catch (const SpillError& error) {
        message = error.what();
    }
    if (previous) {
        ::setenv("TMPDIR", kept.c_str(), 1);
    } else {
        ::unsetenv("TMPDIR");
    }
    CHECK(message ==
          "cannot write temporary rows in /nonexistent-logsift-dir: No such file or directory");
}

TEST_CASE("a sketch's raw form reads back equal, one after another, and refuses a cut one") {
    std::mt19937_64 random(11);
    // Empty, inline, on the heap, sparse HyperLogLog and dense HyperLogLog.
    std::vector<DistinctCounter> counters;
    for (std::size_t size : {0, 1, 2, 3, 127, 128, 400, 5000}) {
        DistinctCounter counter;
        for (std::size_t i = 0; i < size; ++i)
            counter.add(random());
        counters.push_back(counter);
    }
    std::string bytes;
    for (const DistinctCounter& counter : counters)
        counter.append_raw(bytes);
    std::string_view rest = bytes;
    for (const DistinctCounter& counter : counters) {
        const std::size_t before = rest.size();
        std::optional<DistinctCounter> read = DistinctCounter::read_raw(rest);
        REQUIRE(read);
        CHECK(*read == counter);
        CHECK(read->estimate() == counter.estimate());
        // Every shorter piece of this counter's bytes is refused and left as it was.
        const std::string_view whole =
            std::string_view(bytes).substr(bytes.size() - before, before - rest.size());
        for (std::size_t cut = 0; cut < whole.size(); cut += 1 + cut / 3) {
            std::string_view piece = whole.substr(0, cut);
            CHECK_FALSE(DistinctCounter::read_raw(piece));
            CHECK(piece.size() == cut);
        }
    }
    CHECK(rest.empty());
}

TEST_CASE("a summary with spilled tables writes what the same rows in memory write") {
    // Three pieces that overlap (networks 500 to 1999 are in two or three), with one to 900
    // clients per row, so exact, sparse and dense sets merge across runs and memory.
    for (std::uint64_t clients : {1u, 3u, 200u, 900u}) {
        CAPTURE(clients);
        const int count = clients >= 200 ? 600 : 3000;
        Summary in_memory = networks(0, count, clients, 2);
        REQUIRE(in_memory.merge(networks(count / 3, count, clients, 5)));
        REQUIRE(in_memory.merge(networks(count / 2, count / 10, clients, 1)));

        auto file = std::make_shared<SpillFile>();
        Summary spilled = networks(0, count, clients, 2);
        spilled.spill_largest_tables(file, 0);
        CHECK(spilled.row_count() == 0);
        REQUIRE(spilled.merge(networks(count / 3, count, clients, 5)));
        // keep_rows above what is there: nothing moves.
        spilled.spill_largest_tables(file, 100'000);
        CHECK(spilled.row_count() == static_cast<std::size_t>(count) + 1);
        // The networks go, the agent row (the smaller table) stays.
        spilled.spill_largest_tables(file, 1);
        CHECK(spilled.row_count() == 1);
        // A summary that brings runs of its own hands them over in a merge.
        Summary other = networks(count / 2, count / 10, clients, 1);
        other.spill_largest_tables(std::make_shared<SpillFile>(), 0);
        REQUIRE(spilled.merge(std::move(other)));
        CHECK(spilled.spilled.at({"2026-10-08", Dimension::network}).size() == 3);

        CHECK(summary_to_json(spilled) == summary_to_json(in_memory));
        SUBCASE("merged on two threads: the upper half goes through a run of its own") {
            spilled.split_merge_bytes = 0;
            CHECK(summary_to_json(spilled) == summary_to_json(in_memory));
            // With rows in memory on both sides of the middle value too.
            REQUIRE(spilled.merge(networks(count / 4, count / 5, clients, 3)));
            REQUIRE(in_memory.merge(networks(count / 4, count / 5, clients, 3)));
            CHECK(summary_to_json(spilled) == summary_to_json(in_memory));
            CHECK(sources_report(spilled, {}) == sources_report(in_memory, {}));
        }
        for (std::size_t top : {0, 1, 10}) {
            for (std::uint64_t min_clients : {0, 2, 4}) {
                CAPTURE(top);
                CAPTURE(min_clients);
                ReportOptions options;
                options.top = top;
                options.min_clients = min_clients;
                const std::string expected = sources_report(in_memory, options);
                CHECK(sources_report(spilled, options) == expected);
                // Sorted in runs of 7 rows and merged back.
                options.rows_in_memory = 7;
                CHECK(sources_report(in_memory, options) == expected);
                CHECK(sources_report(spilled, options) == expected);
            }
        }
    }
}
