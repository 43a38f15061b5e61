// The shared summary's spill policy: when rows go from memory to sorted runs in a temporary
// file, and how a failure to spill degrades to counting in memory with a warning.
#include "logsift/run/shared_summary.hpp"

#include <algorithm>
#include <utility>

#include "logsift/base/diag.hpp"

namespace logsift {

SharedSummary::SharedSummary(const SummarySettings& settings, std::size_t rows_in_memory)
    : rows_in_memory_(rows_in_memory) {
    summary_.settings = settings;
}

void SharedSummary::hand_over(Summary&& part, std::shared_ptr<SpillFile>& file) {
    if (spills() && !spill_failed_.load()) {
        try {
            if (!file) file = std::make_shared<SpillFile>();
            part.spill_largest_tables(file, 0);
        } catch (const SpillError& error) {
            stop_spilling(error.what());
        }
    }
    merge(std::move(part));
}

void SharedSummary::merge(Summary&& part) {
    std::lock_guard lock(mutex_);
    if (!merged_) return;
    merged_ = summary_.merge(std::move(part));
    if (spill_failed_.load() || summary_.row_count() <= rows_in_memory_) return;
    try {
        if (!file_) file_ = std::make_shared<SpillFile>();
        summary_.spill_largest_tables(file_, rows_in_memory_ / 8);
    } catch (const SpillError& error) {
        spill_failed_ = true;
        spill_error_ = error.what();
    }
}

Expected<Summary> SharedSummary::finish() {
    if (!merged_) return merged_.error();
    if (spill_failed_) {
        print_warning(spill_error_ + "; the rest of the run was counted in memory");
    }
    return std::move(summary_);
}

void SharedSummary::stop_spilling(const std::string& error) {
    std::lock_guard lock(mutex_);
    if (!spill_failed_.exchange(true)) spill_error_ = error;
}

void AggregateWorker::end() {
    const std::size_t rows = shared_.handover_rows();
    if (aggregator_.row_count() >= rows) {
        shared_.hand_over(aggregator_.take_largest_tables(rows / 8), spill_file_);
    }
}

}  // namespace logsift
