// The subcommands: each builds a run plan for its records (written out, or counted into a
// summary), hands it to run_inputs (run.hpp), and writes what it kept. merge and --from read
// summaries instead of logs.
#include "logsift/run/pipeline.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <istream>
#include <mutex>
#include <string>
#include <variant>

#include "logsift/aggregate/aggregator.hpp"
#include "logsift/aggregate/summary_json.hpp"
#include "logsift/input/input.hpp"
#include "logsift/output/inplace.hpp"
#include "logsift/output/output.hpp"
#include "logsift/run/run.hpp"

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

// What the workers have handed over so far: rows merged in memory, and runs of rows in
// temporary files. With spilling on, a worker's hand-over goes to a run of its own, sorted and
// written on its thread and never merged into a table of every network: a run's memory then
// does not grow with the networks in its logs. Past rows_in_memory, the merged rows go too.
class SharedSummary {
  public:
    SharedSummary(const SummarySettings& settings, std::size_t rows_in_memory)
        : rows_in_memory_(rows_in_memory) {
        summary_.settings = settings;
    }

    bool spills() const { return rows_in_memory_ != SIZE_MAX; }
    // Rows a worker counts before it hands them over: --rows-in-memory, but never more than
    // about 10 MiB of them.
    std::size_t handover_rows() const { return std::min(rows_in_memory_, std::size_t{1} << 16); }

    // On the worker's thread, with a temporary file of the worker's own.
    void hand_over(Summary&& part, std::shared_ptr<SpillFile>& file) {
        if (spills() && !spill_failed_.load()) {
            try {
                if (!file) file = std::make_shared<SpillFile>();
                part.spill_largest_tables(file, 0);
            } catch (const SpillError& error) {
                stop_spilling(error.what());
            }
        }
        merge(std::move(part));
    }

    void merge(Summary&& part) {
        std::lock_guard lock(mutex_);
        if (overflow_) return;
        overflow_ = summary_.merge(std::move(part));
        if (spill_failed_.load() || summary_.row_count() <= rows_in_memory_) return;
        try {
            if (!file_) file_ = std::make_shared<SpillFile>();
            summary_.spill_largest_tables(file_, rows_in_memory_ / 8);
        } catch (const SpillError& error) {
            spill_failed_ = true;
            spill_error_ = error.what();
        }
    }

    // The summary once every worker is done, or the error that ended counting.
    std::variant<Summary, std::string> finish() {
        if (overflow_) return *overflow_;
        if (spill_failed_) {
            print_warning(spill_error_ + "; the rest of the run was counted in memory");
        }
        return std::move(summary_);
    }
    bool spill_failed() const { return spill_failed_.load(); }

  private:
    void stop_spilling(const std::string& error) {
        std::lock_guard lock(mutex_);
        if (!spill_failed_.exchange(true)) spill_error_ = error;
    }

    const std::size_t rows_in_memory_;
    std::mutex mutex_;
    Summary summary_;
    std::optional<std::string> overflow_;
    std::shared_ptr<SpillFile> file_;
    // Why spilling stopped: the run goes on in memory, and warns at the end.
    std::atomic<bool> spill_failed_{false};
    std::string spill_error_;
};

// Each worker counts into its own Aggregator, without locks, and hands its largest tables over
// once it holds many rows: a summary's memory is mostly one row per network, and the workers'
// tables would otherwise each grow to every network of the log.
class AggregateWorker final : public ChunkWorker {
  public:
    AggregateWorker(const AggregateConfig& config, SharedSummary& shared)
        : aggregator_(config.settings, *config.rules, config.site_hosts), shared_(shared) {}
    void begin(std::string&) override {}
    void add(const Record& record) override { aggregator_.add(record); }
    // Handing over costs the rows' building again from nothing, so it waits for
    // handover_rows(). The small tables stay: see take_largest_tables.
    void end() override {
        const std::size_t rows = shared_.handover_rows();
        if (aggregator_.row_count() >= rows) {
            shared_.hand_over(aggregator_.take_largest_tables(rows / 8), spill_file_);
        }
    }
    // The last rows go over on the worker's thread: the first worker to run out of chunks
    // merges while the other still counts.
    void finish() override { shared_.merge(aggregator_.take_summary()); }

  private:
    Aggregator aggregator_;
    SharedSummary& shared_;
    std::shared_ptr<SpillFile> spill_file_;
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
    } catch (const SpillError& error) {
        print_error(error.what());
        return ExitCode::input_error;
    }
    return ExitCode::ok;
}

}  // namespace

ExitCode run_aggregate(const AggregateConfig& config) {
    Summary summary;
    ExitCode status = ExitCode::ok;
    bool spill_failed = false;
    if (!config.from.empty()) {
        std::optional<Summary> merged = read_summaries(config.from);
        if (!merged) return ExitCode::usage;
        summary = std::move(*merged);
    } else {
        Aggregator aggregator(config.settings, *config.rules, config.site_hosts);
        SharedSummary shared(config.settings, config.rows_in_memory);
        std::shared_ptr<SpillFile> spill_file;
        RunPlan plan;
        std::uint32_t since_check = 0;
        plan.emit = [&](const Record& record) {
            aggregator.add(record);
            // Bounded memory as a worker's: its largest tables go to runs, looked at only now
            // and then (counting the rows walks every table).
            if (shared.spills() && ++since_check == 4096) {
                since_check = 0;
                const std::size_t rows = shared.handover_rows();
                if (aggregator.row_count() >= rows) {
                    shared.hand_over(aggregator.take_largest_tables(rows / 8), spill_file);
                }
            }
        };
        std::vector<std::unique_ptr<ChunkWorker>> workers;
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
        std::variant<Summary, std::string> counted = shared.finish();
        spill_failed = shared.spill_failed();
        if (auto* error = std::get_if<std::string>(&counted)) {
            print_error(*error);
            return ExitCode::input_error;
        }
        summary = std::move(std::get<Summary>(counted));
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
        ReportOptions options = config.report_options;
        // The report sorts in the same directory: warned once is enough.
        if (spill_failed) options.rows_in_memory = SIZE_MAX;
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
