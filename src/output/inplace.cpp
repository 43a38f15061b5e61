// In-place rewriting: one temporary file next to the original, written through the original's
// compressor (Boost.Iostreams), then given the original's owner, group, mode and times, synced,
// and renamed over it. Errors become reason strings (strerror text), never file content.
#include "logsift/output/inplace.hpp"

#include "logsift/base/signals.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/iostreams/categories.hpp>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filter/zstd.hpp>
#include <boost/iostreams/filtering_streambuf.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <filesystem>
#include <ios>
#include <utility>

namespace logsift {
namespace {

namespace io = boost::iostreams;

// The temporary file a fatal signal should remove: written before armed is set, and cleared
// after armed is reset, so the handler never reads a half-written name.
char signal_temp_path[4096];
volatile std::sig_atomic_t signal_temp_armed = 0;

void remove_signal_temp() {
    if (signal_temp_armed) ::unlink(signal_temp_path);
}

void arm_signal_temp(const std::string& path) {
    signal_temp_armed = 0;
    set_interrupt_cleanup(remove_signal_temp);
    if (path.size() >= sizeof signal_temp_path) return;
    std::memcpy(signal_temp_path, path.c_str(), path.size() + 1);
    signal_temp_armed = 1;
}

void disarm_signal_temp() {
    signal_temp_armed = 0;
}

// Boost copies devices, so this one points at the descriptor and the error slot its owner
// keeps. Boost swallows some exceptions (in sync and close), so the errno is kept here and
// checked by the owner after every call.
class DescriptorSink {
  public:
    using char_type = char;
    using category = io::sink_tag;
    DescriptorSink(int fd, int* error) : fd_(fd), error_(error) {}
    std::streamsize write(const char* data, std::streamsize size) {
        if (*error_ != 0) throw std::ios_base::failure("write failed before");
        std::streamsize left = size;
        while (left > 0) {
            ssize_t written = ::write(fd_, data, static_cast<std::size_t>(left));
            if (written < 0) {
                if (errno == EINTR) continue;
                *error_ = errno;
                throw std::ios_base::failure("write");
            }
            data += written;
            left -= written;
        }
        return size;
    }

  private:
    int fd_;
    int* error_;
};

std::string errno_text(int error) {
    return std::strerror(error);
}

// The rename replaces one name only: every other hard link would keep the raw log.
std::string hard_links_reason(nlink_t links) {
    return "has " + std::to_string(links) +
           " hard links; another name would keep the raw log, so it is left as it is";
}

}  // namespace

struct InPlaceFile::Impl {
    std::string path;       // the original
    std::string temp_path;  // the replacement while it is written
    std::string dir;
    int original_fd = -1;  // kept open to tell whether the original changed meanwhile
    struct stat original {};
    int temp_fd = -1;
    int write_error = 0;  // errno of the first failed write
    io::filtering_streambuf<io::output> stream;
    bool compressed = false;
    Codec codec = Codec::plain;
    bool done = false;  // committed or aborted

    ~Impl() {
        discard_stream();
        if (temp_fd >= 0) ::close(temp_fd);
        if (original_fd >= 0) ::close(original_fd);
    }

    void write(std::string_view bytes) {
        if (bytes.empty()) return;
        if (write_error == 0) {
            if (!compressed) {
                try {
                    DescriptorSink(temp_fd, &write_error)
                        .write(bytes.data(), std::streamsize(bytes.size()));
                } catch (const std::exception&) {
                }
            } else {
                try {
                    std::streamsize put = stream.sputn(bytes.data(), std::streamsize(bytes.size()));
                    if (put != std::streamsize(bytes.size()) && write_error == 0) write_error = EIO;
                } catch (const std::exception&) {
                    if (write_error == 0) write_error = EIO;
                }
            }
        }
        if (write_error != 0) throw OutputError{errno_text(write_error)};
    }

    // Writes the compressor's end of stream. False with write_error set on failure.
    bool finish() {
        if (compressed) {
            try {
                stream.reset();
            } catch (const std::exception&) {
                if (write_error == 0) write_error = EIO;
            }
        }
        return write_error == 0;
    }

    // Drops what the compressor holds without writing it: the device refuses from now on.
    void discard_stream() {
        if (write_error == 0) write_error = ECANCELED;
        try {
            stream.reset();
        } catch (const std::exception&) {
        }
    }

    void remove_temp() {
        disarm_signal_temp();
        if (!done) discard_stream();
        if (!done && !temp_path.empty()) ::unlink(temp_path.c_str());
        done = true;
    }
};

Expected<std::unique_ptr<InPlaceFile>> InPlaceFile::open(const std::string& path) {
    auto fail = [&](std::string reason) { return output_error(path, std::move(reason)); };
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    // O_NOFOLLOW: renaming over a symbolic link would replace the link, not the log it names.
    // O_NONBLOCK: opening a FIFO must not wait for a writer before it is refused.
    impl->original_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (impl->original_fd < 0) {
        return fail(errno == ELOOP ? "is a symbolic link; name the file it points to"
                                   : "cannot open: " + errno_text(errno));
    }
    if (::fstat(impl->original_fd, &impl->original) != 0) {
        return fail("cannot stat: " + errno_text(errno));
    }
    if (!S_ISREG(impl->original.st_mode)) {
        return fail("not a regular file; --in-place rewrites regular files only");
    }
    if (impl->original.st_nlink > 1) {
        return fail(hard_links_reason(impl->original.st_nlink));
    }
    char magic[16];
    ssize_t got = ::pread(impl->original_fd, magic, sizeof magic, 0);
    if (got < 0) {
        return fail("cannot read: " + errno_text(errno));
    }
    const Codec codec = detect_codec(std::string_view(magic, static_cast<std::size_t>(got)));
    impl->codec = codec;

    std::filesystem::path original(path);
    std::string dir = original.parent_path().string();
    impl->dir = dir.empty() ? "." : dir;
    // The name holds only the original's own name: nothing from the log's content.
    std::string temp = (std::filesystem::path(impl->dir) /
                        ("." + original.filename().string() + ".logsift-XXXXXX"))
                           .string();
    impl->temp_fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (impl->temp_fd < 0) {
        return fail("cannot create a temporary file in " + impl->dir + ": " + errno_text(errno));
    }
    impl->temp_path = temp;
    arm_signal_temp(temp);

    DescriptorSink device(impl->temp_fd, &impl->write_error);
    try {
        switch (codec) {
            case Codec::plain:
                break;
            case Codec::gzip:
                impl->stream.push(io::gzip_compressor());
                break;
            case Codec::bzip2:
                impl->stream.push(io::bzip2_compressor());
                break;
            case Codec::xz:
                impl->stream.push(io::lzma_compressor());
                break;
            case Codec::zstd:
                impl->stream.push(io::zstd_compressor());
                break;
        }
        impl->compressed = codec != Codec::plain;
        if (impl->compressed) impl->stream.push(device);
    } catch (const std::exception&) {
        impl->remove_temp();
        return fail("cannot start the " + std::string(codec_name(codec)) + " compressor");
    }
    return std::unique_ptr<InPlaceFile>(new InPlaceFile(std::move(impl)));
}

InPlaceFile::InPlaceFile(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)), sink_(pending_), codec_(impl_->codec) {}

InPlaceFile::~InPlaceFile() {
    abort();
}

void InPlaceFile::drain() {
    if (pending_.empty()) return;
    impl_->write(pending_);
    pending_.clear();
}

void InPlaceFile::abort() {
    impl_->remove_temp();
}

Expected<void> InPlaceFile::commit() {
    Impl& file = *impl_;
    if (file.done) return output_error(file.path, "already finished");
    auto fail = [&](std::string reason) -> Expected<void> {
        abort();
        return output_error(file.path, std::move(reason));
    };
    try {
        sink_.flush();
        drain();
    } catch (const OutputError& failure) {
        return fail("cannot write its replacement: " + failure.reason);
    }
    if (!file.finish())
        return fail("cannot write its replacement: " + errno_text(file.write_error));

    // Nothing may have been added to or changed in the original meanwhile (a log still being
    // written): those lines would be lost with the rename.
    struct stat now {};
    const struct stat& before = file.original;
    if (::fstat(file.original_fd, &now) != 0 || now.st_size != before.st_size ||
        now.st_mtim.tv_sec != before.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != before.st_mtim.tv_nsec) {
        return fail("changed while it was read; left as it is");
    }
    struct stat named {};
    if (::lstat(file.path.c_str(), &named) != 0 || named.st_dev != before.st_dev ||
        named.st_ino != before.st_ino) {
        return fail("was moved or replaced while it was read; left as it is");
    }
    if (named.st_nlink > 1) return fail(hard_links_reason(named.st_nlink));

    // Owner first: changing it clears set-id bits, which the mode then restores.
    if (::fchown(file.temp_fd, before.st_uid, before.st_gid) != 0) {
        return fail("cannot give the replacement the original's owner and group: " +
                    errno_text(errno));
    }
    if (::fchmod(file.temp_fd, before.st_mode & 07777) != 0) {
        return fail("cannot give the replacement the original's mode: " + errno_text(errno));
    }
    const struct timespec times[2] = {before.st_atim, before.st_mtim};
    if (::futimens(file.temp_fd, times) != 0) {
        return fail("cannot give the replacement the original's times: " + errno_text(errno));
    }
    if (::fsync(file.temp_fd) != 0) {
        return fail("cannot write its replacement: " + errno_text(errno));
    }
    if (::close(file.temp_fd) != 0) {
        file.temp_fd = -1;
        return fail("cannot write its replacement: " + errno_text(errno));
    }
    file.temp_fd = -1;
    if (::rename(file.temp_path.c_str(), file.path.c_str()) != 0) {
        return fail("cannot rename the replacement over it: " + errno_text(errno));
    }
    disarm_signal_temp();
    file.done = true;  // the temporary name is gone: nothing to remove any more

    // The rename is durable only once the directory is synced.
    int dir_fd = ::open(file.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0 || ::fsync(dir_fd) != 0) {
        int saved = errno;
        if (dir_fd >= 0) ::close(dir_fd);
        return output_error(
            file.path, "replaced, but its directory could not be synced: " + errno_text(saved));
    }
    ::close(dir_fd);
    return {};
}

}  // namespace logsift
