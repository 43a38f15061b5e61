// The threaded run: a run's inputs on threads, for sinks with workers (run_inputs.hpp). One
// reader cuts the inputs into chunks of whole lines, each worker thread runs a chunk at a time
// through its line loop into its own ChunkWorker, and commit receives each chunk's output in
// input order.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "logsift/reduce/filter.hpp"
#include "logsift/run/line_loop.hpp"

namespace logsift {

class Progress;

// Adds the lines, counts and first bad lines to totals; returns stop_usage when an input's
// format could not be chosen. A BrokenPipe from commit ends the run: every thread is stopped
// and joined, then it is thrown on.
InputOutcome run_threaded(const InputConfig& config, const RecordFilter& filter,
                          std::vector<std::unique_ptr<ChunkWorker>>& workers,
                          const std::function<void(std::string&)>& commit, RunState& totals,
                          Progress& progress);

}  // namespace logsift
