// Run: drives a run's inputs through format scanner -> reduce -> the plan's records, one input
// after another or on worker threads (parallel.hpp), and counts bad lines by number only. The
// declarations after run_inputs are the pieces the subcommands and the parallel path share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "logsift/base/diag.hpp"
#include "logsift/base/record.hpp"
#include "logsift/config/config.hpp"
#include "logsift/format/format.hpp"
#include "logsift/input/input.hpp"

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

struct BadLine {
    std::string file;
    std::uint64_t line;
    ScanError error;
};

struct RunState {
    std::uint64_t lines = 0;
    std::uint64_t parsed = 0;
    std::uint64_t skipped = 0;
    std::vector<BadLine> first_bad;
    bool input_failed = false;
};

enum class InputOutcome { done, stop_strict, stop_usage };

// What a run does with records. Sequentially, every record goes to emit. With workers (one
// per thread), each chunk's records go to a worker, which may format them into the chunk's
// output; commit then receives the outputs in input order on the calling thread.
struct RunPlan {
    std::function<void(const Record&)> emit;
    // Writes out what emit buffered: called before waiting on a live input, so that each
    // record leaves as soon as its line has arrived (`tail -f access.log | logsift reduce`).
    std::function<void()> flush;
    std::vector<std::unique_ptr<ChunkWorker>>* workers = nullptr;
    std::function<void(std::string&)> commit;
    std::function<void()> finish = [] {};
    // Each input with its own output (--in-place), sequentially. open_input runs before an
    // input is read: false skips it (it printed why). close_input runs after: accepted says
    // the input was read in full with no reason to reject it; false when its output could not
    // be kept (it printed why). An OutputError from emit fails that input only.
    std::function<bool(const std::string& path)> open_input;
    std::function<bool(const std::string& path, bool accepted)> close_input;
};

// Runs every input through the pipeline and settles the exit status. totals, when given,
// receives the counts.
ExitCode run_inputs(const InputConfig& config, const RunPlan& plan, RunState* totals = nullptr);

// Lines sampled to pick a preset: enough to outvote a few odd lines at the top of a file.
inline constexpr std::size_t detect_max_lines = 2000;
inline constexpr std::size_t detect_max_bytes = 4 << 20;
// Bad lines the closing statistics name; --verbose names each as it is met.
inline constexpr std::size_t bad_lines_listed = 5;

std::string display_name(const std::string& path);
std::string percent(std::size_t part, std::size_t whole);
std::string bad_line_text(const std::string& file, std::uint64_t line, const ScanError& error);
std::string detection_failure(const std::string& file, const Detection& detection);

// What the run has to say about an input as a whole (not one of its lines), and where it goes:
// straight to stderr, or, on the parallel path, along with the input's chunks, so that it comes
// after the warnings about the inputs before it, as it does sequentially.
struct Message {
    enum class Kind { error, note } kind;
    std::string text;
};
using Say = std::function<void(Message)>;
void say_now(Message message);

// Picks the format of one input: the configured one, or the preset that fits its first lines.
// Overlong lines at the top cannot be sampled: they are counted through count_bad first, which
// returns false to stop (--strict). state, when given, counts them as lines read. say receives
// why no preset fits and, when announce, the preset chosen.
std::variant<const LogFormat*, InputOutcome> choose_format(
    const InputConfig& config, LineReader& reader, const std::string& name, Line& line,
    RunState* state, const std::function<bool(const ScanError&)>& count_bad, const Say& say,
    bool announce);

// The size the progress line measures against: a plain file's; unknown for anything else,
// since bytes_read() counts decoded bytes.
std::uint64_t progress_total(const std::string& path, const LineReader& reader);

}  // namespace logsift
