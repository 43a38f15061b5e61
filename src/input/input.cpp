// Input: byte sources (file descriptor, memory, ISA-L's inflate for gzip, Boost.Iostreams for
// the other codecs) and the line reader that cuts their bytes into lines inside one large
// buffer. Decoder errors stop here and become InputError / error() text that never quotes the
// data.
#include "logsift/input/input.hpp"

#include "logsift/base/diag.hpp"

#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <boost/iostreams/categories.hpp>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filter/zstd.hpp>
#include <boost/iostreams/filtering_streambuf.hpp>
#include <cerrno>
#include <cstring>
#include <exception>
#include <ios>
#include <limits>
#include <mutex>
#include <string>
#include <utility>

namespace logsift {
namespace {

// One read(2) of this size amortises the system call and the memmove of a partial line.
constexpr std::size_t block_size = std::size_t{1} << 20;
// Boost's own defaults (4 KiB, 128 B for filters) cost a virtual call every few bytes.
constexpr std::streamsize boost_buffer_size = std::streamsize{1} << 16;
// The longest magic number we recognise (xz).
constexpr std::size_t magic_size = 6;

class FdSource final : public ByteSource {
  public:
    FdSource(int fd, bool owns_fd) : fd_(fd), owns_fd_(owns_fd) {}
    ~FdSource() override {
        if (owns_fd_) ::close(fd_);
    }
    FdSource(const FdSource&) = delete;
    FdSource& operator=(const FdSource&) = delete;

    std::size_t read(char* data, std::size_t size) override {
        for (;;) {
            if (terminate_requested) return 0;  // SIGTERM: end here, as at end of input
            ssize_t got = ::read(fd_, data, size);
            if (got >= 0) return static_cast<std::size_t>(got);
            if (errno != EINTR) throw InputError{std::strerror(errno)};
        }
    }

    bool ready(int wait_ms) override {
        pollfd waiting{fd_, POLLIN, 0};
        return ::poll(&waiting, 1, wait_ms) != 0;  // an error shows itself on the read
    }

  private:
    int fd_;
    bool owns_fd_;
};

class MemorySource final : public ByteSource {
  public:
    explicit MemorySource(std::string bytes) : bytes_(std::move(bytes)) {}

    std::size_t read(char* data, std::size_t size) override {
        std::size_t n = std::min(size, bytes_.size() - offset_);
        std::memcpy(data, bytes_.data() + offset_, n);
        offset_ += n;
        return n;
    }

  private:
    std::string bytes_;
    std::size_t offset_ = 0;
};

// Hands back the bytes read to detect the codec, then continues with the rest of the stream, so
// that detection works on pipes, which cannot seek back.
class PrefixedSource final : public ByteSource {
  public:
    PrefixedSource(std::string prefix, std::unique_ptr<ByteSource> rest)
        : prefix_(std::move(prefix)), rest_(std::move(rest)) {}

    std::size_t read(char* data, std::size_t size) override {
        if (offset_ < prefix_.size()) {
            std::size_t n = std::min(size, prefix_.size() - offset_);
            std::memcpy(data, prefix_.data() + offset_, n);
            offset_ += n;
            return n;
        }
        return rest_->read(data, size);
    }

    bool ready(int wait_ms) override { return offset_ < prefix_.size() || rest_->ready(wait_ms); }

  private:
    std::string prefix_;
    std::size_t offset_ = 0;
    std::unique_ptr<ByteSource> rest_;
};

// Boost 1.74's zstd decompressor ends quietly when the input stops inside a frame, so a cut
// .zst file would pass for a whole one. This walks the frame layout (RFC 8878: headers and
// block sizes only, contents skipped unread) as the bytes go by and reports a stream that ends
// anywhere but between frames. Damage inside a block is left to zstd, which detects it.
class ZstdFrameCheck final : public ByteSource {
  public:
    explicit ZstdFrameCheck(std::unique_ptr<ByteSource> raw) : raw_(std::move(raw)) {}

    std::size_t read(char* data, std::size_t size) override {
        std::size_t got = raw_->read(data, size);
        if (got == 0 && !between_frames()) throw InputError{"zstd data is truncated or corrupt"};
        walk(reinterpret_cast<const unsigned char*>(data), got);
        return got;
    }

  private:
    enum class Step { magic, skippable_size, descriptor, block_header, unknown };

    bool between_frames() const {
        return step_ == Step::unknown || (step_ == Step::magic && have_ == 0 && skip_ == 0);
    }

    void walk(const unsigned char* data, std::size_t size) {
        while (size > 0 && step_ != Step::unknown) {
            if (skip_ > 0) {
                std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, size));
                skip_ -= n;
                data += n;
                size -= n;
                continue;
            }
            std::size_t n = std::min(need_ - have_, size);
            std::memcpy(field_ + have_, data, n);
            have_ += n;
            data += n;
            size -= n;
            if (have_ == need_) {
                have_ = 0;
                on_field();
            }
        }
    }

    void expect(Step step, std::size_t bytes) {
        step_ = step;
        need_ = bytes;
    }

    void on_field() {
        std::uint32_t value = 0;
        for (std::size_t i = need_; i > 0; --i)
            value = value << 8 | field_[i - 1];
        switch (step_) {
            case Step::magic:
                if (value == 0xfd2fb528u) {
                    expect(Step::descriptor, 1);
                } else if ((value & 0xfffffff0u) == 0x184d2a50u) {
                    expect(Step::skippable_size, 4);
                } else {
                    step_ = Step::unknown;  // not a frame: zstd itself will say so
                }
                break;
            case Step::skippable_size:
                skip_ = value;
                expect(Step::magic, 4);
                break;
            case Step::descriptor: {
                static constexpr unsigned dictionary_id_size[] = {0, 1, 2, 4};
                static constexpr unsigned content_size_size[] = {0, 2, 4, 8};
                bool single_segment = (value >> 5) & 1;
                unsigned content_size_flag = value >> 6;
                checksum_ = (value >> 2) & 1;
                skip_ = (single_segment ? 0 : 1) + dictionary_id_size[value & 3] +
                        (content_size_flag == 0 && single_segment
                             ? 1
                             : content_size_size[content_size_flag]);
                expect(Step::block_header, 3);
                break;
            }
            case Step::block_header: {
                bool last = value & 1;
                unsigned type = (value >> 1) & 3;
                std::uint32_t stored_size = value >> 3;
                if (type == 3) {
                    step_ = Step::unknown;  // reserved block type: corrupt, zstd reports it
                    break;
                }
                skip_ = type == 1 ? 1 : stored_size;  // an RLE block stores one byte
                if (last) {
                    if (checksum_) skip_ += 4;
                    expect(Step::magic, 4);
                }
                break;
            }
            case Step::unknown:
                break;
        }
    }

    std::unique_ptr<ByteSource> raw_;
    Step step_ = Step::magic;
    unsigned char field_[4] = {};
    std::size_t need_ = 4;
    std::size_t have_ = 0;
    std::uint64_t skip_ = 0;
    bool checksum_ = false;
};

// Boost copies devices, so this one only points at the source and the error slot that the
// owner keeps alive. A read error ends the stream here instead of unwinding through Boost,
// which would drop the data already decoded in the same call; the owner reports the error.
class DeviceAdapter {
  public:
    using char_type = char;
    using category = boost::iostreams::source_tag;

    DeviceAdapter(ByteSource* source, std::string* error) : source_(source), error_(error) {}

    std::streamsize read(char* data, std::streamsize size) {
        if (!error_->empty()) return -1;
        try {
            std::size_t got = source_->read(data, static_cast<std::size_t>(size));
            return got == 0 ? -1 : static_cast<std::streamsize>(got);
        } catch (const InputError& failure) {
            *error_ = failure.reason.empty() ? "read error" : failure.reason;
            return -1;
        }
    }

  private:
    ByteSource* source_;
    std::string* error_;
};

// gzip through ISA-L's inflate, which decodes about five times faster than zlib on x86-64: a
// nightly .gz costs little more than its plain copy. Reads every member of a concatenated
// file, checks each member's CRC and length, and returns every byte decoded before damage;
// the error comes on the call after.
class GzipSource final : public ByteSource {
  public:
    explicit GzipSource(std::unique_ptr<ByteSource> raw)
        : raw_(std::move(raw)),
          input_(std::make_unique<std::uint8_t[]>(input_size)),
          state_(std::make_unique<inflate_state>()) {
        start_member();
    }

    std::size_t read(char* data, std::size_t size) override {
        if (!deferred_.empty()) throw InputError{deferred_};
        std::size_t total = 0;
        while (total < size && !finished_) {
            if (state_->avail_in == 0 && !raw_ended_) refill();
            if (member_done_) {
                if (state_->avail_in == 0) {
                    if (!raw_ended_) continue;
                    if (!raw_error_.empty()) deferred_ = raw_error_;
                    finished_ = true;
                    break;
                }
                start_member();
            }
            state_->next_out = reinterpret_cast<std::uint8_t*>(data + total);
            state_->avail_out = static_cast<std::uint32_t>(
                std::min<std::size_t>(size - total, std::numeric_limits<std::uint32_t>::max()));
            const std::uint32_t room = state_->avail_out;
            const std::uint32_t unread = state_->avail_in;
            const int status = isal_inflate(state_.get());
            const std::size_t produced = room - state_->avail_out;
            total += produced;
            if (status < 0) {
                deferred_ = corrupt;
                break;
            }
            if (state_->block_state == ISAL_BLOCK_FINISH) {
                member_done_ = true;
            } else if (produced == 0 && state_->avail_in == unread && (unread != 0 || raw_ended_)) {
                // No progress: the member was cut, or the decoder cannot use what is left.
                deferred_ = raw_error_.empty() ? corrupt : raw_error_;
                break;
            }
        }
        if (total == 0 && !deferred_.empty()) throw InputError{deferred_};
        return total;
    }

  private:
    static constexpr std::size_t input_size = std::size_t{1} << 18;
    static constexpr const char* corrupt = "gzip data is truncated or corrupt";

    void start_member() {
        // Keeps the unread input: the next member may already be in the buffer.
        std::uint8_t* next_in = state_->next_in;
        std::uint32_t avail_in = state_->avail_in;
        isal_inflate_init(state_.get());
        state_->crc_flag = ISAL_GZIP;
        state_->next_in = next_in;
        state_->avail_in = avail_in;
        member_done_ = false;
    }

    // A read error ends the compressed bytes here; the caller reports it once the bytes
    // decoded before it are out.
    void refill() {
        std::size_t got = 0;
        try {
            got = raw_->read(reinterpret_cast<char*>(input_.get()), input_size);
        } catch (const InputError& failure) {
            raw_error_ = failure.reason.empty() ? "read error" : failure.reason;
        }
        state_->next_in = input_.get();
        state_->avail_in = static_cast<std::uint32_t>(got);
        raw_ended_ = got == 0;
    }

    std::unique_ptr<ByteSource> raw_;
    std::unique_ptr<std::uint8_t[]> input_;
    std::unique_ptr<inflate_state> state_;
    std::string raw_error_;
    std::string deferred_;
    bool raw_ended_ = false;
    bool member_done_ = false;
    bool finished_ = false;
};

class DecompressingSource final : public ByteSource {
  public:
    DecompressingSource(std::unique_ptr<ByteSource> raw, Codec codec)
        : raw_(codec == Codec::zstd ? std::make_unique<ZstdFrameCheck>(std::move(raw))
                                    : std::move(raw)),
          codec_(codec) {
        namespace io = boost::iostreams;
        switch (codec) {
            case Codec::bzip2:
                stream_.push(io::bzip2_decompressor(false, boost_buffer_size));
                break;
            case Codec::xz:
                stream_.push(io::lzma_decompressor(io::lzma_params(), boost_buffer_size));
                break;
            case Codec::zstd:
                stream_.push(io::zstd_decompressor(io::zstd_params(), boost_buffer_size));
                break;
            case Codec::gzip:  // GzipSource
            case Codec::plain:
                break;
        }
        stream_.push(DeviceAdapter(raw_.get(), &raw_error_), boost_buffer_size);
    }

    // Copies only what the decompressor has already produced, one buffer at a time, so that
    // when the data turns out damaged every byte before the damage still reaches the caller;
    // the error is raised on the call after.
    std::size_t read(char* data, std::size_t size) override {
        if (!deferred_.empty()) throw InputError{deferred_};
        std::size_t total = 0;
        try {
            while (total < size) {
                if (stream_.sgetc() == std::char_traits<char>::eof()) {
                    deferred_ = raw_error_;  // an early end caused by a read error
                    break;
                }
                std::streamsize ready = std::max<std::streamsize>(stream_.in_avail(), 1);
                std::streamsize wanted =
                    std::min(ready, static_cast<std::streamsize>(size - total));
                std::streamsize got = stream_.sgetn(data + total, wanted);
                if (got <= 0) break;
                total += static_cast<std::size_t>(got);
            }
        } catch (const std::exception&) {
            // A read error of the file itself says more than "corrupt"; Boost's own messages
            // name zlib/lzma internals, while the user needs the file's state.
            deferred_ = !raw_error_.empty()
                            ? raw_error_
                            : std::string(codec_name(codec_)) + " data is truncated or corrupt";
        }
        if (total == 0 && !deferred_.empty()) throw InputError{deferred_};
        return total;
    }

  private:
    std::unique_ptr<ByteSource> raw_;
    Codec codec_;
    std::string raw_error_;  // why the compressed bytes stopped, when they did not just end
    std::string deferred_;   // an error met after some bytes were already returned
    boost::iostreams::filtering_streambuf<boost::iostreams::input> stream_;
};

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

std::string read_magic(ByteSource& source) {
    std::string prefix(magic_size, '\0');
    std::size_t have = 0;
    while (have < magic_size) {
        std::size_t got = source.read(prefix.data() + have, magic_size - have);
        if (got == 0) break;
        have += got;
    }
    prefix.resize(have);
    return prefix;
}

}  // namespace

std::string_view codec_name(Codec codec) {
    switch (codec) {
        case Codec::plain:
            return "plain";
        case Codec::gzip:
            return "gzip";
        case Codec::bzip2:
            return "bzip2";
        case Codec::xz:
            return "xz";
        case Codec::zstd:
            return "zstd";
    }
    return "plain";
}

Codec detect_codec(std::string_view first_bytes) {
    auto starts = [&](std::string_view magic) { return first_bytes.starts_with(magic); };
    if (starts("\x1f\x8b")) return Codec::gzip;
    if (starts("BZh")) return Codec::bzip2;
    if (starts(std::string_view("\xfd"
                                "7zXZ\0",
                                6)))
        return Codec::xz;
    if (starts("\x28\xb5\x2f\xfd")) return Codec::zstd;
    return Codec::plain;
}

bool is_live_input(const std::string& path) {
    struct stat info {};
    bool known = path == "-" ? ::fstat(STDIN_FILENO, &info) == 0 : ::stat(path.c_str(), &info) == 0;
    return known && !S_ISREG(info.st_mode) && !S_ISBLK(info.st_mode) && !S_ISDIR(info.st_mode);
}

std::unique_ptr<LineReader> LineReader::open(const std::string& path, std::size_t max_line,
                                             std::string& error) {
    std::unique_ptr<ByteSource> raw;
    int fd = STDIN_FILENO;
    if (path == "-") {
        raw = std::make_unique<FdSource>(STDIN_FILENO, false);
    } else {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            error = std::strerror(errno);
            return nullptr;
        }
        raw = std::make_unique<FdSource>(fd, true);
    }
    const off_t start = ::lseek(fd, 0, SEEK_CUR);  // -1 for a pipe
    // Reading the magic bytes here also turns "Is a directory" into an open error.
    std::string prefix;
    try {
        prefix = read_magic(*raw);
    } catch (const InputError& failure) {
        error = failure.reason;
        return nullptr;
    }
    Codec codec = detect_codec(prefix);
    auto source = std::make_unique<PrefixedSource>(std::move(prefix), std::move(raw));
    auto reader = std::make_unique<LineReader>(std::move(source), codec, max_line);
    reader->live_ = is_live_input(path);
    struct stat info {};
    if (codec == Codec::plain && start >= 0 && ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
        reader->map_fd_ = fd;
        reader->file_start_ = static_cast<std::uint64_t>(start);
    }
    return reader;
}

std::unique_ptr<LineReader> LineReader::from_bytes(std::string bytes, std::size_t max_line,
                                                   std::string& error) {
    error.clear();
    Codec codec = detect_codec(bytes);
    return std::make_unique<LineReader>(std::make_unique<MemorySource>(std::move(bytes)), codec,
                                        max_line);
}

LineReader::LineReader(std::unique_ptr<ByteSource> source, Codec codec, std::size_t max_line)
    : codec_(codec), max_line_(max_line) {
    if (codec == Codec::plain) {
        source_ = std::move(source);  // the fast path: read(2) straight into our buffer
    } else if (codec == Codec::gzip) {
        source_ = std::make_unique<GzipSource>(std::move(source));
    } else {
        source_ = std::make_unique<DecompressingSource>(std::move(source), codec);
    }
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

namespace {

std::atomic<std::uint64_t> read_faults{0};
std::uintptr_t bus_error_page_size = 4096;  // set before the handler is installed

// A page of a mapped input that the file no longer has (it was truncated under the mapping) or
// that its device cannot read raises SIGBUS on whichever thread touches it. Mapping zeros there
// lets that thread finish its lines, which then fail to parse; the caller learns of it from
// mapped_read_faults and reports the file. Anything else keeps the default action.
void on_bus_error(int, siginfo_t* info, void*) {
    void* page = reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(info->si_addr) &
                                         ~(bus_error_page_size - 1));
    if (info->si_code != BUS_ADRERR ||
        ::mmap(page, bus_error_page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
               0) == MAP_FAILED) {
        ::signal(SIGBUS, SIG_DFL);  // the access repeats and ends the process as before
        return;
    }
    read_faults.fetch_add(1, std::memory_order_relaxed);
}

void handle_bus_errors() {
    static std::once_flag installed;
    std::call_once(installed, [] {
        bus_error_page_size = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
        struct sigaction action {};
        action.sa_sigaction = on_bus_error;
        action.sa_flags = SA_SIGINFO;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGBUS, &action, nullptr);
    });
}

}  // namespace

const char* const cut_short_reason =
    "the file got shorter while it was read; what was cut off was not counted";

std::uint64_t mapped_read_faults() {
    return read_faults.load(std::memory_order_relaxed);
}

MappedLines::MappedLines(MappedLines&& other) noexcept {
    *this = std::move(other);
}

MappedLines& MappedLines::operator=(MappedLines&& other) noexcept {
    if (this == &other) return *this;
    if (base_) ::munmap(base_, size_);
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
    text_ = std::exchange(other.text_, {});
    file_ = std::move(other.file_);
    end_offset_ = other.end_offset_;
    return *this;
}

MappedLines::~MappedLines() {
    if (base_) ::munmap(base_, size_);
}

namespace {

// True when the file is now shorter than `size` bytes, or cannot say.
bool shorter_than(int file, std::uint64_t size) {
    struct stat info {};
    return ::fstat(file, &info) != 0 || static_cast<std::uint64_t>(info.st_size) < size;
}

}  // namespace

bool MappedLines::cut_short() const {
    return !file_ || shorter_than(*file_, end_offset_);
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
    const auto page_size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t map_from = from & ~(page_size - 1);
    const std::uint64_t map_to = std::min<std::uint64_t>(file_size, from + max_bytes);
    const std::size_t map_size = map_to - map_from;
    void* base =
        ::mmap(nullptr, map_size, PROT_READ, MAP_PRIVATE, map_fd_, static_cast<off_t>(map_from));
    if (base == MAP_FAILED) {
        map_fd_ = -1;  // e.g. a file system without mmap: read it
        return {};
    }
    handle_bus_errors();
    const char* start = static_cast<const char*>(base) + (from - map_from);
    const std::uint64_t faults = mapped_read_faults();
    const void* last = ::memrchr(start, '\n', map_to - from);
    if (mapped_read_faults() != faults && shorter_than(map_fd_, map_to)) {
        ::munmap(base, map_size);
        error_ = cut_short_reason;
        eof_ = true;
        return {};
    }
    if (!last) {
        ::munmap(base, map_size);
        return {};
    }
    const std::string_view lines(start, static_cast<const char*>(last) - start + 1);
    // What the buffer holds from here on was read from the file: drop it and read on after the
    // mapped lines.
    if (::lseek(map_fd_, static_cast<off_t>(from + lines.size()), SEEK_SET) < 0) {
        ::munmap(base, map_size);
        map_fd_ = -1;
        return {};
    }
    begin_ = end_ = 0;
    eof_ = false;
    bytes_read_ += lines.size();
    return MappedLines(base, map_size, lines, mapped_file_, from + lines.size());
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
    std::size_t got = 0;
    try {
        got = source_->read(buffer_.get() + end_, capacity_ - end_);
    } catch (const InputError& failure) {
        error_ = failure.reason.empty() ? "read error" : failure.reason;
        eof_ = true;
        return false;
    }
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
