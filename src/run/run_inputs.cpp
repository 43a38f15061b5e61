// Running the inputs: the time window resolved, each input through the line loop (or the
// threaded run), the statistics, and the verdict: which fault, if any, the run ends with.
#include "logsift/run/run_inputs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "logsift/output/output.hpp"
#include "logsift/run/progress.hpp"
#include "logsift/run/threaded.hpp"

namespace logsift {
namespace {

// The logged time of the last record of path that has one, for time-of-day bounds. A plain
// file is read from its end; a compressed one has to be decoded in full.
std::optional<Timestamp> last_record_time(const InputConfig& config, const std::string& path) {
    Expected<std::unique_ptr<LineReader>> opened = LineReader::open(path, config.max_line);
    if (!opened) return std::nullopt;
    std::unique_ptr<LineReader>& reader = *opened;
    Line line;
    auto chosen = choose_format(
        config, *reader, display_name(path), line, nullptr, [](const ScanError&) { return true; },
        say_now, false);
    if (!std::holds_alternative<const LogFormat*>(chosen)) return std::nullopt;
    const LogFormat& format = *std::get<const LogFormat*>(chosen);
    ReduceOptions options = config.reduce;
    options.client_filter.clear();
    Reducer reducer(options, format, nullptr);
    Fields fields;
    Record record;
    auto time_of = [&](std::string_view text) -> std::optional<Timestamp> {
        if (format.scan(text, fields) || reducer.reduce(text, fields, record)) return std::nullopt;
        return record.logged_time;
    };

    if (reader->codec() == Codec::plain) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        struct stat info {};
        if (fd >= 0 && ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
            std::size_t size = static_cast<std::size_t>(info.st_size);
            std::size_t tail = std::min<std::size_t>(size, 1 << 20);
            std::string buffer(tail, '\0');
            ssize_t got = ::pread(fd, buffer.data(), tail, static_cast<off_t>(size - tail));
            ::close(fd);
            std::string_view text(buffer.data(), got > 0 ? static_cast<std::size_t>(got) : 0);
            while (true) {
                while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
                    text.remove_suffix(1);
                }
                if (text.empty()) break;
                std::size_t start = text.rfind('\n');
                std::string_view candidate =
                    start == std::string_view::npos ? text : text.substr(start + 1);
                // The first line of the tail may be cut: only trust it when the tail is the file.
                if (start != std::string_view::npos || tail == size) {
                    if (auto time = time_of(candidate)) return time;
                }
                if (start == std::string_view::npos) break;
                text = text.substr(0, start);
            }
            return std::nullopt;
        }
        if (fd >= 0) ::close(fd);
    }
    std::optional<Timestamp> last;
    while (reader->next(line)) {
        if (line.overlong) continue;
        if (auto time = time_of(line.text)) last = time;
    }
    return last;
}

}  // namespace

// Against the day of the last record of the last input: operators name logs oldest first, so
// that is the newest one.
Expected<RecordFilter> resolve_window(const InputConfig& config) {
    RecordFilter filter = config.filter;
    bool time_of_day = (config.since && config.since->kind == TimeBound::Kind::time_of_day) ||
                       (config.until && config.until->kind == TimeBound::Kind::time_of_day);
    if (!time_of_day) return filter;
    const std::string& last = config.inputs.back();
    if (last == "-") {
        return usage_error({},
                           "a time of day in --since/--until refers to the day of the log's last "
                           "record, which standard input cannot tell in advance: give a date and "
                           "time (2026-10-08T13:00)");
    }
    std::optional<Timestamp> reference = last_record_time(config, last);
    if (!reference) {
        return input_error(last,
                           "no record with a time to place a time of day (--since/--until) on");
    }
    if (config.since) filter.since = resolve_time_bound(*config.since, *reference);
    if (config.until) filter.until = resolve_time_bound(*config.until, *reference);
    return filter;
}

void print_statistics(const InputConfig& config, const RunState& state) {
    if (config.quiet) return;
    print_note(std::to_string(state.lines) + " lines read, " + std::to_string(state.parsed) +
               " parsed, " + std::to_string(state.skipped) + " skipped");
    if (config.verbose) return;
    for (const BadLine& bad : state.first_bad) {
        print_note("  " + bad_line_text(bad.file, bad.line, bad.error));
    }
    if (state.skipped > state.first_bad.size())
        print_note("  (--verbose lists every skipped line)");
}

bool too_many_bad_lines(const InputConfig& config, std::uint64_t lines, std::uint64_t skipped) {
    return lines > 0 &&
           static_cast<double>(skipped) > config.max_bad_fraction * static_cast<double>(lines);
}

std::string too_many_bad_text(const InputConfig& config, std::uint64_t lines,
                              std::uint64_t skipped) {
    return std::to_string(skipped) + " of " + std::to_string(lines) + " lines (" +
           percent(skipped, lines) + ") could not be parsed, more than --max-bad " +
           percent(static_cast<std::size_t>(config.max_bad_fraction * 1000000), 1000000);
}

namespace {

// Runs one input into its own output (--in-place) and settles that input alone: its output
// is kept only when it was read and decoded in full, --strict met no bad line, its own
// skipped lines stay within --max-bad, and every write succeeded. Sequential on purpose (so
// --threads does not apply): each input needs its own sink and its own verdict, and --strict
// must stop inside it, while the threaded run streams the chunks of all inputs through one
// commit; a nightly rewrite of rotated logs needs atomicity more than speed.
InputOutcome read_own_output(const InputConfig& config, LineLoop& loop, PerInputSink& sink,
                             const std::string& path, RunState& state, Progress& progress) {
    if (Expected<void> opened = sink.open_input(path); !opened) {
        report(opened.error());
        state.input_failed = true;
        return InputOutcome::done;
    }
    const std::uint64_t lines_before = state.lines;
    const std::uint64_t skipped_before = state.skipped;
    const bool failed_before = state.input_failed;
    state.input_failed = false;
    InputOutcome outcome = InputOutcome::done;
    bool accepted = true;
    try {
        outcome = loop.read_input(path, sink, state, progress);
    } catch (const OutputError& error) {
        print_error(display_name(path) + ": cannot write its replacement: " + error.reason);
        accepted = false;
    }
    const std::uint64_t lines = state.lines - lines_before;
    const std::uint64_t skipped = state.skipped - skipped_before;
    if (accepted && outcome == InputOutcome::done && !state.input_failed &&
        too_many_bad_lines(config, lines, skipped)) {
        print_error(display_name(path) + ": " + too_many_bad_text(config, lines, skipped));
        accepted = false;
    }
    accepted = accepted && outcome == InputOutcome::done && !state.input_failed;
    if (Expected<void> closed = sink.close_input(path, accepted); !closed) {
        report(closed.error());
        accepted = false;
    }
    state.input_failed = failed_before || !accepted;
    return outcome;
}

std::unique_ptr<AgentCache> agent_cache(const InputConfig& config) {
    if (!config.agents) return nullptr;
    return std::make_unique<AgentCache>(*config.agents);
}

// A run that cannot start reads nothing; its error decides the fault.
RunResult refused(const Error& error) {
    report(error);
    RunResult result;
    result.fault = error.fault;
    return result;
}

}  // namespace

ExitCode exit_status(const RunResult& result) {
    return result.fault ? exit_status(*result.fault) : ExitCode::ok;
}

RunResult run_inputs(const InputConfig& config, RunSink& sink) {
    Expected<RecordFilter> window = resolve_window(config);
    if (!window) return refused(window.error());
    RunResult result;
    const RecordFilter& filter = *window;
    Progress progress(config.progress);
    RunState& state = result.totals;
    std::vector<std::unique_ptr<ChunkWorker>> workers = sink.workers(config.threads);
    if (!workers.empty()) {
        auto commit = [&sink](std::string& output) { sink.commit(output); };
        if (run_threaded(config, filter, workers, commit, state, progress) ==
            InputOutcome::stop_usage) {
            result.fault = Fault::usage;
            return result;
        }
    } else {
        std::unique_ptr<AgentCache> agents = agent_cache(config);
        LineLoop loop(config, filter, agents.get());
        for (const std::string& path : config.inputs) {
            InputOutcome outcome = loop.read_input(path, sink, state, progress);
            if (outcome == InputOutcome::stop_usage) {
                result.fault = Fault::usage;
                return result;
            }
            if (outcome == InputOutcome::stop_strict) {
                sink.finish();
                // Stopped short, a run has no totals to tell (a summary's lines read stay 0).
                state = RunState{};
                result.fault = Fault::input;
                return result;
            }
        }
    }
    progress.finish();
    sink.finish();

    print_statistics(config, state);
    bool too_many_bad = too_many_bad_lines(config, state.lines, state.skipped);
    if (too_many_bad) print_error(too_many_bad_text(config, state.lines, state.skipped));
    if (state.input_failed || too_many_bad) result.fault = Fault::input;
    return result;
}

RunResult run_inputs(const InputConfig& config, PerInputSink& sink) {
    Expected<RecordFilter> window = resolve_window(config);
    if (!window) return refused(window.error());
    RunResult result;
    Progress progress(config.progress);
    RunState& state = result.totals;
    std::unique_ptr<AgentCache> agents = agent_cache(config);
    LineLoop loop(config, *window, agents.get());
    bool usage_failed = false;
    for (const std::string& path : config.inputs) {
        if (read_own_output(config, loop, sink, path, state, progress) ==
            InputOutcome::stop_usage) {
            usage_failed = true;
        }
    }
    print_statistics(config, state);
    // Each input was judged against --max-bad on its own, so the totals are not again.
    if (usage_failed) {
        result.fault = Fault::usage;
    } else if (state.input_failed) {
        result.fault = Fault::input;
    }
    return result;
}

}  // namespace logsift
