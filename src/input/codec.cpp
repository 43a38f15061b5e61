// Codecs: byte sources (file descriptor, memory, ISA-L's inflate for gzip, Boost.Iostreams for
// the other codecs). Decoder errors stop here and become Error values whose reason never quotes
// the data.
#include "logsift/input/codec.hpp"

#include <isa-l/igzip_lib.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
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
#include <string>
#include <utility>

#include "logsift/base/signals.hpp"

namespace logsift {
namespace {

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

    Expected<std::size_t> read(char* data, std::size_t size) override {
        for (;;) {
            if (terminate_requested) return 0;  // SIGTERM: end here, as at end of input
            ssize_t got = ::read(fd_, data, size);
            if (got >= 0) return static_cast<std::size_t>(got);
            if (errno != EINTR) return input_error({}, std::strerror(errno));
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

    Expected<std::size_t> read(char* data, std::size_t size) override {
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

    Expected<std::size_t> read(char* data, std::size_t size) override {
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

    Expected<std::size_t> read(char* data, std::size_t size) override {
        Expected<std::size_t> got = raw_->read(data, size);
        if (!got) return got;
        if (*got == 0 && !between_frames())
            return input_error({}, "zstd data is truncated or corrupt");
        walk(reinterpret_cast<const unsigned char*>(data), *got);
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
        Expected<std::size_t> got = source_->read(data, static_cast<std::size_t>(size));
        if (!got) {
            *error_ = got.error().reason.empty() ? "read error" : got.error().reason;
            return -1;
        }
        return *got == 0 ? -1 : static_cast<std::streamsize>(*got);
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

    Expected<std::size_t> read(char* data, std::size_t size) override {
        if (!deferred_.empty()) return input_error({}, deferred_);
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
        if (total == 0 && !deferred_.empty()) return input_error({}, deferred_);
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
        if (Expected<std::size_t> read =
                raw_->read(reinterpret_cast<char*>(input_.get()), input_size)) {
            got = *read;
        } else {
            raw_error_ = read.error().reason.empty() ? "read error" : read.error().reason;
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
    Expected<std::size_t> read(char* data, std::size_t size) override {
        if (!deferred_.empty()) return input_error({}, deferred_);
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
        if (total == 0 && !deferred_.empty()) return input_error({}, deferred_);
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
}  // namespace

Expected<std::string> read_magic(ByteSource& raw) {
    std::string prefix(magic_size, '\0');
    std::size_t have = 0;
    while (have < magic_size) {
        Expected<std::size_t> got = raw.read(prefix.data() + have, magic_size - have);
        if (!got) return std::move(got).error();
        if (*got == 0) break;
        have += *got;
    }
    prefix.resize(have);
    return prefix;
}

std::unique_ptr<ByteSource> descriptor_source(int fd, bool owns_fd) {
    return std::make_unique<FdSource>(fd, owns_fd);
}

std::unique_ptr<ByteSource> memory_source(std::string bytes) {
    return std::make_unique<MemorySource>(std::move(bytes));
}

std::unique_ptr<ByteSource> prefixed_source(std::string prefix, std::unique_ptr<ByteSource> rest) {
    return std::make_unique<PrefixedSource>(std::move(prefix), std::move(rest));
}

std::unique_ptr<ByteSource> decoding_source(std::unique_ptr<ByteSource> raw, Codec codec) {
    switch (codec) {
        case Codec::plain:
            return raw;  // the fast path: read(2) straight into the reader's buffer
        case Codec::gzip:
            return std::make_unique<GzipSource>(std::move(raw));
        case Codec::bzip2:
        case Codec::xz:
        case Codec::zstd:
            break;
    }
    return std::make_unique<DecompressingSource>(std::move(raw), codec);
}

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

}  // namespace logsift
