// Pipeline: runs a subcommand from its built config (the run itself: run.hpp).
#pragma once

#include "logsift/base/diag.hpp"
#include "logsift/config/config.hpp"

#include <string>

namespace logsift {

// Installs the signal dispositions a run needs: SIGPIPE ignored (a closed pipe is seen as
// EPIPE and ends the run quietly), SIGINT ends the process with status 130.
void install_signal_handlers();

ExitCode run_reduce(const ReduceConfig& config);
ExitCode run_formats(const FormatsConfig& config);
ExitCode run_aggregate(const AggregateConfig& config);
ExitCode run_merge(const MergeConfig& config);

}  // namespace logsift
