// The line loop: what both the sequential and the threaded run do with each line (scan, reduce,
// filter, hand the record to a sink), how they count bad lines (by file, number, reason and
// column, never by content), and how an input's format is chosen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "logsift/base/record.hpp"
#include "logsift/config/config.hpp"
#include "logsift/format/format.hpp"
#include "logsift/input/line_reader.hpp"
#include "logsift/reduce/reduce.hpp"

namespace logsift {

class Progress;

// Where the records of a run go, one call per record.
class RecordSink {
  public:
    virtual ~RecordSink() = default;
    virtual void add(const Record& record) = 0;
    // Writes out what add buffered: called before waiting on a live input, so that each
    // record leaves as soon as its line has arrived (`tail -f access.log | logsift reduce`).
    virtual void flush() {}
};

// Takes the records of one chunk of input on one worker thread at a time.
class ChunkWorker : public RecordSink {
  public:
    virtual void begin(std::string& output) = 0;  // output: where this chunk's text goes
    virtual void end() = 0;
    // Called on the worker's own thread once no chunk is left for it.
    virtual void finish() {}
};

struct BadLine {
    std::string file;
    std::uint64_t line;
    ScanError error;
};

// What reading has counted.
struct RunState {
    std::uint64_t lines = 0;
    std::uint64_t parsed = 0;
    std::uint64_t skipped = 0;
    std::vector<BadLine> first_bad;
    bool input_failed = false;
};

enum class InputOutcome { done, stop_strict, stop_usage };

// Lines sampled to pick a preset: enough to outvote a few odd lines at the top of a file.
inline constexpr std::size_t detect_max_lines = 2000;
inline constexpr std::size_t detect_max_bytes = 4 << 20;
// Bad lines the closing statistics name; --verbose names each as it is met.
inline constexpr std::size_t bad_lines_listed = 5;

std::string percent(std::size_t part, std::size_t whole);
std::string bad_line_text(const std::string& file, std::uint64_t line, const ScanError& error);
std::string detection_failure(const std::string& file, const Detection& detection);

// What the run has to say about an input as a whole (not one of its lines), and where it goes:
// straight to stderr, or, on the threaded path, along with the input's chunks, so that it comes
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

// One thread's line loop: its reducer (kept while the format stays: its memo of recent clients
// is worth keeping warm), its fields and record, and the run's filter.
class LineLoop {
  public:
    // agents may be null: the agent columns then stay empty.
    LineLoop(const InputConfig& config, const RecordFilter& filter, AgentCache* agents);

    // Reads one input line by line, counting into state, until it ends or --strict stops it
    // (the bad line named then). Prints what goes wrong with the input itself.
    InputOutcome read_input(const std::string& path, RecordSink& sink, RunState& state,
                            Progress& progress);

    // A chunk of whole lines of the input name, each ending in '\n' but perhaps the last (a
    // mapped file cut short), in format. overlong: the indexes of lines that were too long to
    // copy (their text is empty). Bad lines go to state.first_bad (all of them with
    // --verbose), numbered from 1 within the chunk.
    void read_chunk(std::string_view text, const std::vector<std::uint32_t>& overlong,
                    const LogFormat& format, const std::string& name, RecordSink& sink,
                    RunState& state);

  private:
    void use_format(const LogFormat& format);
    // One line: nullopt when it parsed (its record then went to sink if the filters accept
    // it), else why it is bad.
    std::optional<ScanError> take(std::string_view text, bool overlong, RecordSink& sink);

    const InputConfig& config_;
    const RecordFilter& filter_;
    AgentCache* agents_;
    const bool filtering_;
    const ScanError overlong_;
    const LogFormat* format_ = nullptr;
    std::optional<Reducer> reducer_;
    Fields fields_;
    Record record_;
};

}  // namespace logsift
