// Summaries: what operators keep instead of raw logs. Download counts and traffic sources per
// period, built from reduced records only (aggregator.hpp), mergeable exactly (counts) or by
// sketch union (distinct clients), and written to / read from a versioned JSON summary
// (summary_json.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/aggregate/downloads.hpp"
#include "logsift/base/error.hpp"
#include "logsift/base/period.hpp"
#include "logsift/base/sketch.hpp"
#include "logsift/base/spill.hpp"
#include "logsift/base/string_map.hpp"
#include "logsift/base/timestamp.hpp"

namespace logsift {

// Everything that shapes the numbers: summaries merge only when these are equal.
struct SummarySettings {
    unsigned ipv4_prefix = 24;
    unsigned ipv6_prefix = 48;
    Period period = Period::day;
    TimeResolution time_resolution = TimeResolution::hour;
    bool utc = false;
    bool include_bots = false;
    // The client key's id (ClientKey::id): distinct clients of summaries made under different
    // keys cannot be told apart, so such summaries do not merge.
    std::string key_id;
    bool operator==(const SummarySettings&) const = default;
};

// The dimensions of the sources report, in report order.
enum class Dimension : std::uint8_t {
    referrer_host,
    network,
    country,
    agent,
    agent_class,
    status_class,
};
inline constexpr std::size_t dimension_count =
    static_cast<std::size_t>(Dimension::status_class) + 1;
std::string_view dimension_name(Dimension dimension);
std::optional<Dimension> dimension_from_name(std::string_view name);

// One resource in one period.
struct DownloadCounts {
    std::string product;
    std::string version;
    std::uint64_t requests = 0;
    std::uint64_t bytes = 0;
    DistinctCounter clients;    // distinct (full address, agent, agent_version): the downloads
    DistinctCounter addresses;  // distinct full addresses: what --min-clients counts
};

// One value of one dimension in one period.
struct SourceCounts {
    std::uint64_t requests = 0;
    DistinctCounter clients;  // distinct full addresses
};

// The rows of one period: downloads by resource, sources by dimension, then by value. Rows
// are found by their value alone, so counting a record assembles no key, and a row holds
// nothing but its counts.
struct PeriodSummary {
    StringMap<DownloadCounts> downloads;
    std::array<StringMap<SourceCounts>, dimension_count> sources;
};

struct Summary {
    SummarySettings settings;
    std::uint64_t lines_read = 0;
    std::uint64_t lines_parsed = 0;
    std::map<std::string, PeriodSummary, std::less<>> periods;  // by period label
    // Source rows moved out of memory, by period and dimension: runs sorted by value (a value
    // may be in several runs and in memory). Their period is in periods too.
    std::map<std::pair<std::string, Dimension>, std::vector<SpillRun>> spilled;

    // Adds everything from other (same settings: the caller checks). Fails with an input error
    // when a count would overflow; a caller merging summaries from files makes it theirs. Rows
    // only other has are moved, not copied: merging the per-thread summaries at the end of a
    // run must not double their memory.
    Expected<void> merge(Summary&& other);
    // Rows of every period and table in memory: what the summary's memory mostly grows with.
    std::size_t row_count() const;

    // Moves the largest source tables to a run each in file until at most keep_rows rows are
    // left in memory. Throws SpillError; a table is emptied only once its run is written, so
    // nothing is lost.
    void spill_largest_tables(const std::shared_ptr<SpillFile>& file, std::size_t keep_rows);
    // Visits every row of one source table, in memory and spilled, in value order: each value
    // once, with its counts from everywhere merged. Runs of this many bytes and more are merged
    // on two threads. Throws SpillError.
    using SourceRowVisitor = std::function<void(std::string_view value, const SourceCounts&)>;
    void for_each_source_row(std::string_view period, Dimension dimension,
                             const SourceRowVisitor& visit) const;
    std::uint64_t split_merge_bytes = std::uint64_t{4} << 20;
};

// Names the first setting that differs, or returns empty.
std::string settings_mismatch(const SummarySettings& a, const SummarySettings& b);

}  // namespace logsift
