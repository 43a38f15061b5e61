// Aggregator: reduced records -> a Summary's rows, one record at a time. This runs once per
// record: keys are assembled in reused buffers and the small dimensions' rows are remembered.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/aggregate/downloads.hpp"
#include "logsift/aggregate/summary.hpp"
#include "logsift/base/record.hpp"
#include "logsift/base/string_map.hpp"

namespace logsift {

// Builds a Summary from records. One per thread; merge them at the end.
class Aggregator {
  public:
    Aggregator(const SummarySettings& settings, const DownloadRules& rules,
               std::vector<std::string> site_hosts);

    void add(const Record& record);
    // The rows counted so far; the aggregator is empty afterwards.
    Summary take_summary();
    // The largest tables, until at most keep_rows rows are left here. What stays is mostly the
    // small tables (agents, countries, status classes): few rows, but the sketches of their
    // many clients, which would otherwise be built again after every hand-over.
    Summary take_largest_tables(std::size_t keep_rows);
    std::size_t row_count() const { return summary_.row_count(); }

  private:
    PeriodSummary& period_rows(const Record& record);
    std::optional<DownloadMatch> match_download(std::string_view resource);
    SourceCounts& source_row(PeriodSummary& rows, Dimension dimension, std::string_view value);

    const DownloadRules& rules_;
    std::vector<std::string> site_hosts_;
    Summary summary_;
    PeriodSummary* current_ = nullptr;
    // Consecutive records share most values of the small dimensions (agent class, status
    // class, often the agent and country): compared before hashing. Rows of the current period
    // only; a StringMap's rows keep their address when it grows.
    std::array<SourceCounts*, dimension_count> last_{};
    // Rule answers per resource: a few resources make most requests, and a rule match costs
    // about a microsecond. Offsets into the resource, so a cached answer holds no views.
    struct CachedMatch {
        bool download = false;
        std::uint32_t product_at = 0, product_size = 0, version_at = 0, version_size = 0;
    };
    StringMap<CachedMatch> download_cache_;
    // Tokens for records that come without them (made with no client key, as in tests): the
    // network stands for the client.
    const ClientTokens& unkeyed_client(const Record& record);
    ClientTokens unkeyed_;
    std::string download_scratch_;  // reused: no allocation once warm
    std::string agent_;             // the agent's keys, for records that come without them
    std::string agent_part_;
    // The hour bucket of the last record, which nearly every next record shares: periods are
    // whole hours in every offset in use, so the hour decides the period.
    std::int64_t last_bucket_ = INT64_MIN;
    std::int32_t last_offset_ = 0;
    bool last_known_ = false;
};

}  // namespace logsift
