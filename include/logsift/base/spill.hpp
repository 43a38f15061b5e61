// Spill: how a summary keeps its memory bounded however many networks a log has. Rows past a
// budget go to an unnamed temporary file as sorted runs, and are read back merged when the
// summary is written. Runs hold what a JSON summary holds (truncated networks, hosts, agents,
// sketches of hashed clients), never a raw value, and the file vanishes with the process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace logsift {

// A temporary file could not be made, written or read; the message names the directory and
// the reason.
struct SpillError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// An unnamed file in $TMPDIR (or /tmp), readable only by its owner, that only grows: written at
// its end, read anywhere.
class SpillFile {
  public:
    SpillFile();
    ~SpillFile();
    SpillFile(const SpillFile&) = delete;
    SpillFile& operator=(const SpillFile&) = delete;

    // Where the bytes start.
    std::uint64_t append(std::string_view bytes);
    void read_at(std::uint64_t offset, char* into, std::size_t size) const;
    // Throws the SpillError for bytes that read back as no record this process wrote.
    [[noreturn]] void damaged() const;

  private:
    std::string directory_;  // for messages
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

// Records one after another, each a 4-byte length and its bytes, in one stretch of a file.
struct SpillRun {
    std::shared_ptr<SpillFile> file;
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
    std::uint64_t records = 0;
};

// Writes a run through a buffer of buffer_bytes (more for a record that needs it).
class RunWriter {
  public:
    explicit RunWriter(std::shared_ptr<SpillFile> file) : file_(std::move(file)) {}
    void add(std::string_view record);
    SpillRun finish();

  private:
    static constexpr std::size_t buffer_bytes = std::size_t{256} << 10;
    void flush();
    std::shared_ptr<SpillFile> file_;
    std::string buffer_;
    std::uint64_t offset_ = 0;
    std::uint64_t size_ = 0;
    std::uint64_t records_ = 0;
    bool started_ = false;
};

// Reads a run's records in order through a buffer of buffer_bytes (more when one record needs
// it): a merge of many runs keeps one reader per run.
class RunReader {
  public:
    RunReader(SpillRun run, std::size_t buffer_bytes);
    // The next record, valid until the next call; false at the run's end.
    bool next(std::string_view& record);
    [[noreturn]] void damaged() const { run_.file->damaged(); }

  private:
    // At least size unread bytes in the buffer.
    void fill(std::size_t size);
    SpillRun run_;
    std::uint64_t read_ = 0;  // bytes of the run read into the buffer so far
    std::string buffer_;
    std::size_t begin_ = 0, end_ = 0;  // unread bytes of the buffer
    std::size_t buffer_bytes_;
};

}  // namespace logsift
