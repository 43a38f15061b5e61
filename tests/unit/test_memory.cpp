// Unit tests for the heap set-up: the advice must reach the kernel (the mapping's VmFlags in
// /proc/self/smaps say `hg`), and large blocks must come from the advised heap.
#include <doctest/doctest.h>

#include "skip.hpp"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "logsift/base/memory.hpp"

using namespace logsift;

namespace {

struct Mapping {
    std::uintptr_t start = 0;
    std::uintptr_t end = 0;
    bool huge_pages_advised = false;
};

std::vector<Mapping> mappings() {
    std::vector<Mapping> found;
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    while (std::getline(smaps, line)) {
        if (line.rfind("VmFlags:", 0) == 0) {
            if (!found.empty()) found.back().huge_pages_advised = line.find(" hg") != line.npos;
            continue;
        }
        // A mapping's first line: "start-end perms offset dev inode [path]".
        const std::size_t dash = line.find('-');
        const std::size_t space = line.find(' ');
        if (dash == line.npos || space == line.npos || dash > space) continue;
        char* rest = nullptr;
        const std::uintptr_t start = std::strtoull(line.c_str(), &rest, 16);
        if (rest != line.c_str() + dash) continue;
        found.push_back({start, std::strtoull(line.c_str() + dash + 1, nullptr, 16), false});
    }
    return found;
}

}  // namespace

TEST_CASE("the heap's next 64 MiB are advised to take huge pages, and large blocks come from it") {
#ifdef __SANITIZE_ADDRESS__
    CHECK_FALSE(back_heap_with_huge_pages());
#else
    if (!std::filesystem::exists("/sys/kernel/mm/transparent_hugepage/enabled")) {
        logsift_test::skip("this kernel has no transparent huge pages");
        return;
    }
    REQUIRE(back_heap_with_huge_pages());
    // Past glibc's mmap threshold (128 KiB at first, 32 MiB at most): mapped on its own unless
    // the heap's free top holds it. It may begin in the heap's older part, where the free top
    // now starts, but cannot end there.
    constexpr std::size_t block_size = std::size_t{16} << 20;
    void* block = std::malloc(block_size);
    REQUIRE(block != nullptr);
    const auto address = reinterpret_cast<std::uintptr_t>(block);
    std::uintptr_t advised = 0;
    bool block_advised = false;
    for (const Mapping& mapping : mappings()) {
        if (!mapping.huge_pages_advised) continue;
        advised += mapping.end - mapping.start;
        block_advised =
            block_advised || (address < mapping.end && address + block_size > mapping.start);
    }
    std::free(block);
    // 64 MiB, less up to one huge page at either end for alignment.
    CHECK(advised >= std::uintptr_t{60} << 20);
    CHECK(block_advised);
#endif
}
