// Pipeline: input -> format scanner -> reduce -> writer, one input after another. Bad lines
// are counted and reported by file, line number, reason and column, never by content.
#include "logsift/pipeline.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <istream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <variant>

#include "logsift/inplace.hpp"
#include "logsift/input.hpp"
#include "logsift/output.hpp"
#include "logsift/progress.hpp"
#include "logsift/reduce.hpp"
#include "logsift/summary_json.hpp"

namespace logsift {
namespace {

// Ctrl-C ends the run at once, also when it is blocked reading a terminal or a pipe; what was
// buffered for output is dropped, which the exit status 130 tells the caller. A replacement
// being written by --in-place is removed; the original was never touched.
extern "C" void on_interrupt(int) {
    remove_inplace_temp_on_signal();
    _exit(static_cast<int>(ExitCode::interrupted));
}

extern "C" void on_terminate(int) {
    terminate_requested = 1;
}
extern "C" void on_hangup(int) {
    reopen_requested = 1;
}

// Lines sampled to pick a preset: enough to outvote a few odd lines at the top of a file.
constexpr std::size_t detect_max_lines = 2000;
constexpr std::size_t detect_max_bytes = 4 << 20;
constexpr std::size_t bad_lines_listed = 5;

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

// What one run shares across its inputs.
struct Run {
    const InputConfig& config;
    const RunPlan& plan;
    Progress& progress;
    RecordFilter filter;                 // with time-of-day bounds resolved
    std::unique_ptr<AgentCache> agents;  // null when nothing needs the agent
    RunState state;
};

// Picks the format of one input: the configured one, or the preset that fits its first lines.
// Overlong lines at the top cannot be sampled: they are counted through count_bad first.
template <typename CountBad>
std::variant<const LogFormat*, InputOutcome> choose_format(const InputConfig& config,
                                                           LineReader& reader,
                                                           const std::string& name, Line& line,
                                                           RunState* state, CountBad count_bad,
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
        print_error(detection_failure(name, detection));
        return InputOutcome::stop_usage;
    }
    if (config.verbose && announce) {
        print_note(name + ": format " + detection.best()->name + " (" +
                   std::to_string(detection.candidates.front().parsed) + " of " +
                   std::to_string(detection.lines) + " sample lines parsed)");
    }
    return &detection.best()->format;
}

// The size the progress line measures against: a plain file's; unknown for anything else,
// since bytes_read() counts decoded bytes.
std::uint64_t progress_total(const std::string& path, const LineReader& reader) {
    struct stat info {};
    if (path == "-" || reader.codec() != Codec::plain || ::stat(path.c_str(), &info) != 0 ||
        !S_ISREG(info.st_mode)) {
        return 0;
    }
    return static_cast<std::uint64_t>(info.st_size);
}

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

    auto chosen = choose_format(config, *reader, name, line, &state, count_bad, true);
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
        false);
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

// --- the parallel path -----------------------------------------------------------------------
// One reader thread cuts each input into chunks of whole lines (copied out of the read buffer);
// worker threads scan, reduce and hand records to their own ChunkWorker; the calling thread
// commits the chunks' results in input order. So output order, line numbers and counts are
// those of the sequential path.

constexpr std::size_t chunk_bytes = 1 << 20;
constexpr std::uint64_t reading_done_marker = UINT64_MAX;

struct Chunk {
    std::uint64_t sequence = 0;
    const std::string* name = nullptr;
    const LogFormat* format = nullptr;
    std::uint64_t first_line = 0;
    std::string text;                     // whole lines, each ending in '\n'
    std::vector<std::uint32_t> overlong;  // indexes of lines too long to copy (empty in text)
};

struct ChunkResult {
    std::uint64_t sequence = 0;
    std::string output;
    RunState state;
};

template <typename T>
class WorkQueue {
  public:
    void push(T item) {
        {
            std::lock_guard lock(mutex_);
            items_.push_back(std::move(item));
        }
        ready_.notify_one();
    }
    // Blocks until an item or close(); nullopt once closed and empty.
    std::optional<T> pop() {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !items_.empty() || closed_; });
        if (items_.empty()) return std::nullopt;
        T item = std::move(items_.front());
        items_.pop_front();
        return item;
    }
    void close() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<T> items_;
    bool closed_ = false;
};

// Bounds the chunks between the reader and the committer, so memory stays flat however slow
// the output is.
class Slots {
  public:
    explicit Slots(std::size_t count) : free_(count) {}
    bool acquire(const std::atomic<bool>& stop) {
        std::unique_lock lock(mutex_);
        freed_.wait(lock, [&] { return free_ > 0 || stop.load(); });
        if (stop.load()) return false;
        --free_;
        return true;
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            ++free_;
        }
        freed_.notify_one();
    }
    void wake() { freed_.notify_all(); }

  private:
    std::mutex mutex_;
    std::condition_variable freed_;
    std::size_t free_;
};

struct ParallelRun {
    const InputConfig& config;
    const RecordFilter& filter;
    Progress* progress = nullptr;
    std::vector<std::string> names;
    WorkQueue<Chunk> chunks;
    WorkQueue<ChunkResult> results;
    Slots slots;
    std::atomic<bool> stop{false};
    std::atomic<bool> input_failed{false};
    std::atomic<bool> usage_failed{false};
    std::atomic<std::uint64_t> chunk_count{0};  // set by the reader when it is done
    std::atomic<bool> reading_done{false};

    ParallelRun(const InputConfig& run_config, const RecordFilter& run_filter,
                std::size_t slots_count)
        : config(run_config), filter(run_filter), slots(slots_count) {}
};

void read_chunks(ParallelRun& run) {
    const InputConfig& config = run.config;
    std::uint64_t sequence = 0;
    std::uint64_t lines_read = 0;
    for (std::size_t index = 0; index < config.inputs.size() && !run.stop; ++index) {
        const std::string& name = run.names[index];
        std::string open_error;
        std::unique_ptr<LineReader> reader =
            LineReader::open(config.inputs[index], config.max_line, open_error);
        if (!reader) {
            print_error(name + ": " + open_error);
            run.input_failed = true;
            continue;
        }
        Chunk chunk;
        Line line;
        auto start_chunk = [&](std::uint64_t first_line) {
            chunk = Chunk{};
            chunk.name = &name;
            chunk.first_line = first_line;
            chunk.text.reserve(chunk_bytes + config.max_line + 2);
        };
        auto ship = [&]() {
            if (!run.slots.acquire(run.stop)) return false;
            chunk.sequence = sequence++;
            run.chunks.push(std::move(chunk));
            return true;
        };
        start_chunk(1);
        std::uint32_t in_chunk = 0;
        auto add_overlong = [&](const ScanError&) {
            chunk.overlong.push_back(in_chunk++);
            chunk.text.push_back('\n');
            return true;
        };
        auto chosen = choose_format(config, *reader, name, line, nullptr, add_overlong, true);
        if (auto* outcome = std::get_if<InputOutcome>(&chosen)) {
            if (*outcome == InputOutcome::stop_usage) {
                run.usage_failed = true;
                break;
            }
            print_error(name + ": " + reader->error());
            run.input_failed = true;
            continue;
        }
        chunk.format = std::get<const LogFormat*>(chosen);
        const LogFormat* format = chunk.format;
        run.progress->start_input(name, progress_total(config.inputs[index], *reader));
        for (;;) {
            // Most lines move in bulk, a buffer's worth at a time; next() reads on, and takes
            // the lines that end past the buffer, overlong ones and the last one.
            std::uint64_t taken = 0;
            std::string_view lines =
                reader->take_lines(chunk_bytes - std::min(chunk.text.size(), chunk_bytes), taken);
            if (!lines.empty()) {
                chunk.text.append(lines);
                in_chunk += static_cast<std::uint32_t>(taken);
                lines_read += taken;
                run.progress->update(reader->bytes_read(), lines_read, taken);
                if (chunk.text.size() >= chunk_bytes) {
                    const std::uint64_t next_line = chunk.first_line + in_chunk;
                    if (!ship()) break;
                    start_chunk(next_line);
                    chunk.format = format;
                    in_chunk = 0;
                }
                if (run.stop) break;
                continue;
            }
            if (!reader->next(line)) break;
            run.progress->update(reader->bytes_read(), ++lines_read);
            if (line.overlong) {
                chunk.overlong.push_back(in_chunk);
            } else {
                // Workers take one '\r' off every line, as next() did off this one: a line of
                // its own that still ends in '\r' must reach the scanner with it.
                chunk.text.append(line.text).push_back('\r');
            }
            chunk.text.push_back('\n');
            ++in_chunk;
            if (chunk.text.size() >= chunk_bytes) {
                if (!ship()) break;
                start_chunk(line.number + 1);
                chunk.format = format;
                in_chunk = 0;
            }
            if (run.stop) break;
        }
        if (in_chunk > 0 && !run.stop) ship();
        if (!reader->error().empty()) {
            print_error(name + ": " + reader->error());
            run.input_failed = true;
        }
    }
    run.chunk_count = sequence;
    run.reading_done = true;
    run.chunks.close();
    // Wakes the committer, which may be waiting for a result that will never come (no chunks,
    // or the last result arrived before reading_done was set).
    ChunkResult done;
    done.sequence = reading_done_marker;
    run.results.push(std::move(done));
}

void work_chunks(ParallelRun& run, ChunkWorker& worker) {
    const InputConfig& config = run.config;
    std::unique_ptr<AgentCache> agents;
    if (config.agents) agents = std::make_unique<AgentCache>(*config.agents);
    const bool filtering = !run.filter.empty() || !config.reduce.client_filter.empty();
    const ScanError overlong{"line is longer than --max-line", config.max_line + 1};
    Fields fields;
    Record record;
    // Kept from chunk to chunk while the format stays: its memo of recent clients is worth
    // keeping warm, and is too large to build again every few thousand lines.
    std::optional<Reducer> reducer;
    const LogFormat* reducer_format = nullptr;
    while (std::optional<Chunk> chunk = run.chunks.pop()) {
        ChunkResult result;
        result.sequence = chunk->sequence;
        if (!run.stop) {
            if (!reducer || reducer_format != chunk->format) {
                reducer.emplace(config.reduce, *chunk->format, agents.get());
                reducer_format = chunk->format;
            }
            RunState& state = result.state;
            worker.begin(result.output);
            std::string_view text = chunk->text;
            std::uint32_t index = 0;
            std::size_t next_overlong = 0;
            while (!text.empty()) {
                std::size_t end = text.find('\n');
                std::string_view line = text.substr(0, end);
                text.remove_prefix(end + 1);
                // Lines taken in bulk keep their '\r' and were not measured (LineReader::next
                // does both for the lines it reads one by one).
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                std::uint64_t number = chunk->first_line + index;
                ++state.lines;
                std::optional<ScanError> error;
                if (next_overlong < chunk->overlong.size() &&
                    chunk->overlong[next_overlong] == index) {
                    ++next_overlong;
                    error = overlong;
                } else if (line.size() > config.max_line) {
                    error = overlong;
                } else {
                    error = chunk->format->scan(line, fields);
                    if (!error) error = reducer->reduce(line, fields, record);
                }
                ++index;
                if (error) {
                    ++state.skipped;
                    if (config.verbose || state.first_bad.size() < bad_lines_listed) {
                        state.first_bad.push_back({*chunk->name, number, *error});
                    }
                    continue;
                }
                ++state.parsed;
                if (filtering && !run.filter.accepts(record)) continue;
                worker.add(record);
            }
            worker.end();
        }
        run.results.push(std::move(result));
    }
    worker.finish();
}

// Runs the inputs on threads; commit receives each chunk's output in input order.
InputOutcome run_parallel(const InputConfig& config, const RecordFilter& filter,
                          std::vector<std::unique_ptr<ChunkWorker>>& workers,
                          const std::function<void(std::string&)>& commit, RunState& totals,
                          Progress& progress) {
    // One malloc arena for every thread: the hot path allocates only for new rows, so there is
    // little to contend for, while an arena per thread keeps each thread's freed pages (its
    // aggregate tables, once merged) out of reach of the others: about 35 MiB more peak RSS
    // on a 5M-line summary.
    ::mallopt(M_ARENA_MAX, 1);
    ParallelRun run(config, filter, 4 * workers.size());
    run.progress = &progress;
    for (const std::string& path : config.inputs)
        run.names.push_back(display_name(path));

    std::vector<std::thread> threads;
    threads.emplace_back(read_chunks, std::ref(run));
    for (auto& worker : workers)
        threads.emplace_back(work_chunks, std::ref(run), std::ref(*worker));
    auto stop_all = [&] {
        run.stop = true;
        run.slots.wake();
        run.chunks.close();
        for (std::thread& thread : threads)
            thread.join();
    };

    std::map<std::uint64_t, ChunkResult> waiting;
    std::uint64_t next = 0;
    try {
        while (!(run.reading_done && next == run.chunk_count)) {
            std::optional<ChunkResult> result = run.results.pop();
            if (!result) break;
            if (result->sequence != reading_done_marker) {
                waiting.emplace(result->sequence, std::move(*result));
            }
            for (auto it = waiting.find(next); it != waiting.end(); it = waiting.find(next)) {
                ChunkResult& done = it->second;
                totals.lines += done.state.lines;
                totals.parsed += done.state.parsed;
                totals.skipped += done.state.skipped;
                for (const BadLine& bad : done.state.first_bad) {
                    if (config.verbose) print_warning(bad_line_text(bad.file, bad.line, bad.error));
                    if (totals.first_bad.size() < bad_lines_listed) totals.first_bad.push_back(bad);
                }
                commit(done.output);
                waiting.erase(it);
                ++next;
                run.slots.release();
            }
            // The reader may finish after the last result arrived: re-check without blocking.
            if (run.reading_done && next == run.chunk_count) break;
        }
    } catch (const BrokenPipe&) {
        // The reader thread may be blocked on a pipe that stays open (`tail -f | logsift |
        // head`); nothing is left to write, so end here, as the sequential path does.
        std::_Exit(static_cast<int>(ExitCode::ok));
    } catch (...) {
        stop_all();
        throw;
    }
    stop_all();
    totals.input_failed = totals.input_failed || run.input_failed;
    return run.usage_failed ? InputOutcome::stop_usage : InputOutcome::done;
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

// Runs every input through the pipeline and settles the exit status. lines and parsed, when
// given, receive the totals.
ExitCode run_inputs(const InputConfig& config, const RunPlan& plan, RunState* totals = nullptr) {
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
    // Without SA_RESTART, so that a read waiting on a pipe returns and sees the request.
    action.sa_handler = on_terminate;
    sigaction(SIGTERM, &action, nullptr);
    action.sa_handler = on_hangup;
    sigaction(SIGHUP, &action, nullptr);
}

namespace {

// Formats one chunk's records into that chunk's output.
class ReduceWorker final : public ChunkWorker {
  public:
    explicit ReduceWorker(const ReduceConfig& config) : config_(config) {}
    void begin(std::string& output) override {
        sink_ = std::make_unique<OutputSink>(output);
        writer_ = make_record_writer(config_.output_format, *sink_, config_.columns);
    }
    void add(const Record& record) override { writer_->write(record); }
    void end() override { sink_->flush(); }

  private:
    const ReduceConfig& config_;
    std::unique_ptr<OutputSink> sink_;
    std::unique_ptr<RecordWriter> writer_;
};

// The rows every worker has handed over so far.
struct SharedSummary {
    std::mutex mutex;
    Summary summary;
    std::optional<std::string> overflow;

    void merge(Summary&& part) {
        std::lock_guard lock(mutex);
        if (overflow) return;
        overflow = summary.merge(std::move(part));
    }
};

// Each worker counts into its own Aggregator, without locks, and once it holds many rows moves
// them into the shared summary: a summary's memory is mostly one row per network, so a log
// with many networks then holds most rows once rather than once per worker.
class AggregateWorker final : public ChunkWorker {
  public:
    AggregateWorker(const AggregateConfig& config, SharedSummary& shared)
        : aggregator_(config.settings, *config.rules, config.site_hosts), shared_(shared) {}
    void begin(std::string&) override {}
    void add(const Record& record) override { aggregator_.add(record); }
    void end() override {
        if (aggregator_.row_count() >= handover_rows)
            shared_.merge(aggregator_.take_largest_tables(handover_rows / 8));
    }
    // The last rows go over on the worker's thread: the first worker to run out of chunks
    // merges while the other still counts.
    void finish() override { shared_.merge(aggregator_.take_summary()); }

  private:
    // Handing over costs a merge of the rows and their building again from nothing, so it
    // waits until the worker's own rows would be worth the memory: about 10 MiB of them, a
    // bound however many lines the worker takes. The small tables stay: see
    // take_largest_tables.
    static constexpr std::size_t handover_rows = std::size_t{1} << 16;
    Aggregator aggregator_;
    SharedSummary& shared_;
};

// --in-place: each input is replaced by its own records, written through an InPlaceFile.
ExitCode run_reduce_in_place(const ReduceConfig& config) {
    std::unique_ptr<InPlaceFile> file;
    std::unique_ptr<RecordWriter> writer;
    RunPlan plan;
    plan.open_input = [&](const std::string& path) {
        std::string error;
        file = InPlaceFile::open(path, error);
        if (!file) {
            print_error(path + ": " + error);
            return false;
        }
        writer = make_record_writer(config.output_format, file->sink(), config.columns);
        if (config.header) writer->header();
        return true;
    };
    plan.emit = [&](const Record& record) {
        writer->write(record);
        file->drain();
    };
    plan.close_input = [&](const std::string& path, bool accepted) {
        writer.reset();
        bool kept = false;
        if (accepted) {
            std::string error;
            kept = file->commit(error);
            if (!kept) print_error(path + ": " + error);
        } else {
            file->abort();
        }
        file.reset();
        return kept;
    };
    return run_inputs(config.input, plan);
}

}  // namespace

ExitCode run_reduce(const ReduceConfig& config) {
    if (config.in_place) return run_reduce_in_place(config);
    int fd = open_output(config.output_path);
    if (fd < 0) return ExitCode::usage;
    OutputSink sink(fd, fd != STDOUT_FILENO);
    // Piped logging: logrotate moves the file, then sends SIGHUP.
    if (!config.output_path.empty()) sink.reopen_on_hangup(config.output_path);
    const std::string output_name = config.output_path.empty() ? "<stdout>" : config.output_path;
    try {
        std::unique_ptr<RecordWriter> writer =
            make_record_writer(config.output_format, sink, config.columns);
        if (config.header) writer->header();
        RunPlan plan;
        plan.emit = [&](const Record& record) { writer->write(record); };
        plan.finish = [&] { sink.close(); };
        plan.flush = [&] { sink.flush(); };
        // --strict stops at a line in the middle of a chunk, and a live input must not wait
        // for a chunk to fill: only the sequential path can do either.
        bool live = std::any_of(config.input.inputs.begin(), config.input.inputs.end(),
                                [](const std::string& path) { return is_live_input(path); });
        std::vector<std::unique_ptr<ChunkWorker>> workers;
        if (config.input.threads > 1 && !config.input.strict && !live) {
            for (unsigned i = 0; i < config.input.threads; ++i) {
                workers.push_back(std::make_unique<ReduceWorker>(config));
            }
            plan.workers = &workers;
            plan.commit = [&](std::string& output) { sink.append(output); };
        }
        return run_inputs(config.input, plan);
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
    auto reader = LineReader::open(config.detect_path, LineReader::default_max_line, open_error);
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

namespace {

// Summaries from other machines are data, not trusted: bounded in size, checked in full.
constexpr std::size_t summary_max_bytes = std::size_t{1} << 30;

// A LineReader's bytes as a std::istream, for the streaming JSON reader; ends the stream early
// (as if cut off) past summary_max_bytes, and says so in error().
class SummaryBuffer : public std::streambuf {
  public:
    explicit SummaryBuffer(LineReader& reader) : reader_(reader) {}
    std::string error() const {
        if (!reader_.error().empty()) return reader_.error();
        if (too_large_) return "larger than " + std::to_string(summary_max_bytes >> 20) + " MiB";
        return {};
    }

  protected:
    int_type underflow() override {
        if (too_large_) return traits_type::eof();
        std::string_view bytes = reader_.read_some();
        total_ += bytes.size();
        if (bytes.empty() || total_ > summary_max_bytes) {
            too_large_ = total_ > summary_max_bytes;
            return traits_type::eof();
        }
        char* data = const_cast<char*>(bytes.data());
        setg(data, data, data + bytes.size());
        return traits_type::to_int_type(*data);
    }

  private:
    LineReader& reader_;
    std::size_t total_ = 0;
    bool too_large_ = false;
};

// Reads and merges summaries; prints the error and returns nullopt on the first problem.
std::optional<Summary> read_summaries(const std::vector<std::string>& paths) {
    std::optional<Summary> merged;
    for (const std::string& path : paths) {
        const std::string name = display_name(path);
        std::string error;
        std::unique_ptr<LineReader> reader = LineReader::open(path, 64, error);
        if (!reader) {
            print_error(name + ": " + error);
            return std::nullopt;
        }
        SummaryBuffer buffer(*reader);
        std::istream stream(&buffer);
        auto parsed = summary_from_json(stream);
        // A read failure cuts the document short: say why rather than "not valid JSON".
        if (!buffer.error().empty()) {
            print_error(name + ": " + buffer.error());
            return std::nullopt;
        }
        if (auto* message = std::get_if<std::string>(&parsed)) {
            print_error(name + ": " + *message);
            return std::nullopt;
        }
        Summary& summary = std::get<Summary>(parsed);
        if (!merged) {
            merged = std::move(summary);
            continue;
        }
        std::string setting = settings_mismatch(merged->settings, summary.settings);
        if (!setting.empty()) {
            print_error(name + ": made with another " + setting +
                        " than the summaries before it; summaries merge only when every "
                        "setting is equal");
            return std::nullopt;
        }
        if (auto overflow = merged->merge(std::move(summary))) {
            print_error(name + ": " + *overflow);
            return std::nullopt;
        }
    }
    return merged;
}

// Writes with a sink over -o FILE or stdout, mapping output failures to exit statuses.
template <typename Write>
ExitCode write_output(const std::string& path, Write write) {
    int fd = open_output(path);
    if (fd < 0) return ExitCode::usage;
    OutputSink sink(fd, fd != STDOUT_FILENO);
    try {
        write(sink);
        sink.close();
    } catch (const BrokenPipe&) {
    } catch (const OutputError& error) {
        print_error((path.empty() ? std::string("<stdout>") : path) + ": " + error.reason);
        return ExitCode::input_error;
    }
    return ExitCode::ok;
}

}  // namespace

ExitCode run_aggregate(const AggregateConfig& config) {
    Summary summary;
    ExitCode status = ExitCode::ok;
    if (!config.from.empty()) {
        std::optional<Summary> merged = read_summaries(config.from);
        if (!merged) return ExitCode::usage;
        summary = std::move(*merged);
    } else {
        Aggregator aggregator(config.settings, *config.rules, config.site_hosts);
        RunPlan plan;
        plan.emit = [&](const Record& record) { aggregator.add(record); };
        std::vector<std::unique_ptr<ChunkWorker>> workers;
        SharedSummary shared;
        shared.summary.settings = config.settings;
        if (config.input.threads > 1 && !config.input.strict) {
            for (unsigned i = 0; i < config.input.threads; ++i) {
                workers.push_back(std::make_unique<AggregateWorker>(config, shared));
            }
            plan.workers = &workers;
            plan.commit = [](std::string&) {};
        }
        RunState totals;
        status = run_inputs(config.input, plan, &totals);
        if (status == ExitCode::usage) return status;
        shared.merge(aggregator.take_summary());
        if (shared.overflow) {
            print_error(*shared.overflow);
            return ExitCode::input_error;
        }
        summary = std::move(shared.summary);
        summary.lines_read = totals.lines;
        summary.lines_parsed = totals.parsed;
        // The workers' tables, merged and freed, leave free pages behind that glibc would keep
        // for later allocations: give them back before the report.
        ::malloc_trim(0);
    }

    ExitCode written = write_output(config.output_path, [&](OutputSink& sink) {
        if (config.json_summary) {
            write_summary_json(summary, [&](std::string_view piece) { sink.append(piece); });
            return;
        }
        const ReportOptions& options = config.report_options;
        if (config.report != Report::sources) write_downloads_report(summary, options, sink);
        if (config.report == Report::summary && options.format != ReportFormat::json) {
            sink.append('\n');
        }
        if (config.report != Report::downloads) write_sources_report(summary, options, sink);
    });
    return written != ExitCode::ok ? written : status;
}

ExitCode run_merge(const MergeConfig& config) {
    std::optional<Summary> merged = read_summaries(config.inputs);
    if (!merged) return ExitCode::usage;
    return write_output(config.output_path, [&](OutputSink& sink) {
        write_summary_json(*merged, [&](std::string_view piece) { sink.append(piece); });
    });
}

}  // namespace logsift
