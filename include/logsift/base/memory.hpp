// Memory: how the process's heap is set up before anything is loaded. A run reads its tables
// (the network rows, the sketches' registers, the country database, the user-agent caches) at
// random, several times a line, across tens of MiB: with 4 KiB pages the address translations
// miss about as often as the data does.
#pragma once

#include <cstddef>

namespace logsift {

// Asks the kernel to back the heap's next 64 MiB with transparent huge pages (2 MiB), which it
// does where /sys/kernel/mm/transparent_hugepage/enabled is `madvise` or `always`, and keeps
// malloc from handing that memory back, which would lose the advice. Call once, first thing in
// main, before the allocations it is for. Returns whether the advice was taken; false in
// sanitizer builds, whose allocator is not glibc's.
bool back_heap_with_huge_pages();

// One malloc arena for every thread, set before worker threads start: the hot path allocates
// only for new rows, so there is little to contend for, while an arena per thread keeps each
// thread's freed pages (its aggregate tables, once merged) out of reach of the others: about
// 35 MiB more peak RSS on a 5M-line summary.
void share_one_heap_arena();

// Zero-filled memory mapped for itself and, when huge is set and it spans 2 MiB or more, advised
// to be backed by transparent huge pages: for arrays of tens of MiB read at random (the classes
// of reduce --k-anonymity), beyond the heap's advised 64 MiB. Given back when destroyed; throws
// std::bad_alloc when it cannot be mapped.
class MappedMemory {
  public:
    MappedMemory() = default;
    MappedMemory(std::size_t bytes, bool huge);
    ~MappedMemory();
    MappedMemory(MappedMemory&& other) noexcept;
    MappedMemory& operator=(MappedMemory&& other) noexcept;
    MappedMemory(const MappedMemory&) = delete;
    MappedMemory& operator=(const MappedMemory&) = delete;

    void* data() const { return data_; }
    std::size_t size() const { return size_; }

  private:
    void release();
    void* mapping_ = nullptr;  // what munmap takes
    std::size_t mapped_ = 0;
    void* data_ = nullptr;  // aligned to 2 MiB when huge
    std::size_t size_ = 0;
};

// Gives the heap's free pages back to the kernel: the workers' tables, merged and freed, leave
// pages behind that glibc would keep for later allocations.
void return_free_heap_pages();

}  // namespace logsift
