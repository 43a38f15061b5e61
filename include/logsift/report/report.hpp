// Reports: a Summary printed for people (aligned table) or programs (TSV, CSV, JSON), with
// --top, and --min-clients folding small rows into "(other)" so that published tables keep
// every row at or above k distinct clients.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "logsift/aggregate/summary.hpp"
#include "logsift/output/output.hpp"

namespace logsift {

enum class ReportFormat { table, tsv, csv, json };
enum class DownloadGrouping { resource, product, version };

struct ReportOptions {
    ReportFormat format = ReportFormat::tsv;
    DownloadGrouping by = DownloadGrouping::resource;
    std::size_t top = 0;                // rows per period (downloads) or per period and dimension
                                        // (sources); 0 keeps all
    std::uint64_t min_clients = 0;      // k: rows with fewer distinct clients fold into (other)
    std::vector<Dimension> dimensions;  // sources: which, in report order; empty means all
    bool header = false;                // tsv/csv: a header row (tables always have one)
    // Sources rows of one group held in memory while sorting; past it, sorted runs go to a
    // temporary file (spill.hpp).
    std::size_t rows_in_memory = std::size_t{1} << 15;
};

// The row label that folded rows are reported under.
inline constexpr const char* other_label = "(other)";

void write_downloads_report(const Summary& summary, const ReportOptions& options, OutputSink& sink);
void write_sources_report(const Summary& summary, const ReportOptions& options, OutputSink& sink);

}  // namespace logsift
