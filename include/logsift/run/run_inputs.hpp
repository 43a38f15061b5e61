// Running the inputs: every input of a run through the line loop (line_loop.hpp), one after
// another or on threads (threaded.hpp), into a sink; then the closing statistics and the
// verdict. The subcommands (commands.hpp) build the sinks.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "logsift/base/error.hpp"
#include "logsift/config/config.hpp"
#include "logsift/run/line_loop.hpp"

namespace logsift {

// What a run does with its records. Sequentially, every record goes to add. With workers (one
// per thread), each chunk's records go to a worker, which may format them into the chunk's
// output; commit then receives the outputs in input order on the calling thread. An output
// failure is thrown (BrokenPipe, OutputError) out of run_inputs.
class RunSink : public RecordSink {
  public:
    // One worker per thread, or none to read sequentially (the default).
    virtual std::vector<std::unique_ptr<ChunkWorker>> workers(unsigned threads) {
        (void)threads;
        return {};
    }
    virtual void commit(std::string& output) { (void)output; }
    // After the last record, before the statistics.
    virtual void finish() {}
};

// Each input with its own output (--in-place), sequentially. open_input runs before an input is
// read; an error skips it. close_input runs after: accepted says the input was read in full with
// no reason to reject it (when not, the output is dropped); an error when an accepted output
// could not be kept. An OutputError from add fails that input only.
class PerInputSink : public RecordSink {
  public:
    virtual Expected<void> open_input(const std::string& path) = 0;
    virtual Expected<void> close_input(const std::string& path, bool accepted) = 0;
};

// How a run went: its counts, and the fault that decides its exit status (none: status 0).
// Every error was printed when it was met.
struct RunResult {
    RunState totals;
    std::optional<Fault> fault;
};

RunResult run_inputs(const InputConfig& config, RunSink& sink);
RunResult run_inputs(const InputConfig& config, PerInputSink& sink);

// The exit status a run's result calls for.
ExitCode exit_status(const RunResult& result);

// The filter with --since/--until given as a time of day resolved; a run that reads its inputs
// more than once resolves it first, and passes it on with the bounds cleared.
Expected<RecordFilter> resolve_window(const InputConfig& config);
// "N lines read, N parsed, N skipped" and the first bad lines (unless --quiet), as every run
// ends; for a run made of several.
void print_statistics(const InputConfig& config, const RunState& state);
// More skipped lines than --max-bad allows, and the message saying so.
bool too_many_bad_lines(const InputConfig& config, std::uint64_t lines, std::uint64_t skipped);
std::string too_many_bad_text(const InputConfig& config, std::uint64_t lines,
                              std::uint64_t skipped);

}  // namespace logsift
