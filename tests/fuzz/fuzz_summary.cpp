// libFuzzer target: the JSON summary reader behind `merge` and `--from`. Summaries may come
// from other machines, so any bytes must give a Summary or a message; a Summary that was
// accepted must write back to JSON that reads back to the same bytes, write the same bytes once
// its tables went to a temporary file, and merge with itself without losing a count silently.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "logsift/aggregate/summary.hpp"
#include "logsift/aggregate/summary_json.hpp"
#include "logsift/base/sketch.hpp"
#include "logsift/base/spill.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // The sketch's own text form, which the reader hands every "clients" value to.
    if (auto counter = logsift::DistinctCounter::deserialize(text)) {
        auto again = logsift::DistinctCounter::deserialize(counter->serialize());
        if (!again || !(*again == *counter)) std::abort();
    }

    auto parsed = logsift::summary_from_json(text);
    if (!parsed) {
        if (parsed.error().reason.empty()) std::abort();
        return 0;
    }
    logsift::Summary& summary = *parsed;
    std::string json = logsift::summary_to_json(summary);
    auto reread = logsift::summary_from_json(json);
    if (!reread) std::abort();
    if (logsift::summary_to_json(*reread) != json) std::abort();
    if (!logsift::settings_mismatch(summary.settings, summary.settings).empty()) std::abort();

    logsift::Summary spilled(summary);
    spilled.spill_largest_tables(std::make_shared<logsift::SpillFile>(), 0);
    if (logsift::summary_to_json(spilled) != json) std::abort();

    logsift::Summary doubled = std::move(reread).value();
    if (doubled.merge(logsift::Summary(summary))) {
        // Merging a summary with itself doubles every count and keeps every distinct count.
        if (doubled.lines_read != 2 * summary.lines_read) std::abort();
        for (const auto& [label, rows] : summary.periods) {
            const logsift::PeriodSummary& twice = doubled.periods.at(label);
            for (const auto& [resource, row] : rows.downloads) {
                const logsift::DownloadCounts& both = *twice.downloads.find(resource);
                if (both.requests != 2 * row.requests) std::abort();
                if (both.clients.estimate() != row.clients.estimate()) std::abort();
            }
            for (std::size_t i = 0; i < logsift::dimension_count; ++i) {
                for (const auto& [value, row] : rows.sources[i]) {
                    const logsift::SourceCounts& both = *twice.sources[i].find(value);
                    if (both.requests != 2 * row.requests) std::abort();
                    if (both.clients.estimate() != row.clients.estimate()) std::abort();
                }
            }
        }
    }
    return 0;
}
