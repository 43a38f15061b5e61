// Line reader: opens a file or stdin, detects its codec from magic bytes, and yields lines as
// views into a large read buffer. No per-line allocation; a line is valid until the next call.
// Besides line by line (next), its bytes can be consumed as buffered lines in bulk
// (take_lines), as mapped lines (map_lines), looked at ahead (peek), or read whole (read_some).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "logsift/base/error.hpp"
#include "logsift/input/codec.hpp"
#include "logsift/input/mapped_lines.hpp"

namespace logsift {

// How messages name an input: its path, or <stdin> for "-".
std::string display_name(const std::string& path);

// True when path ("-" is stdin) is a pipe, FIFO, socket or terminal: input that arrives while
// it is read, rather than a file that is all there.
bool is_live_input(const std::string& path);

struct Line {
    std::string_view text;     // without the line end; a trailing '\r' is removed too
    std::uint64_t number = 0;  // 1-based
    bool overlong = false;     // longer than max_line: text is empty, the rest is skipped
};

class LineReader {
  public:
    static constexpr std::size_t default_max_line = 65536;

    // Opens path, or stdin when path is "-"; an input error naming the file when it cannot.
    static Expected<std::unique_ptr<LineReader>> open(const std::string& path,
                                                      std::size_t max_line);
    // For tests: reads from an in-memory byte string (compressed or not).
    static std::unique_ptr<LineReader> from_bytes(std::string bytes, std::size_t max_line);

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

    // Why reading stopped early (a reason without the file name), empty while all is well.
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
