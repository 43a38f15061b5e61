// Spill: the temporary file and its runs. Errors become SpillError naming the directory, so
// that a full disk says so rather than losing rows.
#include "logsift/base/spill.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace logsift {
namespace {

std::string temporary_directory() {
    const char* directory = std::getenv("TMPDIR");
    return directory && *directory ? directory : "/tmp";
}

[[noreturn]] void fail(const std::string& directory, const char* what, int error) {
    throw SpillError("cannot " + std::string(what) + " temporary rows in " + directory + ": " +
                     std::strerror(error));
}

}  // namespace

SpillFile::SpillFile() : directory_(temporary_directory()) {
    // O_TMPFILE has no name at any moment; where the file system lacks it, a name that is
    // removed at once.
    fd_ = ::open(directory_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        std::string path = directory_ + "/logsift-XXXXXX";
        fd_ = ::mkostemp(path.data(), O_CLOEXEC);
        if (fd_ >= 0) ::unlink(path.c_str());
    }
    if (fd_ < 0) fail(directory_, "write", errno);
}

SpillFile::~SpillFile() {
    if (fd_ >= 0) ::close(fd_);
}

std::uint64_t SpillFile::append(std::string_view bytes) {
    const std::uint64_t start = size_;
    while (!bytes.empty()) {
        const ssize_t written =
            ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(size_));
        if (written < 0) {
            if (errno == EINTR) continue;
            fail(directory_, "write", errno);
        }
        size_ += static_cast<std::uint64_t>(written);
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return start;
}

void SpillFile::read_at(std::uint64_t offset, char* into, std::size_t size) const {
    while (size > 0) {
        const ssize_t got = ::pread(fd_, into, size, static_cast<off_t>(offset));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) fail(directory_, "read", got < 0 ? errno : EIO);
        into += got;
        size -= static_cast<std::size_t>(got);
        offset += static_cast<std::uint64_t>(got);
    }
}

void SpillFile::damaged() const {
    throw SpillError("temporary rows in " + directory_ + " are damaged");
}

void RunWriter::add(std::string_view record) {
    const auto size = static_cast<std::uint32_t>(record.size());
    if (buffer_.size() + sizeof size + record.size() > buffer_bytes) flush();
    // Reserved whole, so that growing by doubling never holds twice the buffer.
    if (buffer_.capacity() < buffer_bytes) buffer_.reserve(buffer_bytes);
    buffer_.append(reinterpret_cast<const char*>(&size), sizeof size);
    buffer_.append(record);
    ++records_;
}

void RunWriter::flush() {
    if (buffer_.empty()) return;
    const std::uint64_t at = file_->append(buffer_);
    if (!started_) offset_ = at;
    started_ = true;
    size_ += buffer_.size();
    buffer_.clear();
}

SpillRun RunWriter::finish() {
    flush();
    return {file_, offset_, size_, records_};
}

RunReader::RunReader(SpillRun run, std::size_t buffer_bytes)
    : run_(std::move(run)), buffer_bytes_(std::max<std::size_t>(buffer_bytes, 64)) {}

void RunReader::fill(std::size_t size) {
    if (end_ - begin_ >= size) return;
    buffer_.erase(0, begin_);
    end_ -= begin_;
    begin_ = 0;
    const std::uint64_t left = run_.size - read_;
    const std::size_t want = std::max(size, buffer_bytes_) - end_;
    const auto more = static_cast<std::size_t>(std::min<std::uint64_t>(want, left));
    if (end_ + more < size) damaged();
    buffer_.resize(end_ + more);
    run_.file->read_at(run_.offset + read_, buffer_.data() + end_, more);
    read_ += more;
    end_ += more;
}

bool RunReader::next(std::string_view& record) {
    if (begin_ == end_ && read_ == run_.size) return false;
    std::uint32_t size = 0;
    fill(sizeof size);
    std::memcpy(&size, buffer_.data() + begin_, sizeof size);
    fill(sizeof size + size);
    record = {buffer_.data() + begin_ + sizeof size, size};
    begin_ += sizeof size + size;
    return true;
}

}  // namespace logsift
