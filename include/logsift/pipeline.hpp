// Pipeline: runs a subcommand from its built config: opens each input, picks its format,
// scans, reduces, and hands each record on; counts and reports bad lines by number only.
#pragma once

#include "logsift/config.hpp"
#include "logsift/diag.hpp"

#include <string>

namespace logsift {

// Takes the records of one chunk of input on one worker thread at a time.
class ChunkWorker {
  public:
    virtual ~ChunkWorker() = default;
    virtual void begin(std::string& output) = 0;  // output: where this chunk's text goes
    virtual void add(const Record& record) = 0;
    virtual void end() = 0;
    // Called on the worker's own thread once no chunk is left for it.
    virtual void finish() {}
};

// Installs the signal dispositions a run needs: SIGPIPE ignored (a closed pipe is seen as
// EPIPE and ends the run quietly), SIGINT ends the process with status 130.
void install_signal_handlers();

ExitCode run_reduce(const ReduceConfig& config);
ExitCode run_formats(const FormatsConfig& config);
ExitCode run_aggregate(const AggregateConfig& config);
ExitCode run_merge(const MergeConfig& config);

}  // namespace logsift
