// downloads, sources, summary and merge: records counted into a summary (or summaries read and
// merged instead of logs: merge, --from), then written as reports or as the mergeable JSON.
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "logsift/aggregate/summary_json.hpp"
#include "logsift/base/memory.hpp"
#include "logsift/input/line_reader.hpp"
#include "logsift/input/reader_streambuf.hpp"
#include "logsift/output/output.hpp"
#include "logsift/report/report.hpp"
#include "logsift/run/commands.hpp"
#include "logsift/run/run_inputs.hpp"
#include "logsift/run/shared_summary.hpp"

namespace logsift {
namespace {

// Summaries from other machines are data, not trusted: bounded in size, checked in full.
constexpr std::size_t summary_max_bytes = std::size_t{1} << 30;

// Reads and merges summaries, up to the first problem: an input error when one cannot be read,
// a usage error when one is not a summary or does not merge with those before it.
Expected<Summary> read_summaries(const std::vector<std::string>& paths) {
    std::optional<Summary> merged;
    for (const std::string& path : paths) {
        const std::string name = display_name(path);
        Expected<std::unique_ptr<LineReader>> reader = LineReader::open(path, 64);
        if (!reader) return std::move(reader).error();
        ReaderStreambuf buffer(**reader, summary_max_bytes);
        std::istream stream(&buffer);
        auto parsed = summary_from_json(stream);
        // A read failure cuts the document short: say why rather than "not valid JSON".
        if (!(*reader)->error().empty()) return input_error(name, (*reader)->error());
        if (buffer.too_large()) {
            return usage_error(name,
                               "larger than " + std::to_string(summary_max_bytes >> 20) + " MiB");
        }
        if (!parsed) {
            Error error = std::move(parsed).error();
            error.file = name;
            return error;
        }
        Summary& summary = *parsed;
        if (!merged) {
            merged = std::move(summary);
            continue;
        }
        std::string setting = settings_mismatch(merged->settings, summary.settings);
        if (!setting.empty()) {
            return usage_error(name, "made with another " + setting +
                                         " than the summaries before it; summaries merge only "
                                         "when every setting is equal");
        }
        if (auto added = merged->merge(std::move(summary)); !added) {
            return usage_error(name, std::move(added).error().reason);
        }
    }
    return std::move(*merged);
}

// Writes with a sink over -o FILE or stdout; the status its failures call for.
template <typename Write>
ExitCode write_output(const std::string& path, Write write) {
    Expected<int> fd = open_output(path);
    if (!fd) return report(fd.error());
    OutputSink sink(*fd, !path.empty());
    try {
        write(sink);
        sink.close();
    } catch (const BrokenPipe&) {
    } catch (const OutputError& error) {
        return report(output_error(path.empty() ? std::string("<stdout>") : path, error.reason));
    } catch (const SpillError& error) {
        return report(output_error({}, error.what()));
    }
    return ExitCode::ok;
}

// The records of every input, counted.
class CountedRecords final : public RunSink {
  public:
    CountedRecords(const AggregateConfig& config, SharedSummary& shared)
        : config_(config),
          shared_(shared),
          aggregator_(config.settings, *config.rules, config.site_hosts) {}

    void add(const Record& record) override {
        aggregator_.add(record);
        // Bounded memory as a worker's: its largest tables go to runs, looked at only now and
        // then (counting the rows walks every table).
        if (shared_.spills() && ++since_check_ == 4096) {
            since_check_ = 0;
            const std::size_t rows = shared_.handover_rows();
            if (aggregator_.row_count() >= rows) {
                shared_.hand_over(aggregator_.take_largest_tables(rows / 8), spill_file_);
            }
        }
    }
    std::vector<std::unique_ptr<ChunkWorker>> workers(unsigned threads) override {
        std::vector<std::unique_ptr<ChunkWorker>> workers;
        if (threads <= 1 || config_.input.strict) return workers;
        for (unsigned i = 0; i < threads; ++i)
            workers.push_back(std::make_unique<AggregateWorker>(config_, shared_));
        return workers;
    }
    // What the sequential run counted.
    Summary take_summary() { return aggregator_.take_summary(); }

  private:
    const AggregateConfig& config_;
    SharedSummary& shared_;
    Aggregator aggregator_;
    std::shared_ptr<SpillFile> spill_file_;
    std::uint32_t since_check_ = 0;
};

}  // namespace

ExitCode run_aggregate(const AggregateConfig& config) {
    Summary summary;
    ExitCode status = ExitCode::ok;
    bool spill_failed = false;
    if (!config.from.empty()) {
        Expected<Summary> merged = read_summaries(config.from);
        if (!merged) return report(merged.error());
        summary = std::move(*merged);
    } else {
        SharedSummary shared(config.settings, config.rows_in_memory);
        CountedRecords records(config, shared);
        RunResult result = run_inputs(config.input, records);
        status = exit_status(result);
        if (result.fault == Fault::usage) return status;
        shared.merge(records.take_summary());
        Expected<Summary> counted = shared.finish();
        spill_failed = shared.spill_failed();
        if (!counted) return report(counted.error());
        summary = std::move(*counted);
        summary.lines_read = result.totals.lines;
        summary.lines_parsed = result.totals.parsed;
        return_free_heap_pages();  // before the report, which allocates its own
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
    Expected<Summary> merged = read_summaries(config.inputs);
    if (!merged) return report(merged.error());
    return write_output(config.output_path, [&](OutputSink& sink) {
        write_summary_json(*merged, [&](std::string_view piece) { sink.append(piece); });
    });
}

}  // namespace logsift
