// Mapped lines: whole lines of a plain file mapped read-only instead of copied, for readers
// that hand lines to other threads. A mapping is registered with the SIGBUS handler
// (base/signals.hpp) for as long as it lives, so that a file cut short under it reads as zeros
// instead of ending the process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "logsift/base/signals.hpp"

namespace logsift {

struct MappingAttempt;

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
    MappedLines(void* base, std::size_t size, int slot, std::string_view text,
                std::shared_ptr<const int> file, std::uint64_t end_offset)
        : base_(base),
          size_(size),
          slot_(slot),
          text_(text),
          file_(std::move(file)),
          end_offset_(end_offset) {}
    void release();
    friend MappingAttempt map_lines_of(int fd, const std::shared_ptr<const int>& file,
                                       std::uint64_t from, std::uint64_t file_size,
                                       std::size_t max_bytes);

    void* base_ = nullptr;
    std::size_t size_ = 0;
    int slot_ = -1;  // in the SIGBUS handler's registry
    std::string_view text_;
    std::shared_ptr<const int> file_;  // a descriptor of the file, closed with the last user
    std::uint64_t end_offset_ = 0;
};

// What mapping the lines of a file from a byte offset came to.
struct MappingAttempt {
    std::optional<MappedLines> lines;  // the complete lines mapped, when any
    bool cut_short = false;            // the file got shorter than it said while mapped
    bool refused = false;              // mmap (or the registry) said no: read the file
};

// The complete lines of fd from byte from (of a file of file_size bytes), up to max_bytes of
// them. file is a descriptor of the same file that the mappings keep to check its size.
MappingAttempt map_lines_of(int fd, const std::shared_ptr<const int>& file, std::uint64_t from,
                            std::uint64_t file_size, std::size_t max_bytes);

// What to say of a file that got shorter while it was read (after its name).
extern const char* const cut_short_reason;

}  // namespace logsift
