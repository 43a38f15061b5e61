// Mapped lines: the mapping, its registration with the SIGBUS handler, and the check that tells
// a file cut short under a mapping from a page its device could not read.
#include "logsift/input/mapped_lines.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

namespace logsift {
namespace {

// True when the file is now shorter than `size` bytes, or cannot say.
bool shorter_than(int file, std::uint64_t size) {
    struct stat info {};
    return ::fstat(file, &info) != 0 || static_cast<std::uint64_t>(info.st_size) < size;
}

}  // namespace

const char* const cut_short_reason =
    "the file got shorter while it was read; what was cut off was not counted";

MappedLines::MappedLines(MappedLines&& other) noexcept {
    *this = std::move(other);
}

MappedLines& MappedLines::operator=(MappedLines&& other) noexcept {
    if (this == &other) return *this;
    release();
    base_ = std::exchange(other.base_, nullptr);
    size_ = std::exchange(other.size_, 0);
    slot_ = std::exchange(other.slot_, -1);
    text_ = std::exchange(other.text_, {});
    file_ = std::move(other.file_);
    end_offset_ = other.end_offset_;
    return *this;
}

MappedLines::~MappedLines() {
    release();
}

void MappedLines::release() {
    if (!base_) return;
    // Out of the registry first: the address range may be mapped again by anyone.
    unregister_mapped_range(slot_);
    ::munmap(base_, size_);
    base_ = nullptr;
}

bool MappedLines::cut_short() const {
    return !file_ || shorter_than(*file_, end_offset_);
}

MappingAttempt map_lines_of(int fd, const std::shared_ptr<const int>& file, std::uint64_t from,
                            std::uint64_t file_size, std::size_t max_bytes) {
    MappingAttempt attempt;
    const auto page_size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    const std::uint64_t map_from = from & ~(page_size - 1);
    const std::uint64_t map_to = std::min<std::uint64_t>(file_size, from + max_bytes);
    const std::size_t map_size = map_to - map_from;
    void* base =
        ::mmap(nullptr, map_size, PROT_READ, MAP_PRIVATE, fd, static_cast<off_t>(map_from));
    if (base == MAP_FAILED) {
        attempt.refused = true;  // e.g. a file system without mmap: read it
        return attempt;
    }
    const int slot = register_mapped_range(base, map_size);
    if (slot < 0) {
        ::munmap(base, map_size);
        attempt.refused = true;
        return attempt;
    }
    MappedLines mapping(base, map_size, slot, {}, file, 0);
    const char* start = static_cast<const char*>(base) + (from - map_from);
    const std::uint64_t faults = mapped_read_faults();
    const void* last = ::memrchr(start, '\n', map_to - from);
    if (mapped_read_faults() != faults && shorter_than(fd, map_to)) {
        attempt.cut_short = true;
        return attempt;
    }
    if (!last) return attempt;
    mapping.text_ = std::string_view(start, static_cast<const char*>(last) - start + 1);
    mapping.end_offset_ = from + mapping.text_.size();
    attempt.lines = std::move(mapping);
    return attempt;
}

}  // namespace logsift
