// Run: input -> format scanner -> reduce -> the plan's records, one input after another (the
// threaded path is parallel.cpp). Bad lines are counted and reported by file, line number,
// reason and column, never by content.
#include "logsift/run/run.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <variant>

#include "logsift/reduce/reduce.hpp"
#include "logsift/run/parallel.hpp"
#include "logsift/run/progress.hpp"

namespace logsift {

std::string display_name(const std::string& path) {
    return path == "-" ? "<stdin>" : path;
}

std::string percent(std::size_t part, std::size_t whole) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f%%", whole ? 100.0 * part / whole : 0.0);
    return text;
}

std::string bad_line_text(const std::string& file, std::uint64_t line, const ScanError& error) {
    return file + ": line " + std::to_string(line) + ": " + error.reason + " at column " +
           std::to_string(error.column);
}

std::string detection_failure(const std::string& file, const Detection& detection) {
    std::string message = file + ": no preset format fits its first " +
                          std::to_string(detection.lines) + " lines\n  tried:";
    for (const Detection::Candidate& candidate : detection.candidates) {
        message += " " + candidate.preset->name + " (" + std::to_string(candidate.parsed) + ")";
    }
    message +=
        "\n  pass the format line from the server's configuration, for example\n"
        "    --format '$remote_addr - $remote_user [$time_local] \"$request\" $status "
        "$body_bytes_sent'   (nginx log_format)\n"
        "    --format '%h %l %u %t \\\"%r\\\" %>s %b'   (Apache LogFormat)";
    return message;
}

void say_now(Message message) {
    if (message.kind == Message::Kind::error) {
        print_error(message.text);
    } else {
        print_note(message.text);
    }
}

std::variant<const LogFormat*, InputOutcome> choose_format(
    const InputConfig& config, LineReader& reader, const std::string& name, Line& line,
    RunState* state, const std::function<bool(const ScanError&)>& count_bad, const Say& say,
    bool announce) {
    if (config.format) return &*config.format;
    // The sample must be able to hold a whole line of the longest kind allowed.
    const std::size_t window = std::max(detect_max_bytes, config.max_line + 2);
    const ScanError overlong{"line is longer than --max-line", config.max_line + 1};
    std::string_view sample = reader.peek(window);
    while (sample.empty() && reader.next(line)) {
        if (state) ++state->lines;
        if (!count_bad(overlong)) return InputOutcome::stop_strict;
        sample = reader.peek(window);
    }
    Detection detection = detect_format(config.presets, sample, detect_max_lines);
    // Damage inside the sample (a cut .gz) still leaves the whole lines before it, which are
    // read and written like any others; only without a clear format does the error end here.
    if (!reader.error().empty() && !detection.clear()) return InputOutcome::done;
    if (detection.lines == 0 && sample.size() < window) {
        // Nothing but empty lines: any preset reports them alike.
        return &config.presets.front().format;
    }
    if (!detection.clear()) {
        say({Message::Kind::error, detection_failure(name, detection)});
        return InputOutcome::stop_usage;
    }
    if (config.verbose && announce) {
        say({Message::Kind::note, name + ": format " + detection.best()->name + " (" +
                                      std::to_string(detection.candidates.front().parsed) + " of " +
                                      std::to_string(detection.lines) + " sample lines parsed)"});
    }
    return &detection.best()->format;
}

std::uint64_t progress_total(const std::string& path, const LineReader& reader) {
    struct stat info {};
    if (path == "-" || reader.codec() != Codec::plain || ::stat(path.c_str(), &info) != 0 ||
        !S_ISREG(info.st_mode)) {
        return 0;
    }
    return static_cast<std::uint64_t>(info.st_size);
}

namespace {

// What one run shares across its inputs.
struct Run {
    const InputConfig& config;
    const RunPlan& plan;
    Progress& progress;
    RecordFilter filter;                 // with time-of-day bounds resolved
    std::unique_ptr<AgentCache> agents;  // null when nothing needs the agent
    RunState state;
};

// Reads one input and calls emit for every reduced record the filters accept.
InputOutcome process_input(Run& run, const std::string& path,
                           const std::function<void(const Record&)>& emit) {
    const InputConfig& config = run.config;
    RunState& state = run.state;
    const std::string name = display_name(path);
    std::string open_error;
    std::unique_ptr<LineReader> reader = LineReader::open(path, config.max_line, open_error);
    if (!reader) {
        print_error(name + ": " + open_error);
        state.input_failed = true;
        return InputOutcome::done;
    }

    Fields fields;
    Record record;
    Line line;
    auto count_bad = [&](const ScanError& error) {
        ++state.skipped;
        if (config.strict) {
            print_error(bad_line_text(name, line.number, error) + " (--strict)");
            return false;
        }
        if (config.verbose) print_warning(bad_line_text(name, line.number, error));
        if (state.first_bad.size() < bad_lines_listed) {
            state.first_bad.push_back({name, line.number, error});
        }
        return true;
    };
    const ScanError overlong{"line is longer than --max-line", config.max_line + 1};

    auto chosen = choose_format(config, *reader, name, line, &state, count_bad, say_now, true);
    if (auto* outcome = std::get_if<InputOutcome>(&chosen)) {
        if (*outcome == InputOutcome::done) {
            print_error(name + ": " + reader->error());
            state.input_failed = true;
        }
        return *outcome;
    }
    const LogFormat& format = *std::get<const LogFormat*>(chosen);
    if (run.plan.flush && reader->live()) reader->on_wait(run.plan.flush);
    run.progress.start_input(name, progress_total(path, *reader));

    Reducer reducer(config.reduce, format, run.agents.get());
    const bool filtering = !run.filter.empty() || !config.reduce.client_filter.empty();
    while (reader->next(line)) {
        ++state.lines;
        run.progress.update(reader->bytes_read(), state.lines);
        std::optional<ScanError> error;
        if (line.overlong) {
            error = overlong;
        } else {
            error = format.scan(line.text, fields);
            if (!error) error = reducer.reduce(line.text, fields, record);
        }
        if (error) {
            if (!count_bad(*error)) return InputOutcome::stop_strict;
            continue;
        }
        ++state.parsed;
        if (filtering && !run.filter.accepts(record)) continue;
        emit(record);
    }
    if (!reader->error().empty()) {
        print_error(name + ": " + reader->error());
        state.input_failed = true;
    }
    return InputOutcome::done;
}

// The logged time of the last record of path that has one, for time-of-day bounds. A plain
// file is read from its end; a compressed one has to be decoded in full.
std::optional<Timestamp> last_record_time(const InputConfig& config, const std::string& path) {
    std::string error;
    std::unique_ptr<LineReader> reader = LineReader::open(path, config.max_line, error);
    if (!reader) return std::nullopt;
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

// Resolves --since/--until given as a time of day against the day of the last record of the
// last input (operators name logs oldest first, so that is the newest one).
std::variant<RecordFilter, ExitCode> resolve_window(const InputConfig& config) {
    RecordFilter filter = config.filter;
    bool time_of_day = (config.since && config.since->kind == TimeBound::Kind::time_of_day) ||
                       (config.until && config.until->kind == TimeBound::Kind::time_of_day);
    if (!time_of_day) return filter;
    const std::string& last = config.inputs.back();
    if (last == "-") {
        print_error(
            "a time of day in --since/--until refers to the day of the log's last record, "
            "which standard input cannot tell in advance: give a date and time "
            "(2026-10-08T13:00)");
        return ExitCode::usage;
    }
    std::optional<Timestamp> reference = last_record_time(config, last);
    if (!reference) {
        print_error(last + ": no record with a time to place a time of day (--since/--until) on");
        return ExitCode::input_error;
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

// Runs one input into its own output (--in-place) and settles that input alone: its output
// is kept only when it was read and decoded in full, --strict met no bad line, its own
// skipped lines stay within --max-bad, and every write succeeded. Sequential on purpose (so
// --threads does not apply): each input needs its own sink and its own verdict, and --strict
// must stop inside it, while the parallel path streams the chunks of all inputs through one
// commit; a nightly rewrite of rotated logs needs atomicity more than speed.
InputOutcome process_own_output(Run& run, const std::string& path) {
    const InputConfig& config = run.config;
    RunState& state = run.state;
    const std::string name = display_name(path);
    if (!run.plan.open_input(path)) {
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
        outcome = process_input(run, path, run.plan.emit);
    } catch (const OutputError& error) {
        print_error(name + ": cannot write its replacement: " + error.reason);
        accepted = false;
    }
    const std::uint64_t lines = state.lines - lines_before;
    const std::uint64_t skipped = state.skipped - skipped_before;
    if (accepted && outcome == InputOutcome::done && !state.input_failed &&
        too_many_bad_lines(config, lines, skipped)) {
        print_error(name + ": " + too_many_bad_text(config, lines, skipped));
        accepted = false;
    }
    accepted = accepted && outcome == InputOutcome::done && !state.input_failed;
    if (!run.plan.close_input(path, accepted)) accepted = false;
    state.input_failed = failed_before || !accepted;
    return outcome;
}

}  // namespace

ExitCode run_inputs(const InputConfig& config, const RunPlan& plan, RunState* totals) {
    auto window = resolve_window(config);
    if (auto* status = std::get_if<ExitCode>(&window)) return *status;
    Progress progress(config.progress);
    Run run{config, plan, progress, std::get<RecordFilter>(std::move(window)), nullptr, {}};
    RunState& state = run.state;
    if (plan.workers && !plan.workers->empty()) {
        if (run_parallel(config, run.filter, *plan.workers, plan.commit, state, progress) ==
            InputOutcome::stop_usage) {
            return ExitCode::usage;
        }
    } else if (plan.open_input) {
        if (config.agents) run.agents = std::make_unique<AgentCache>(*config.agents);
        bool usage_failed = false;
        for (const std::string& path : config.inputs) {
            switch (process_own_output(run, path)) {
                case InputOutcome::stop_usage:
                    usage_failed = true;
                    break;
                case InputOutcome::stop_strict:
                case InputOutcome::done:
                    break;
            }
        }
        plan.finish();
        print_statistics(config, state);
        // Each input was judged against --max-bad on its own, so the totals are not again.
        if (usage_failed) return ExitCode::usage;
        return state.input_failed ? ExitCode::input_error : ExitCode::ok;
    } else {
        if (config.agents) run.agents = std::make_unique<AgentCache>(*config.agents);
        for (const std::string& path : config.inputs) {
            InputOutcome outcome = process_input(run, path, plan.emit);
            if (outcome == InputOutcome::stop_usage) return ExitCode::usage;
            if (outcome == InputOutcome::stop_strict) {
                plan.finish();
                return ExitCode::input_error;
            }
        }
    }
    if (totals) *totals = state;
    progress.finish();
    plan.finish();

    print_statistics(config, state);
    bool too_many_bad = too_many_bad_lines(config, state.lines, state.skipped);
    if (too_many_bad) print_error(too_many_bad_text(config, state.lines, state.skipped));
    if (state.input_failed || too_many_bad) return ExitCode::input_error;
    return ExitCode::ok;
}

}  // namespace logsift
