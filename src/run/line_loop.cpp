// The line loop: input -> format scanner -> reduce -> filter -> sink, for one input read line
// by line (the sequential run) or one chunk of whole lines (a worker of the threaded run). Bad
// lines are counted and reported by file, line number, reason and column, never by content.
#include "logsift/run/line_loop.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <variant>

#include "logsift/run/progress.hpp"

namespace logsift {

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

LineLoop::LineLoop(const InputConfig& config, const RecordFilter& filter, AgentCache* agents)
    : config_(config),
      filter_(filter),
      agents_(agents),
      filtering_(!filter.empty() || !config.reduce.client_filter.empty()),
      overlong_{"line is longer than --max-line", config.max_line + 1} {}

void LineLoop::use_format(const LogFormat& format) {
    if (reducer_ && format_ == &format) return;
    reducer_.emplace(config_.reduce, format, agents_);
    format_ = &format;
}

inline std::optional<ScanError> LineLoop::take(std::string_view text, bool overlong,
                                               RecordSink& sink) {
    if (overlong) return overlong_;
    std::optional<ScanError> error = format_->scan(text, fields_);
    if (!error) error = reducer_->reduce(text, fields_, record_);
    if (error) return error;
    if (!filtering_ || filter_.accepts(record_)) sink.add(record_);
    return std::nullopt;
}

InputOutcome LineLoop::read_input(const std::string& path, RecordSink& sink, RunState& state,
                                  Progress& progress) {
    const std::string name = display_name(path);
    Expected<std::unique_ptr<LineReader>> opened = LineReader::open(path, config_.max_line);
    if (!opened) {
        print_error(opened.error().message());
        state.input_failed = true;
        return InputOutcome::done;
    }
    LineReader& reader = **opened;

    Line line;
    auto count_bad = [&](const ScanError& error) {
        ++state.skipped;
        if (config_.strict) {
            print_error(bad_line_text(name, line.number, error) + " (--strict)");
            return false;
        }
        if (config_.verbose) print_warning(bad_line_text(name, line.number, error));
        if (state.first_bad.size() < bad_lines_listed) {
            state.first_bad.push_back({name, line.number, error});
        }
        return true;
    };

    auto chosen = choose_format(config_, reader, name, line, &state, count_bad, say_now, true);
    if (auto* outcome = std::get_if<InputOutcome>(&chosen)) {
        if (*outcome == InputOutcome::done) {
            print_error(name + ": " + reader.error());
            state.input_failed = true;
        }
        return *outcome;
    }
    // Each input starts with a reducer of its own, as it always has.
    reducer_.reset();
    use_format(*std::get<const LogFormat*>(chosen));
    if (reader.live()) reader.on_wait([&sink] { sink.flush(); });
    progress.start_input(name, progress_total(path, reader));

    while (reader.next(line)) {
        ++state.lines;
        progress.update(reader.bytes_read(), state.lines);
        if (std::optional<ScanError> error = take(line.text, line.overlong, sink)) {
            if (!count_bad(*error)) return InputOutcome::stop_strict;
            continue;
        }
        ++state.parsed;
    }
    if (!reader.error().empty()) {
        print_error(name + ": " + reader.error());
        state.input_failed = true;
    }
    return InputOutcome::done;
}

void LineLoop::read_chunk(std::string_view text, const std::vector<std::uint32_t>& overlong,
                          const LogFormat& format, const std::string& name, RecordSink& sink,
                          RunState& state) {
    use_format(format);
    std::uint32_t index = 0;
    std::size_t next_overlong = 0;
    while (!text.empty()) {
        // Every chunk ends in '\n', unless it was mapped from a file that was then cut short:
        // its pages read as zeros, and the rest is one (bad) line.
        const std::size_t end = std::min(text.find('\n'), text.size());
        std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        // Lines taken in bulk keep their '\r' and were not measured (LineReader::next does both
        // for the lines it reads one by one).
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::uint64_t number = index + 1;  // the committer adds the lines before
        ++state.lines;
        bool too_long = line.size() > config_.max_line;
        if (next_overlong < overlong.size() && overlong[next_overlong] == index) {
            ++next_overlong;
            too_long = true;
        }
        ++index;
        if (std::optional<ScanError> error = take(line, too_long, sink)) {
            ++state.skipped;
            if (config_.verbose || state.first_bad.size() < bad_lines_listed) {
                state.first_bad.push_back({name, number, *error});
            }
            continue;
        }
        ++state.parsed;
    }
}

}  // namespace logsift
