// Parallel: a run's inputs on threads, for plans with workers (run.hpp). One reader cuts the
// inputs into chunks of whole lines, each worker thread scans and reduces a chunk at a time
// into its own ChunkWorker, and commit receives each chunk's output in input order.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "logsift/reduce/filter.hpp"
#include "logsift/run/run.hpp"

namespace logsift {

class Progress;

// Adds the lines, counts and first bad lines to totals; returns stop_usage when an input's
// format could not be chosen.
InputOutcome run_parallel(const InputConfig& config, const RecordFilter& filter,
                          std::vector<std::unique_ptr<ChunkWorker>>& workers,
                          const std::function<void(std::string&)>& commit, RunState& totals,
                          Progress& progress);

}  // namespace logsift
