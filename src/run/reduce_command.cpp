// reduce: every record written out as it comes (TSV, CSV, JSON Lines) to stdout or -o FILE,
// formatted per chunk by the workers of a threaded run, or into each input's own replacement
// (--in-place).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "logsift/input/line_reader.hpp"
#include "logsift/output/inplace.hpp"
#include "logsift/output/output.hpp"
#include "logsift/run/commands.hpp"
#include "logsift/run/k_anonymous.hpp"
#include "logsift/run/run_inputs.hpp"

namespace logsift {
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

// The records of every input, to one output.
class WrittenRecords final : public RunSink {
  public:
    WrittenRecords(const ReduceConfig& config, OutputSink& sink)
        : config_(config),
          sink_(sink),
          writer_(make_record_writer(config.output_format, sink, config.columns)) {
        if (config.header) writer_->header();
    }
    void add(const Record& record) override { writer_->write(record); }
    void flush() override { sink_.flush(); }
    // --strict stops at a line in the middle of a chunk, and a live input must not wait for a
    // chunk to fill: only the sequential run can do either.
    std::vector<std::unique_ptr<ChunkWorker>> workers(unsigned threads) override {
        std::vector<std::unique_ptr<ChunkWorker>> workers;
        const std::vector<std::string>& inputs = config_.input.inputs;
        bool live = std::any_of(inputs.begin(), inputs.end(),
                                [](const std::string& path) { return is_live_input(path); });
        if (threads <= 1 || config_.input.strict || live) return workers;
        for (unsigned i = 0; i < threads; ++i)
            workers.push_back(std::make_unique<ReduceWorker>(config_));
        return workers;
    }
    void commit(std::string& output) override { sink_.append(output); }
    void finish() override { sink_.close(); }

  private:
    const ReduceConfig& config_;
    OutputSink& sink_;
    std::unique_ptr<RecordWriter> writer_;
};

// --in-place: each input is replaced by its own records, written through an InPlaceFile.
class ReplacedInputs final : public PerInputSink {
  public:
    explicit ReplacedInputs(const ReduceConfig& config) : config_(config) {}
    Expected<void> open_input(const std::string& path) override {
        Expected<std::unique_ptr<InPlaceFile>> opened = InPlaceFile::open(path);
        if (!opened) return std::move(opened).error();
        file_ = std::move(*opened);
        writer_ = make_record_writer(config_.output_format, file_->sink(), config_.columns);
        if (config_.header) writer_->header();
        return {};
    }
    void add(const Record& record) override {
        writer_->write(record);
        file_->drain();
    }
    Expected<void> close_input(const std::string&, bool accepted) override {
        writer_.reset();
        Expected<void> kept;
        if (accepted) {
            kept = file_->commit();
        } else {
            file_->abort();
        }
        file_.reset();
        return kept;
    }

  private:
    const ReduceConfig& config_;
    std::unique_ptr<InPlaceFile> file_;
    std::unique_ptr<RecordWriter> writer_;
};

}  // namespace

ExitCode run_reduce(const ReduceConfig& config) {
    if (config.k_anonymity.k > 1) return run_k_anonymous(config);
    if (config.in_place) {
        ReplacedInputs replaced(config);
        return exit_status(run_inputs(config.input, replaced));
    }
    Expected<int> fd = open_output(config.output_path);
    if (!fd) return report(fd.error());
    OutputSink sink(*fd, !config.output_path.empty());
    // Piped logging: logrotate moves the file, then sends SIGHUP.
    if (!config.output_path.empty()) sink.reopen_on_hangup(config.output_path);
    const std::string output_name = config.output_path.empty() ? "<stdout>" : config.output_path;
    try {
        WrittenRecords records(config, sink);
        return exit_status(run_inputs(config.input, records));
    } catch (const BrokenPipe&) {
        return ExitCode::ok;  // the reader has what it wanted (`logsift reduce | head`)
    } catch (const OutputError& error) {
        return report(output_error(output_name, error.reason));
    }
}

}  // namespace logsift
