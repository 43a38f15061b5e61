// reduce --k-anonymity from standard input or a pipe: what cannot be read twice is held. Each
// record is counted into its class at once and kept as its class's number and the columns
// outside the quasi-identifier (time, method, resource, status, bytes, agent class); the six
// quasi-identifier columns come back from the class when the period ends and the records are
// written. So a held record, in memory or in the temporary file, holds reduced values only.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "logsift/base/spill.hpp"
#include "logsift/run/k_anonymous.hpp"

namespace logsift {
namespace {

// Read back from memory or from the file, in the order they were held.
constexpr std::size_t read_buffer_bytes = std::size_t{256} << 10;

template <typename Number>
void put(std::string& out, Number value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename Number>
void put_text(std::string& out, std::string_view text) {
    put(out, static_cast<Number>(text.size()));
    out.append(text);
}

// Reads what put and put_text wrote; throws SpillError (through damaged) on bytes no held
// record can have.
class HeldReader {
  public:
    HeldReader(std::string_view bytes, const SpillFile* file) : bytes_(bytes), file_(file) {}
    template <typename Number>
    Number get() {
        Number value;
        need(sizeof value);
        std::memcpy(&value, bytes_.data(), sizeof value);
        bytes_.remove_prefix(sizeof value);
        return value;
    }
    template <typename Number>
    std::string_view get_text() {
        const std::size_t size = get<Number>();
        need(size);
        std::string_view text = bytes_.substr(0, size);
        bytes_.remove_prefix(size);
        return text;
    }

  private:
    void need(std::size_t size) {
        if (bytes_.size() >= size) return;
        if (file_) file_->damaged();
        throw SpillError("held records are damaged");
    }
    std::string_view bytes_;
    const SpillFile* file_;
};

class HeldRecords final : public RunSink {
  public:
    HeldRecords(const ReduceConfig& config, OutputSink& sink, KClasses& classes, KTally& tally)
        : config_(config),
          sink_(sink),
          classes_(classes),
          tally_(tally),
          writer_(make_record_writer(config.output_format, sink, config.columns)) {
        if (config.header) writer_->header();
    }

    void add(const Record& record) override {
        const std::int32_t period = k_period_of(record, classes_.settings());
        if (period != k_no_period) {
            if (open_ != k_no_period && period > open_) write_held();
            if (open_ == k_no_period || period > open_) open_ = period;
        }
        hold(classes_.count(record), record);
    }
    void flush() override { sink_.flush(); }
    void finish() override {
        write_held();
        sink_.close();
    }

  private:
    // [class][flags][status][bytes][time][method][resource][agent class], each text with its
    // length before it, the whole with its length before it (as spill runs frame records).
    void hold(KClassRef ref, const Record& record) {
        record_.clear();
        put(record_, ref);
        put(record_, static_cast<std::uint8_t>((record.status ? 1 : 0) | (record.bytes ? 2 : 0)));
        put(record_, record.status.value_or(0));
        put(record_, record.bytes.value_or(0));
        put_text<std::uint8_t>(record_, record.time);
        put_text<std::uint32_t>(record_, record.method);
        put_text<std::uint32_t>(record_, record.resource);
        put_text<std::uint32_t>(record_, record.agent_class);
        if (memory_.capacity() == 0) {
            memory_.reserve(std::min(config_.k_memory_bytes, std::size_t{64} << 20) + 4096);
        }
        put_text<std::uint32_t>(memory_, record_);
        ++memory_records_;
        if (memory_.size() >= config_.k_memory_bytes) spill();
    }

    void spill() {
        if (!file_) file_ = std::make_shared<SpillFile>();
        const std::uint64_t offset = file_->append(memory_);
        runs_.push_back({file_, offset, memory_.size(), memory_records_});
        memory_.clear();
        memory_records_ = 0;
    }

    // The period has ended: its classes are decided, its records written in the order they
    // came, and everything about it forgotten.
    void write_held() {
        classes_.decide();
        for (const SpillRun& run : runs_) {
            RunReader reader(run, read_buffer_bytes);
            std::string_view bytes;
            while (reader.next(bytes))
                write_one(bytes, run.file.get());
        }
        HeldReader frames(memory_, nullptr);
        for (std::uint64_t i = 0; i < memory_records_; ++i)
            write_one(frames.get_text<std::uint32_t>(), nullptr);
        runs_.clear();
        file_.reset();
        memory_.clear();
        memory_records_ = 0;
        classes_.clear();
    }

    void write_one(std::string_view bytes, const SpillFile* file) {
        HeldReader read(bytes, file);
        Record record;
        const auto ref = read.get<KClassRef>();
        const auto flags = read.get<std::uint8_t>();
        const auto status = read.get<std::uint16_t>();
        const auto sent = read.get<std::uint64_t>();
        if (flags & 1) record.status = status;
        if (flags & 2) record.bytes = sent;
        record.time = read.get_text<std::uint8_t>();
        record.method = read.get_text<std::uint32_t>();
        record.resource = read.get_text<std::uint32_t>();
        record.agent_class = read.get_text<std::uint32_t>();
        if (classes_.generalize(ref, record, tally_)) writer_->write(record);
    }

    const ReduceConfig& config_;
    OutputSink& sink_;
    KClasses& classes_;
    KTally& tally_;
    std::unique_ptr<RecordWriter> writer_;
    std::int32_t open_ = k_no_period;  // the latest period met
    std::string record_;               // one record, framed
    std::string memory_;               // held records, framed, up to k_memory_bytes
    std::uint64_t memory_records_ = 0;
    std::shared_ptr<SpillFile> file_;  // held records beyond, for this period only
    std::vector<SpillRun> runs_;
};

}  // namespace

std::unique_ptr<RunSink> make_held_records(const ReduceConfig& config, OutputSink& sink,
                                           KClasses& classes, KTally& tally) {
    return std::make_unique<HeldRecords>(config, sink, classes, tally);
}

}  // namespace logsift
