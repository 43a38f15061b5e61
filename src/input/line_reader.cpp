// Line reader: cuts an input's decoded bytes into lines inside one large buffer, and hands them
// out one by one, in bulk, mapped, ahead of time or as raw bytes.
#include "logsift/input/line_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace logsift {
namespace {

// One read(2) of this size amortises the system call and the memmove of a partial line.
constexpr std::size_t block_size = std::size_t{1} << 20;

// std::count goes byte by byte here; SSE2 (every x86-64) takes 16 bytes per step.
std::uint64_t count_newlines(std::string_view text) {
    std::uint64_t count = 0;
    std::size_t at = 0;
#ifdef __SSE2__
    const __m128i newline = _mm_set1_epi8('\n');
    const __m128i zero = _mm_setzero_si128();
    while (text.size() - at >= 16) {
        // Byte lanes count up to 255 matches before they would wrap.
        const std::size_t steps = std::min<std::size_t>((text.size() - at) / 16, 255);
        __m128i lanes = zero;
        for (std::size_t step = 0; step < steps; ++step, at += 16) {
            const __m128i bytes =
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + at));
            lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(bytes, newline));
        }
        const __m128i sums = _mm_sad_epu8(lanes, zero);  // two 16-bit sums, one per half
        count += static_cast<std::uint64_t>(_mm_cvtsi128_si32(sums)) +
                 static_cast<std::uint64_t>(_mm_extract_epi16(sums, 4));
    }
#endif
    for (; at < text.size(); ++at)
        count += text[at] == '\n';
    return count;
}

}  // namespace

std::string display_name(const std::string& path) {
    return path == "-" ? "<stdin>" : path;
}

bool is_live_input(const std::string& path) {
    struct stat info {};
    bool known = path == "-" ? ::fstat(STDIN_FILENO, &info) == 0 : ::stat(path.c_str(), &info) == 0;
    return known && !S_ISREG(info.st_mode) && !S_ISBLK(info.st_mode) && !S_ISDIR(info.st_mode);
}

Expected<std::unique_ptr<LineReader>> LineReader::open(const std::string& path,
                                                       std::size_t max_line) {
    std::unique_ptr<ByteSource> raw;
    int fd = STDIN_FILENO;
    if (path == "-") {
        raw = descriptor_source(STDIN_FILENO, false);
    } else {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return input_error(display_name(path), std::strerror(errno));
        raw = descriptor_source(fd, true);
    }
    const off_t start = ::lseek(fd, 0, SEEK_CUR);  // -1 for a pipe
    // Reading the magic bytes here also turns "Is a directory" into an open error.
    Expected<std::string> prefix = read_magic(*raw);
    if (!prefix) return input_error(display_name(path), prefix.error().reason);
    Codec codec = detect_codec(*prefix);
    auto source = prefixed_source(std::move(*prefix), std::move(raw));
    auto reader = std::make_unique<LineReader>(std::move(source), codec, max_line);
    reader->live_ = is_live_input(path);
    struct stat info {};
    if (codec == Codec::plain && start >= 0 && ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
        reader->map_fd_ = fd;
        reader->file_start_ = static_cast<std::uint64_t>(start);
    }
    return reader;
}

std::unique_ptr<LineReader> LineReader::from_bytes(std::string bytes, std::size_t max_line) {
    Codec codec = detect_codec(bytes);
    return std::make_unique<LineReader>(memory_source(std::move(bytes)), codec, max_line);
}

LineReader::LineReader(std::unique_ptr<ByteSource> source, Codec codec, std::size_t max_line)
    : source_(decoding_source(std::move(source), codec)), codec_(codec), max_line_(max_line) {
    // Room for a whole line of max_line bytes plus "\r\n" besides a full block, so a block read
    // always fits behind a pending partial line.
    base_capacity_ = capacity_ = block_size + max_line_ + 2;
    buffer_ = std::make_unique_for_overwrite<char[]>(capacity_);
}

LineReader::~LineReader() = default;

std::string_view LineReader::read_some() {
    if (begin_ == end_ && !fill()) return {};
    const std::string_view bytes(buffer_.get() + begin_, end_ - begin_);
    bytes_read_ += bytes.size();
    begin_ = end_ = 0;
    return bytes;
}

namespace {
// How long a live input may pause within one burst of lines.
constexpr int peek_wait_ms = 200;
}  // namespace

std::string_view LineReader::take_lines(std::size_t max_bytes, std::uint64_t& lines) {
    if (skipping_) return {};
    const char* start = buffer_.get() + begin_;
    const void* last = ::memrchr(start, '\n', std::min(end_ - begin_, max_bytes));
    if (!last) return {};
    const std::string_view taken(start, static_cast<const char*>(last) - start + 1);
    const std::uint64_t count = count_newlines(taken);
    lines += count;
    line_number_ += count;
    bytes_read_ += taken.size();
    begin_ += taken.size();
    return taken;
}

std::optional<MappedLines> LineReader::map_lines(std::size_t max_bytes) {
    // Before the first read, source_ still holds the magic bytes it read from the file.
    if (map_fd_ < 0 || skipping_ || !read_once_ || max_bytes == 0) return {};
    struct stat info {};
    if (::fstat(map_fd_, &info) != 0) return {};
    const std::uint64_t from = file_start_ + bytes_read_;
    const auto file_size = static_cast<std::uint64_t>(info.st_size);
    if (from >= file_size) return {};
    if (!mapped_file_) {
        const int copy = ::fcntl(map_fd_, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) return {};
        mapped_file_ = std::shared_ptr<const int>(new int(copy), [](const int* file) {
            ::close(*file);
            delete file;
        });
    }
    MappingAttempt attempt = map_lines_of(map_fd_, mapped_file_, from, file_size, max_bytes);
    if (attempt.refused) {
        map_fd_ = -1;  // e.g. a file system without mmap: read it
        return {};
    }
    if (attempt.cut_short) {
        error_ = cut_short_reason;
        eof_ = true;
        return {};
    }
    if (!attempt.lines) return {};
    const std::size_t size = attempt.lines->text().size();
    // What the buffer holds from here on was read from the file: drop it and read on after the
    // mapped lines.
    if (::lseek(map_fd_, static_cast<off_t>(from + size), SEEK_SET) < 0) {
        map_fd_ = -1;
        return {};
    }
    begin_ = end_ = 0;
    eof_ = false;
    bytes_read_ += size;
    return std::move(attempt.lines);
}

void LineReader::move_to_buffer(std::size_t capacity) {
    auto buffer = std::make_unique_for_overwrite<char[]>(capacity);
    std::memcpy(buffer.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    buffer_ = std::move(buffer);
    capacity_ = capacity;
}

bool LineReader::fill() {
    if (eof_) return false;
    // peek()'s read-ahead (megabytes, for format detection) is not needed once next() has
    // consumed it: back to the normal buffer, which a long run's peak memory then holds.
    if (!peeking_ && capacity_ > base_capacity_ && end_ - begin_ <= max_line_ + 2) {
        move_to_buffer(base_capacity_);
    }
    if (begin_ > 0) {
        std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == capacity_) return false;
    if (on_wait_ && live_ && !source_->ready(0)) on_wait_();
    Expected<std::size_t> read = source_->read(buffer_.get() + end_, capacity_ - end_);
    if (!read) {
        error_ = read.error().reason.empty() ? "read error" : read.error().reason;
        eof_ = true;
        return false;
    }
    const std::size_t got = *read;
    if (got == 0) {
        eof_ = true;
        return false;
    }
    end_ += got;
    read_once_ = true;
    return true;
}

bool LineReader::next(Line& line) {
    // Where the search for '\n' resumes, relative to begin_, so that a line arriving in many
    // small reads is scanned once.
    std::size_t searched = 0;
    for (;;) {
        char* data = buffer_.get();
        if (skipping_) {
            const void* newline = std::memchr(data + begin_, '\n', end_ - begin_);
            if (newline) {
                std::size_t stop = static_cast<const char*>(newline) - data + 1;
                bytes_read_ += stop - begin_;
                begin_ = stop;
                skipping_ = false;
                searched = 0;
                continue;
            }
            bytes_read_ += end_ - begin_;
            begin_ = end_ = 0;
            if (!fill()) return false;
            continue;
        }

        std::size_t pending = end_ - begin_;
        const void* found = std::memchr(data + begin_ + searched, '\n', pending - searched);
        if (found) {
            std::size_t newline = static_cast<const char*>(found) - data;
            std::size_t length = newline - begin_;
            if (length > 0 && data[newline - 1] == '\r') --length;
            line.number = ++line_number_;
            line.overlong = length > max_line_;
            line.text =
                line.overlong ? std::string_view() : std::string_view(data + begin_, length);
            bytes_read_ += newline + 1 - begin_;
            begin_ = newline + 1;
            return true;
        }
        searched = pending;

        // Without a newline in sight the line is overlong once it holds more than max_line
        // bytes that cannot all be a line end; report it now rather than buffer all of it.
        bool overlong =
            pending > max_line_ + 1 || (pending == max_line_ + 1 && data[end_ - 1] != '\r');
        if (overlong) {
            line.number = ++line_number_;
            line.overlong = true;
            line.text = {};
            bytes_read_ += pending;
            begin_ = end_ = 0;
            skipping_ = true;
            return true;
        }

        if (fill()) continue;
        if (!error_.empty() || begin_ == end_) return false;

        // The last line of the input has no newline; it is a line all the same.
        data = buffer_.get();
        std::size_t length = end_ - begin_;
        if (data[end_ - 1] == '\r') --length;
        line.number = ++line_number_;
        line.overlong = length > max_line_;
        line.text = line.overlong ? std::string_view() : std::string_view(data + begin_, length);
        bytes_read_ += end_ - begin_;
        begin_ = end_;
        return true;
    }
}

std::string_view LineReader::peek(std::size_t max_bytes) {
    // The rest of an overlong line that next() already reported belongs to no line: drop it so
    // the read-ahead starts at the next line.
    while (skipping_) {
        const void* newline = std::memchr(buffer_.get() + begin_, '\n', end_ - begin_);
        if (newline) {
            std::size_t stop = static_cast<const char*>(newline) - buffer_.get() + 1;
            bytes_read_ += stop - begin_;
            begin_ = stop;
            skipping_ = false;
            break;
        }
        bytes_read_ += end_ - begin_;
        begin_ = end_ = 0;
        if (!fill()) return {};
    }
    // Grow once so that the whole read-ahead fits next to the room next() relies on.
    if (capacity_ < begin_ + max_bytes + max_line_ + 2) {
        move_to_buffer(max_bytes + max_line_ + 2 + block_size);
    }
    // A live input (`tail -f access.log | logsift ...`) may send nothing more for hours: once a
    // whole line has arrived, sample what came in its burst rather than wait for max_bytes.
    auto burst_over = [&] {
        if (!live_) return false;
        bool has_line = std::memchr(buffer_.get() + begin_, '\n', end_ - begin_) != nullptr;
        return has_line && !source_->ready(peek_wait_ms);
    };
    peeking_ = true;
    while (end_ - begin_ < max_bytes && !burst_over() && fill()) {
    }
    peeking_ = false;

    const char* start = buffer_.get() + begin_;
    std::size_t available = end_ - begin_;
    bool whole_input = eof_ && error_.empty() && available <= max_bytes;
    std::size_t window = std::min(available, max_bytes);

    // Stop before the first overlong line: the caller wants sample lines, and next() will
    // report that one as overlong anyway.
    std::size_t complete = 0;
    while (complete < window) {
        const void* found = std::memchr(start + complete, '\n', window - complete);
        std::size_t stop = found ? static_cast<const char*>(found) - start + 1 : window;
        if (!found && !whole_input) break;
        std::size_t length = stop - complete - (found ? 1 : 0);
        if (length > 0 && start[complete + length - 1] == '\r') --length;
        if (length > max_line_) break;
        complete = stop;
    }
    return std::string_view(start, complete);
}

}  // namespace logsift
