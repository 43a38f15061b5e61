// Input: opens a file or stdin, detects its codec from magic bytes, and yields lines as views
// into a large read buffer. No per-line allocation; a line is valid until the next call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace logsift {

enum class Codec { plain, gzip, bzip2, xz, zstd };

// "plain", "gzip", ...
std::string_view codec_name(Codec codec);

// True when path ("-" is stdin) is a pipe, FIFO, socket or terminal: input that arrives while
// it is read, rather than a file that is all there.
bool is_live_input(const std::string& path);

// Detects the codec from the first bytes of a stream (at least 6 bytes for a sure answer).
Codec detect_codec(std::string_view first_bytes);

struct Line {
    std::string_view text;     // without the line end; a trailing '\r' is removed too
    std::uint64_t number = 0;  // 1-based
    bool overlong = false;     // longer than max_line: text is empty, the rest is skipped
};

// Reads bytes from a raw source (a file descriptor) through a decompressor when needed.
class ByteSource {
  public:
    virtual ~ByteSource() = default;
    // Reads up to size bytes; returns 0 at end of input. Throws InputError when the data
    // cannot be read or decoded.
    virtual std::size_t read(char* data, std::size_t size) = 0;
    // False when a read would wait longer than wait_ms for data that has not arrived (a quiet
    // pipe); sources that cannot tell say true.
    virtual bool ready(int wait_ms) { return wait_ms >= 0; }
};

struct InputError {
    std::string reason;  // e.g. "not a valid gzip stream", strerror text; never data
};

// Whole lines of a plain file, mapped read-only instead of copied, for readers that hand lines
// to other threads. The mapping goes with the object.
class MappedLines {
  public:
    MappedLines(MappedLines&& other) noexcept;
    MappedLines& operator=(MappedLines&& other) noexcept;
    MappedLines(const MappedLines&) = delete;
    MappedLines& operator=(const MappedLines&) = delete;
    ~MappedLines();

    std::string_view text() const { return text_; }  // each line ends in '\n' ('\r' kept)
    // True when the file is now shorter than these lines reach: the bytes past its end read as
    // zeros (see mapped_read_faults), so the lines were not what the file held.
    bool cut_short() const;

  private:
    friend class LineReader;
    MappedLines(void* base, std::size_t size, std::string_view text,
                std::shared_ptr<const int> file, std::uint64_t end_offset)
        : base_(base), size_(size), text_(text), file_(std::move(file)), end_offset_(end_offset) {}

    void* base_ = nullptr;
    std::size_t size_ = 0;
    std::string_view text_;
    std::shared_ptr<const int> file_;  // a descriptor of the file, closed with the last user
    std::uint64_t end_offset_ = 0;
};

// How many times a mapped input's page could not be read: the file shrank under the mapping
// (logrotate's copytruncate) or its device failed. Such a page reads as zeros rather than
// ending the process with SIGBUS; callers compare the count before and after reading a
// mapping and then ask MappedLines::cut_short.
std::uint64_t mapped_read_faults();
// What to say of a file that got shorter while it was mapped (after its name).
extern const char* const cut_short_reason;

class LineReader {
  public:
    static constexpr std::size_t default_max_line = 65536;

    // Opens path, or stdin when path is "-". On failure returns nullptr and sets error to a
    // reason without the file name (the caller names the file).
    static std::unique_ptr<LineReader> open(const std::string& path, std::size_t max_line,
                                            std::string& error);
    // For tests: reads from an in-memory byte string (compressed or not).
    static std::unique_ptr<LineReader> from_bytes(std::string bytes, std::size_t max_line,
                                                  std::string& error);

    LineReader(std::unique_ptr<ByteSource> source, Codec codec, std::size_t max_line);
    ~LineReader();

    // Next line; false at end of input or on a read/decode error (then error() is non-empty).
    bool next(Line& line);

    // Consumes the complete lines already buffered, up to max_bytes, as one view with their
    // line ends ('\r' too), and adds their count to lines; empty when no complete line is
    // buffered (next() then reads on). Lines are numbered as next() would number them, but not
    // checked against max_line: the caller does that. For callers that copy lines in bulk.
    std::string_view take_lines(std::size_t max_bytes, std::uint64_t& lines);

    // For a plain regular file: the complete lines from here on, up to max_bytes of them, as a
    // mapping of the file rather than a copy, and the reader moved past them (next() and
    // take_lines() read on after them). The lines are not counted: Line::number goes on from
    // the lines read before. nullopt, the reader unmoved, when the input cannot be mapped (a
    // pipe, compressed, mmap refused), at the end of the file, or when no line ends within
    // max_bytes (an overlong line, or a last line without a newline): next() takes those.
    std::optional<MappedLines> map_lines(std::size_t max_bytes);

    // Reads ahead up to max_bytes (or to end of input) without consuming: returns the complete
    // lines ahead, line ends included, stopping before the first overlong one (so an overlong
    // next line gives an empty view while input remains). May be called between next() calls;
    // the view is valid until the next call.
    std::string_view peek(std::size_t max_bytes);

    // The next bytes not yet consumed, whatever lines they hold, reading more when none are
    // buffered; empty at end of input or when reading fails (error() says why). For whole
    // documents such as JSON summaries, parsed as a stream. Valid until the next call.
    std::string_view read_some();

    // For live inputs (pipes, FIFOs, terminals): called before each read that may wait, so
    // that the records of lines already read can be written out first.
    void on_wait(std::function<void()> callback) { on_wait_ = std::move(callback); }
    // True when the input is a pipe, FIFO, socket or terminal rather than a file.
    bool live() const { return live_; }

    const std::string& error() const { return error_; }
    Codec codec() const { return codec_; }
    std::uint64_t bytes_read() const { return bytes_read_; }

  private:
    bool fill();                                // reads more into buffer_; false at end or error
    void move_to_buffer(std::size_t capacity);  // a new buffer_, holding the unconsumed bytes

    std::unique_ptr<ByteSource> source_;
    // For map_lines: the descriptor source_ reads a plain regular file from (-1 otherwise),
    // the file offset of the input's first byte (stdin may start anywhere in a file), and a
    // descriptor of the same file for the mappings, which may outlive this reader.
    int map_fd_ = -1;
    std::uint64_t file_start_ = 0;
    std::shared_ptr<const int> mapped_file_;
    bool read_once_ = false;
    Codec codec_;
    std::size_t max_line_;
    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_ = 0;
    std::size_t base_capacity_ = 0;  // capacity_ outside peek()'s read-ahead
    bool peeking_ = false;
    std::size_t begin_ = 0;  // first unconsumed byte
    std::size_t end_ = 0;    // one past the last valid byte
    bool eof_ = false;
    bool skipping_ = false;  // inside an overlong line, discarding up to its newline
    std::uint64_t line_number_ = 0;
    std::uint64_t bytes_read_ = 0;
    bool live_ = false;
    std::function<void()> on_wait_;
    std::string error_;
};

}  // namespace logsift
