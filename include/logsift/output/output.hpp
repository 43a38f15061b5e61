// Output: a buffered sink over a file descriptor, and the record writers (TSV, CSV, JSON Lines).
// A broken pipe is reported as BrokenPipe so the run can end quietly with status 0.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/base/error.hpp"
#include "logsift/base/record.hpp"

namespace logsift {

struct BrokenPipe {};
struct OutputError {
    std::string reason;  // strerror text, e.g. "No space left on device"
};

class OutputSink {
  public:
    // Writes to fd (not owned unless owns_fd). Throws BrokenPipe or OutputError on failure.
    explicit OutputSink(int fd, bool owns_fd = false, std::size_t buffer_size = 1 << 20);
    // Collects into memory instead: flush() appends to memory (for records that a worker
    // thread formats ahead of their turn to be written).
    explicit OutputSink(std::string& memory, std::size_t buffer_size = 64 << 10);
    ~OutputSink();
    OutputSink(const OutputSink&) = delete;
    OutputSink& operator=(const OutputSink&) = delete;

    void append(std::string_view bytes) {
        if (bytes.size() > capacity_ - used_) {
            append_slow(bytes);
            return;
        }
        // An empty view may hold a null pointer, which memcpy must not see even for 0 bytes.
        if (bytes.empty()) return;
        std::memcpy(buffer_.get() + used_, bytes.data(), bytes.size());
        used_ += bytes.size();
    }
    void append(char c) {
        if (used_ == capacity_) flush();
        buffer_[used_++] = c;
    }
    // Room for size more bytes (flushing first when the buffer has less), or nullptr when the
    // whole buffer is smaller: for writers that know a bound and then fill in place, telling
    // what they wrote with commit(end).
    char* reserve(std::size_t size) {
        if (size > capacity_ - used_) {
            flush();
            if (size > capacity_) return nullptr;
        }
        return buffer_.get() + used_;
    }
    void commit(const char* end) { used_ = static_cast<std::size_t>(end - buffer_.get()); }
    void flush();
    // After SIGHUP (see base/signals.hpp), the next flush() writes what is buffered to the old
    // file, then opens path again (created if missing) and writes on there. Only for -o FILE.
    void reopen_on_hangup(std::string path) { reopen_path_ = std::move(path); }
    // flush() and, when the sink owns its descriptor, close it (reporting its errors).
    void close();

  private:
    void append_slow(std::string_view bytes);
    int fd_;
    bool owns_fd_;
    std::string* memory_ = nullptr;
    std::string reopen_path_;
    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_;
    std::size_t used_ = 0;
};

// Opens -o FILE for writing (created, or truncated), or stdout when path is empty; an output
// error naming the file when it cannot.
Expected<int> open_output(const std::string& path);

enum class RecordFormat { tsv, csv, jsonl };

class RecordWriter {
  public:
    virtual ~RecordWriter() = default;
    virtual void header() = 0;  // no-op for JSON Lines
    virtual void write(const Record& record) = 0;
};

// columns: which columns, in which order.
std::unique_ptr<RecordWriter> make_record_writer(RecordFormat format, OutputSink& sink,
                                                 std::vector<Column> columns);

// Escaping helpers, exposed for tests and for the report writers.
// TSV: \t \n \r \\ written as backslash escapes, so one record is one line.
void append_tsv_field(OutputSink& sink, std::string_view value);
// CSV (RFC 4180): quoted when it holds , " \r \n or starts with a space; "" for a quote.
// \r and \n inside are written as the two characters \r and \n so one record is one line.
void append_csv_field(OutputSink& sink, std::string_view value);
// JSON string with quotes; control characters escaped; invalid UTF-8 bytes as \u00XX of
// their Latin-1 reading so that every line stays valid JSON.
void append_json_string(OutputSink& sink, std::string_view value);

}  // namespace logsift
