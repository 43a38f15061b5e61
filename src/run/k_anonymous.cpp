// reduce --k-anonymity over files: a first pass reduces every line and counts it into its class,
// writing nothing; the classes get their levels; a second pass reduces the lines again and
// writes each record at its class's level (or not at all). Both passes run on threads as plain
// reduce does. With --in-place each file is a run of its own: its replacement must be
// k-anonymous by itself, since it may be published alone.
#include "logsift/run/k_anonymous.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <string>
#include <vector>

#include "logsift/base/spill.hpp"
#include "logsift/input/line_reader.hpp"
#include "logsift/output/inplace.hpp"

namespace logsift {
namespace {

// The first pass: records counted, nothing written.
class CountWorker final : public ChunkWorker {
  public:
    explicit CountWorker(KClasses& classes) : classes_(classes), counter_(classes.counter()) {}
    void begin(std::string&) override {}
    void add(const Record& record) override { classes_.count(record, counter_); }
    void end() override { classes_.flush(counter_); }

  private:
    KClasses& classes_;
    KCounter& counter_;
};

// Workers unless the run must read sequentially (as WrittenRecords in reduce_command.cpp).
bool sequential(const InputConfig& input, unsigned threads) {
    return threads <= 1 || input.strict;
}

class CountedRecords final : public RunSink {
  public:
    CountedRecords(const InputConfig& input, KClasses& classes)
        : input_(input), classes_(classes) {}
    void add(const Record& record) override {
        if (counter_ == nullptr) counter_ = &classes_.counter();
        classes_.count(record, *counter_);
    }
    void finish() override {
        if (counter_ != nullptr) classes_.flush(*counter_);
    }
    std::vector<std::unique_ptr<ChunkWorker>> workers(unsigned threads) override {
        std::vector<std::unique_ptr<ChunkWorker>> workers;
        if (sequential(input_, threads)) return workers;
        for (unsigned i = 0; i < threads; ++i)
            workers.push_back(std::make_unique<CountWorker>(classes_));
        return workers;
    }

  private:
    const InputConfig& input_;
    KClasses& classes_;
    KCounter* counter_ = nullptr;  // the sequential run's
};

// Records of the second pass, copied (their views would not outlive the next line) and written
// a few dozen at a time: each one's slot is asked for from memory as it comes, and has arrived
// by the time the batch is written, instead of one miss after another.
class PrintBatch {
  public:
    void add(const KClasses& classes, const Record& record) {
        if (size_ == 0) text_.clear();
        Copy& copy = copies_[size_++];
        copy.record = record;
        for (std::size_t i = 0; i < texts.size(); ++i) {
            const std::string_view value = record.*texts[i];
            copy.starts[i] = static_cast<std::uint32_t>(text_.size());
            text_.append(value);
        }
        copy.key = classes.key(record);
        classes.prefetch(copy.key);
    }
    bool full() const { return size_ == capacity; }
    // Writes the records that may be printed, generalized, and empties the batch.
    void write(const KClasses& classes, KForms& forms, KTally& tally, RecordWriter& writer) {
        for (std::size_t c = 0; c < size_; ++c) {
            Copy& copy = copies_[c];
            for (std::size_t i = 0; i < texts.size(); ++i) {
                const std::size_t end = i + 1 < texts.size() ? copy.starts[i + 1]
                                        : c + 1 < size_      ? copies_[c + 1].starts[0]
                                                             : text_.size();
                copy.record.*texts[i] =
                    std::string_view(text_).substr(copy.starts[i], end - copy.starts[i]);
            }
            if (classes.generalize(copy.record, copy.key, forms, tally)) writer.write(copy.record);
        }
        size_ = 0;
    }

  private:
    static constexpr std::size_t capacity = 32;
    // What a record writer prints of a record besides its numbers.
    static constexpr std::array<std::string_view Record::*, 10> texts = {
        &Record::time,    &Record::network,       &Record::method,      &Record::resource,
        &Record::agent,   &Record::agent_version, &Record::agent_class, &Record::referrer_host,
        &Record::country, &Record::vhost};
    struct Copy {
        Record record;
        KKey key;
        std::array<std::uint32_t, texts.size()> starts{};
    };
    std::array<Copy, capacity> copies_;
    std::string text_;
    std::size_t size_ = 0;
};

// The second pass, one chunk at a time: each record at its class's level.
class GeneralizeWorker final : public ChunkWorker {
  public:
    GeneralizeWorker(const ReduceConfig& config, const KClasses& classes, KTally& tally)
        : config_(config), classes_(classes), tally_(tally) {}
    void begin(std::string& output) override {
        sink_ = std::make_unique<OutputSink>(output);
        writer_ = make_record_writer(config_.output_format, *sink_, config_.columns);
    }
    void add(const Record& record) override {
        batch_.add(classes_, record);
        if (batch_.full()) batch_.write(classes_, forms_, tally_, *writer_);
    }
    void end() override {
        batch_.write(classes_, forms_, tally_, *writer_);
        sink_->flush();
    }

  private:
    const ReduceConfig& config_;
    const KClasses& classes_;
    KTally& tally_;
    KForms forms_;
    PrintBatch batch_;
    std::unique_ptr<OutputSink> sink_;
    std::unique_ptr<RecordWriter> writer_;
};

// The second pass into one output: sink, or an in-place file's (whose compressor then takes
// what was written, record by record or chunk by chunk).
class GeneralizedRecords final : public RunSink {
  public:
    GeneralizedRecords(const ReduceConfig& config, const InputConfig& input,
                       const KClasses& classes, OutputSink& sink, InPlaceFile* file)
        : config_(config),
          input_(input),
          classes_(classes),
          sink_(sink),
          file_(file),
          writer_(make_record_writer(config.output_format, sink, config.columns)) {
        if (config.header) writer_->header();
    }
    void add(const Record& record) override {
        batch_.add(classes_, record);
        if (batch_.full()) write_batch();
    }
    void finish() override { write_batch(); }
    std::vector<std::unique_ptr<ChunkWorker>> workers(unsigned threads) override {
        std::vector<std::unique_ptr<ChunkWorker>> workers;
        if (sequential(input_, threads)) return workers;
        for (unsigned i = 0; i < threads; ++i) {
            tallies_.emplace_back();
            workers.push_back(
                std::make_unique<GeneralizeWorker>(config_, classes_, tallies_.back()));
        }
        return workers;
    }
    void commit(std::string& output) override {
        sink_.append(output);
        if (file_) file_->drain();
    }
    KTally tally() const {
        KTally total;
        for (const KTally& each : tallies_)
            total += each;
        return total;
    }

  private:
    void write_batch() {
        batch_.write(classes_, forms_, tallies_.front(), *writer_);
        if (file_) file_->drain();
    }

    const ReduceConfig& config_;
    const InputConfig& input_;
    const KClasses& classes_;
    OutputSink& sink_;
    InPlaceFile* file_;
    std::unique_ptr<RecordWriter> writer_;
    KForms forms_;
    PrintBatch batch_;
    std::deque<KTally> tallies_{1};  // the sequential run's, then one per worker
};

// The inputs counted, the classes decided, the inputs written. The second pass says nothing
// the first has said (its statistics, its bad lines, an input it could not open); an input it
// reads differently changed meanwhile, and that is said.
RunResult count_then_write(const ReduceConfig& config, const InputConfig& input, KClasses& classes,
                           OutputSink& sink, InPlaceFile* file, KTally& tally) {
    // The counting pass needs no resource, unless --path asks about it.
    InputConfig counting_input = input;
    counting_input.reduce.resources = input.filter.needs_resource();
    CountedRecords counting(counting_input, classes);
    RunResult counted = run_inputs(counting_input, counting);
    // A format no preset fits, or --strict meeting a bad line: nothing is written.
    if (counted.fault == Fault::usage || (counted.fault && input.strict)) return counted;
    classes.decide();
    classes.seal();

    InputConfig again = input;
    again.quiet = true;
    again.verbose = false;
    GeneralizedRecords writing(config, again, classes, sink, file);
    RunResult written;
    {
        MutedMessages muted;
        written = run_inputs(again, writing);
    }
    const KTally seen = writing.tally();
    tally += seen;
    if ((written.fault && !counted.fault) || written.totals.lines != counted.totals.lines ||
        seen.unknown > 0) {
        print_error(
            "an input read differently the second time (did it change meanwhile?); records the "
            "first reading did not count were left out");
        if (!counted.fault) counted.fault = Fault::input;
    }
    return counted;
}

// A copy of the input settings with --since/--until resolved once, for runs that read the
// inputs several times.
Expected<InputConfig> resolved(const InputConfig& input) {
    Expected<RecordFilter> window = resolve_window(input);
    if (!window) return std::move(window).error();
    InputConfig copy = input;
    copy.filter = std::move(*window);
    copy.since.reset();
    copy.until.reset();
    return copy;
}

// Each file on its own: counted, decided and written into its replacement, which is kept only
// when both passes read it in full (and within --max-bad) and every write succeeded.
ExitCode replace_each(const ReduceConfig& config, const InputConfig& input) {
    KClasses classes(config.k_anonymity);
    KTally tally;
    RunState totals;
    bool usage_failed = false;
    bool input_failed = false;
    for (const std::string& path : input.inputs) {
        const std::string name = display_name(path);
        InputConfig one = input;
        one.inputs = {path};
        one.quiet = true;          // the statistics are said once, for every file
        one.max_bad_fraction = 1;  // and --max-bad judged below, naming the file
        classes.clear();
        Expected<std::unique_ptr<InPlaceFile>> opened = InPlaceFile::open(path);
        if (!opened) {
            report(opened.error());
            input_failed = true;
            continue;
        }
        InPlaceFile& file = **opened;
        KTally file_tally;
        RunResult result;
        bool accepted = true;
        try {
            result = count_then_write(config, one, classes, file.sink(), &file, file_tally);
        } catch (const OutputError& error) {
            print_error(name + ": cannot write its replacement: " + error.reason);
            accepted = false;
        }
        const RunState& state = result.totals;
        totals.lines += state.lines;
        totals.parsed += state.parsed;
        totals.skipped += state.skipped;
        for (const BadLine& bad : state.first_bad) {
            if (totals.first_bad.size() < bad_lines_listed) totals.first_bad.push_back(bad);
        }
        if (accepted && !result.fault && too_many_bad_lines(input, state.lines, state.skipped)) {
            print_error(name + ": " + too_many_bad_text(input, state.lines, state.skipped));
            accepted = false;
        }
        if (result.fault == Fault::usage) usage_failed = true;
        accepted = accepted && !result.fault;
        if (!accepted) {
            file.abort();
            input_failed = true;
            continue;
        }
        if (Expected<void> kept = file.commit(); !kept) {
            report(kept.error());
            input_failed = true;
            continue;
        }
        tally += file_tally;
    }
    print_statistics(input, totals);
    print_k_statistics(config, tally);
    if (usage_failed) return exit_status(Fault::usage);
    return input_failed ? exit_status(Fault::input) : ExitCode::ok;
}

// 1234567 as "1,234,567".
std::string grouped(std::uint64_t number) {
    std::string digits = std::to_string(number);
    for (std::size_t at = digits.size(); at > 3; at -= 3)
        digits.insert(at - 3, ",");
    return digits;
}

}  // namespace

void print_k_statistics(const ReduceConfig& config, const KTally& tally) {
    if (config.input.quiet) return;
    const KSettings& settings = config.k_anonymity;
    const std::string scope = settings.period == KPeriod::all
                                  ? "over the whole run"
                                  : "per " + std::string(k_period_name(settings.period));
    const std::uint64_t all = tally.records;
    print_note("k-anonymity " + std::to_string(settings.k) + " " + scope + ": " +
               percent(tally.network_kept, all) + " of records kept their network, " +
               percent(tally.version_kept, all) + " their full version, " +
               percent(tally.suppressed, all) + " suppressed (" + grouped(tally.suppressed) +
               " of " + grouped(all) + " records)");
    if (!config.input.verbose) return;
    std::string levels = "k-anonymity records per level:";
    for (std::size_t level = 0; level < tally.at_level.size(); ++level)
        levels += " " + std::to_string(level) + ": " + grouped(tally.at_level[level]) + ",";
    print_note(levels + " suppressed: " + grouped(tally.suppressed));
}

ExitCode run_k_anonymous(const ReduceConfig& config) {
    Expected<InputConfig> input = resolved(config.input);
    if (!input) return report(input.error());
    if (config.in_place) return replace_each(config, *input);

    Expected<int> fd = open_output(config.output_path);
    if (!fd) return report(fd.error());
    OutputSink sink(*fd, !config.output_path.empty());
    if (!config.output_path.empty()) sink.reopen_on_hangup(config.output_path);
    const std::string output_name = config.output_path.empty() ? "<stdout>" : config.output_path;
    const std::vector<std::string>& inputs = input->inputs;
    const bool held = std::any_of(inputs.begin(), inputs.end(), [](const std::string& path) {
        return path == "-" || is_live_input(path);
    });
    KClasses classes(config.k_anonymity);
    KTally tally;
    try {
        RunResult result;
        if (held) {
            std::unique_ptr<RunSink> records = make_held_records(config, sink, classes, tally);
            result = run_inputs(*input, *records);
        } else {
            result = count_then_write(config, *input, classes, sink, nullptr, tally);
            sink.close();
        }
        if (result.fault != Fault::usage) print_k_statistics(config, tally);
        return exit_status(result);
    } catch (const BrokenPipe&) {
        return ExitCode::ok;
    } catch (const OutputError& error) {
        return report(output_error(output_name, error.reason));
    } catch (const SpillError& error) {
        return report(output_error({}, error.what()));
    }
}

}  // namespace logsift
