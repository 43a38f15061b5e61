// Memory: the heap set-up of memory.hpp. It does by hand what glibc's tunable
// glibc.malloc.hugetlb=1 does, which a process cannot set for itself once started. On a summary
// of the 5M-line bench log either takes about 4 % off the CPU time, for about 2 MiB more RSS.
#include "logsift/base/memory.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

namespace logsift {

bool back_heap_with_huge_pages() {
#ifdef __SANITIZE_ADDRESS__
    return false;
#else
    constexpr std::size_t reserve = std::size_t{64} << 20;
    constexpr std::uintptr_t huge_page = std::uintptr_t{2} << 20;
    // The pad is what malloc adds to each growth of the heap and what it keeps when it trims
    // (malloc_trim(0) still gives everything back, once counting is over). malloc serves a
    // block from the heap's free top whenever it fits, before it would map one of its own, so
    // the large arrays (the database, the tables' slots) land in the pad as well.
    if (::mallopt(M_TOP_PAD, static_cast<int>(reserve)) == 0) return false;
    // Blocks freed back into the heap's top must not hand the advised pages back to the kernel
    // in the middle of a run: the heap would grow again into pages without the advice.
    if (::mallopt(M_TRIM_THRESHOLD, static_cast<int>(2 * reserve)) == 0) return false;
    // Free blocks inside the heap serve the first requests; the first one it cannot serve grows
    // it by the pad. Each block is below any mmap threshold (128 KiB or more) and holds the
    // address of the one taken before it, so however much the heap has free already (a test
    // process, a library's start-up), taking them needs no memory of its own.
    constexpr std::size_t block_size = std::size_t{64} << 10;
    constexpr std::size_t most_blocks = 16384;  // 1 GiB: a heap that has more free is not fresh
    const auto old_end = reinterpret_cast<std::uintptr_t>(::sbrk(0));
    void* newest = nullptr;
    for (std::size_t taken = 0;
         taken < most_blocks && reinterpret_cast<std::uintptr_t>(::sbrk(0)) == old_end; ++taken) {
        void* block = std::malloc(block_size);
        if (block == nullptr) break;
        *static_cast<void**>(block) = newest;
        newest = block;
    }
    const auto new_end = reinterpret_cast<std::uintptr_t>(::sbrk(0));
    // Advised while the blocks still hold the range mapped; freeing them may trim the heap.
    const std::uintptr_t first = (old_end + huge_page - 1) & ~(huge_page - 1);
    const std::uintptr_t last = new_end & ~(huge_page - 1);
    const bool advised =
        last > first && ::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE) == 0;
    while (newest != nullptr) {
        void* older = *static_cast<void**>(newest);
        std::free(newest);
        newest = older;
    }
    return advised;
#endif
}

void share_one_heap_arena() {
    ::mallopt(M_ARENA_MAX, 1);
}

void return_free_heap_pages() {
    ::malloc_trim(0);
}

MappedMemory::MappedMemory(std::size_t bytes, bool huge) {
    constexpr std::size_t huge_page = std::size_t{2} << 20;
    huge = huge && bytes >= huge_page;
#ifdef __SANITIZE_ADDRESS__
    huge = false;
#endif
    // A huge mapping is taken a page larger, so that a 2 MiB boundary lies inside it.
    mapped_ = huge ? (bytes + 2 * huge_page - 1) / huge_page * huge_page : bytes;
    if (mapped_ == 0) return;
    mapping_ = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping_ == MAP_FAILED) {
        mapping_ = nullptr;
        throw std::bad_alloc();
    }
    auto start = reinterpret_cast<std::uintptr_t>(mapping_);
    if (huge) {
        start = (start + huge_page - 1) & ~(huge_page - 1);
        // No advice taken is no error: the memory is as good, only slower.
        ::madvise(reinterpret_cast<void*>(start), bytes / huge_page * huge_page, MADV_HUGEPAGE);
    }
    data_ = reinterpret_cast<void*>(start);
    size_ = bytes;
}

MappedMemory::~MappedMemory() {
    release();
}

MappedMemory::MappedMemory(MappedMemory&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      mapped_(std::exchange(other.mapped_, 0)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedMemory& MappedMemory::operator=(MappedMemory&& other) noexcept {
    if (this != &other) {
        release();
        mapping_ = std::exchange(other.mapping_, nullptr);
        mapped_ = std::exchange(other.mapped_, 0);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void MappedMemory::release() {
    if (mapping_ != nullptr) ::munmap(mapping_, mapped_);
    mapping_ = nullptr;
    data_ = nullptr;
    mapped_ = size_ = 0;
}

}  // namespace logsift
