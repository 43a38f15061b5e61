// Pipeline: input -> format scanner -> reduce -> writer, one input after another. Bad lines
// are counted and reported by file, line number, reason and column, never by content.
#include "logsift/pipeline.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "logsift/input.hpp"
#include "logsift/output.hpp"
#include "logsift/reduce.hpp"

namespace logsift {
namespace {

// Ctrl-C ends the run at once, also when it is blocked reading a terminal or a pipe; what was
// buffered for output is dropped, which the exit status 130 tells the caller.
extern "C" void on_interrupt(int) { _exit(static_cast<int>(ExitCode::interrupted)); }

// Lines sampled to pick a preset: enough to outvote a few odd lines at the top of a file.
constexpr std::size_t detect_max_lines = 2000;
constexpr std::size_t detect_max_bytes = 4 << 20;
constexpr std::size_t bad_lines_listed = 5;

std::string display_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

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

// Reads one input and calls emit for every reduced record.
InputOutcome process_input(const InputConfig& config, const std::string& path, RunState& state,
                           const std::function<void(const Record&)>& emit) {
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

    const LogFormat* format = config.format ? &*config.format : nullptr;
    if (!format) {
        // The sample must be able to hold a whole line of the longest kind allowed.
        const std::size_t window = std::max(detect_max_bytes, config.max_line + 2);
        std::string_view sample = reader->peek(window);
        // Overlong lines at the top cannot be sampled: count them here, then look past them.
        while (sample.empty() && reader->next(line)) {
            ++state.lines;
            if (!count_bad(overlong)) return InputOutcome::stop_strict;
            sample = reader->peek(window);
        }
        Detection detection = detect_format(config.presets, sample, detect_max_lines);
        if (!reader->error().empty()) {
            print_error(name + ": " + reader->error());
            state.input_failed = true;
            return InputOutcome::done;
        }
        if (detection.lines == 0 && sample.size() < window) {
            // Nothing but empty lines: any preset reports them alike.
            format = &config.presets.front().format;
        } else if (!detection.clear()) {
            print_error(detection_failure(name, detection));
            return InputOutcome::stop_usage;
        } else {
            format = &detection.best()->format;
            if (config.verbose) {
                print_note(name + ": format " + detection.best()->name + " (" +
                           std::to_string(detection.candidates.front().parsed) + " of " +
                           std::to_string(detection.lines) + " sample lines parsed)");
            }
        }
    }

    Reducer reducer(config.reduce, *format);
    while (reader->next(line)) {
        ++state.lines;
        std::optional<ScanError> error;
        if (line.overlong) {
            error = overlong;
        } else {
            error = format->scan(line.text, fields);
            if (!error) error = reducer.reduce(line.text, fields, record);
        }
        if (error) {
            if (!count_bad(*error)) return InputOutcome::stop_strict;
            continue;
        }
        ++state.parsed;
        emit(record);
    }
    if (!reader->error().empty()) {
        print_error(name + ": " + reader->error());
        state.input_failed = true;
    }
    return InputOutcome::done;
}

// Runs every input through the pipeline and settles the exit status.
ExitCode run_inputs(const InputConfig& config, const std::function<void(const Record&)>& emit,
                    const std::function<void()>& finish) {
    RunState state;
    for (const std::string& path : config.inputs) {
        InputOutcome outcome = process_input(config, path, state, emit);
        if (outcome == InputOutcome::stop_usage) return ExitCode::usage;
        if (outcome == InputOutcome::stop_strict) {
            finish();
            return ExitCode::input_error;
        }
    }
    finish();

    if (!config.quiet) {
        print_note(std::to_string(state.lines) + " lines read, " + std::to_string(state.parsed) +
                   " parsed, " + std::to_string(state.skipped) + " skipped");
        if (!config.verbose) {
            for (const BadLine& bad : state.first_bad) {
                print_note("  " + bad_line_text(bad.file, bad.line, bad.error));
            }
            if (state.skipped > state.first_bad.size()) {
                print_note("  (--verbose lists every skipped line)");
            }
        }
    }
    bool too_many_bad = state.lines > 0 && static_cast<double>(state.skipped) >
                                               config.max_bad_fraction * static_cast<double>(state.lines);
    if (too_many_bad) {
        print_error(std::to_string(state.skipped) + " of " + std::to_string(state.lines) +
                    " lines (" + percent(state.skipped, state.lines) +
                    ") could not be parsed, more than --max-bad " +
                    percent(static_cast<std::size_t>(config.max_bad_fraction * 1000000), 1000000));
    }
    if (state.input_failed || too_many_bad) return ExitCode::input_error;
    return ExitCode::ok;
}

// Opens -o FILE, or stdout. Returns -1 after printing an error.
int open_output(const std::string& path) {
    if (path.empty()) return STDOUT_FILENO;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) print_error(path + ": cannot write: " + std::strerror(errno));
    return fd;
}

}  // namespace

void install_signal_handlers() {
    std::signal(SIGPIPE, SIG_IGN);
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
}

ExitCode run_reduce(const ReduceConfig& config) {
    int fd = open_output(config.output_path);
    if (fd < 0) return ExitCode::usage;
    OutputSink sink(fd, fd != STDOUT_FILENO);
    const std::string output_name = config.output_path.empty() ? "<stdout>" : config.output_path;
    try {
        std::unique_ptr<RecordWriter> writer =
            make_record_writer(config.output_format, sink, config.columns);
        if (config.header) writer->header();
        return run_inputs(
            config.input, [&](const Record& record) { writer->write(record); },
            [&] { sink.close(); });
    } catch (const BrokenPipe&) {
        return ExitCode::ok;  // the reader has what it wanted (`logsift reduce | head`)
    } catch (const OutputError& error) {
        print_error(output_name + ": " + error.reason);
        return ExitCode::input_error;
    }
}

ExitCode run_formats(const FormatsConfig& config) {
    if (config.detect_path.empty()) {
        OutputSink sink(STDOUT_FILENO);
        try {
            for (const Preset& preset : config.presets) {
                sink.append(preset.name);
                sink.append('\t');
                sink.append(preset.description);
                sink.append('\t');
                sink.append(preset.format.text());
                sink.append('\n');
            }
            sink.flush();
        } catch (const BrokenPipe&) {
        } catch (const OutputError& error) {
            print_error("<stdout>: " + error.reason);
            return ExitCode::input_error;
        }
        return ExitCode::ok;
    }

    const std::string name = display_name(config.detect_path);
    std::string open_error;
    auto reader =
        LineReader::open(config.detect_path, LineReader::default_max_line, open_error);
    if (!reader) {
        print_error(name + ": " + open_error);
        return ExitCode::input_error;
    }
    Detection detection =
        detect_format(config.presets, reader->peek(detect_max_bytes), detect_max_lines);
    if (!reader->error().empty()) {
        print_error(name + ": " + reader->error());
        return ExitCode::input_error;
    }
    if (!detection.clear()) {
        print_error(detection_failure(name, detection));
        return ExitCode::input_error;
    }
    std::string answer = detection.best()->name + "\t" +
                         std::to_string(detection.candidates.front().parsed) + "/" +
                         std::to_string(detection.lines) + "\t" +
                         percent(detection.candidates.front().parsed, detection.lines) + "\n";
    if (config.verbose) {
        for (std::size_t i = 1; i < detection.candidates.size(); ++i) {
            const auto& candidate = detection.candidates[i];
            answer += candidate.preset->name + "\t" + std::to_string(candidate.parsed) + "/" +
                      std::to_string(detection.lines) + "\t" +
                      percent(candidate.parsed, detection.lines) + "\n";
        }
    }
    std::fwrite(answer.data(), 1, answer.size(), stdout);
    return ExitCode::ok;
}

}  // namespace logsift
