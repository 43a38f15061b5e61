// The subcommands: each builds a sink for its records (written out, or counted into a summary),
// runs the inputs through it (run_inputs.hpp), writes what it kept, and returns the exit status
// its faults call for (exit_status, base/error.hpp).
#pragma once

#include "logsift/base/diag.hpp"
#include "logsift/config/config.hpp"

namespace logsift {

ExitCode run_reduce(const ReduceConfig& config);        // reduce_command.cpp
ExitCode run_aggregate(const AggregateConfig& config);  // summary_command.cpp: downloads,
                                                        // sources, summary
ExitCode run_merge(const MergeConfig& config);          // summary_command.cpp
ExitCode run_formats(const FormatsConfig& config);      // formats_command.cpp

}  // namespace logsift
