// The summary a run counts into: what the workers of a threaded run (or the sequential run, past
// --rows-in-memory) hand over, merged in memory or spilled to sorted runs in a temporary file,
// so that a run's memory does not grow with the networks in its logs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "logsift/aggregate/aggregator.hpp"
#include "logsift/base/error.hpp"
#include "logsift/base/spill.hpp"
#include "logsift/config/config.hpp"
#include "logsift/run/line_loop.hpp"

namespace logsift {

// What the workers have handed over so far: rows merged in memory, and runs of rows in
// temporary files. With spilling on, a worker's hand-over goes to a run of its own, sorted and
// written on its thread and never merged into a table of every network. Past rows_in_memory,
// the merged rows go too.
class SharedSummary {
  public:
    SharedSummary(const SummarySettings& settings, std::size_t rows_in_memory);

    bool spills() const { return rows_in_memory_ != SIZE_MAX; }
    // Rows a worker counts before it hands them over: --rows-in-memory, but never more than
    // about 10 MiB of them.
    std::size_t handover_rows() const { return std::min(rows_in_memory_, std::size_t{1} << 16); }

    // On the worker's thread, with a temporary file of the worker's own.
    void hand_over(Summary&& part, std::shared_ptr<SpillFile>& file);
    void merge(Summary&& part);

    // The summary once every worker is done, or the error that ended counting.
    Expected<Summary> finish();
    // Spilling failed and the run went on in memory (finish warned).
    bool spill_failed() const { return spill_failed_.load(); }

  private:
    void stop_spilling(const std::string& error);

    const std::size_t rows_in_memory_;
    std::mutex mutex_;
    Summary summary_;
    Expected<void> merged_;  // failed once a count overflowed; nothing is merged after that
    std::shared_ptr<SpillFile> file_;
    // Why spilling stopped: the run goes on in memory, and warns at the end.
    std::atomic<bool> spill_failed_{false};
    std::string spill_error_;
};

// Each worker counts into its own Aggregator, without locks, and hands its largest tables over
// once it holds many rows: a summary's memory is mostly one row per network, and the workers'
// tables would otherwise each grow to every network of the log.
class AggregateWorker final : public ChunkWorker {
  public:
    AggregateWorker(const AggregateConfig& config, SharedSummary& shared)
        : aggregator_(config.settings, *config.rules, config.site_hosts), shared_(shared) {}
    void begin(std::string&) override {}
    void add(const Record& record) override { aggregator_.add(record); }
    // Handing over costs the rows' building again from nothing, so it waits for
    // handover_rows(). The small tables stay: see take_largest_tables.
    void end() override;
    // The last rows go over on the worker's thread: the first worker to run out of chunks
    // merges while the other still counts.
    void finish() override { shared_.merge(aggregator_.take_summary()); }

  private:
    Aggregator aggregator_;
    SharedSummary& shared_;
    std::shared_ptr<SpillFile> spill_file_;
};

}  // namespace logsift
