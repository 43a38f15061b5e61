// Signals: the SIGBUS handler maps zeros only inside registered mappings (anything else ends
// the process as before), and SIGINT runs the registered cleanup hook before ending with 130.
// What would end the process runs in a forked child.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>

#include "logsift/base/signals.hpp"

using namespace logsift;

namespace {

constexpr std::size_t mapped_size = 64 * 1024;  // several pages

// A file of mapped_size bytes of 'a', mapped read-only, then cut to 100 bytes (logrotate's
// copytruncate): its pages past the first read as SIGBUS.
class TruncatedMapping {
  public:
    TruncatedMapping() {
        char name[] = "/tmp/logsift-signals-XXXXXX";
        const int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        path_ = name;
        const std::string bytes(mapped_size, 'a');
        REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
        base_ = ::mmap(nullptr, mapped_size, PROT_READ, MAP_PRIVATE, fd, 0);
        ::close(fd);
        REQUIRE(base_ != MAP_FAILED);
        REQUIRE(::truncate(path_.c_str(), 100) == 0);
    }
    ~TruncatedMapping() {
        ::munmap(base_, mapped_size);
        ::unlink(path_.c_str());
    }
    const char* data() const { return static_cast<const char*>(base_); }
    // A byte on a page the file no longer has.
    char last_byte() const { return *static_cast<const volatile char*>(data() + mapped_size - 1); }

  private:
    std::string path_;
    void* base_ = nullptr;
};

// Runs body in a child process without core dumps; returns its wait status.
template <typename Body>
int in_child(Body body) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
        body();
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return status;
}

bool died_of(int status, int signal) {
    return WIFSIGNALED(status) && WTERMSIG(status) == signal;
}

}  // namespace

TEST_CASE("signals: a registered mapping cut short reads as zeros and counts the fault") {
    TruncatedMapping mapping;
    const int slot = register_mapped_range(mapping.data(), mapped_size);
    REQUIRE(slot >= 0);
    const std::uint64_t faults = mapped_read_faults();
    CHECK(mapping.data()[0] == 'a');  // the page the file still has
    CHECK(mapping.last_byte() == '\0');
    CHECK(mapped_read_faults() > faults);
    unregister_mapped_range(slot);
}

TEST_CASE("signals: a bus error outside every registered mapping keeps the default action") {
    TruncatedMapping registered;
    TruncatedMapping unregistered;
    const int slot = register_mapped_range(registered.data(), mapped_size);  // handler installed
    REQUIRE(slot >= 0);
    CHECK(died_of(in_child([&] { (void)unregistered.last_byte(); }), SIGBUS));
    // Once unregistered, a range is not handled either.
    unregister_mapped_range(slot);
    CHECK(died_of(in_child([&] { (void)registered.last_byte(); }), SIGBUS));
    // Nor is a SIGBUS that no access caused.
    CHECK(died_of(in_child([] { ::raise(SIGBUS); }), SIGBUS));
    // And the child that reads a registered range lives on.
    const int again = register_mapped_range(registered.data(), mapped_size);
    REQUIRE(again >= 0);
    const int status = in_child([&] { ::_exit(registered.last_byte() == '\0' ? 0 : 3); });
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    unregister_mapped_range(again);
}

namespace {
char cleanup_path[64];
void remove_cleanup_file() {
    ::unlink(cleanup_path);
}
}  // namespace

TEST_CASE("signals: SIGINT runs the cleanup hook, then ends with status 130") {
    std::snprintf(cleanup_path, sizeof cleanup_path, "/tmp/logsift-cleanup-%d", ::getpid());
    std::ofstream(cleanup_path) << "half written";
    const int status = in_child([] {
        install_signal_handlers();
        set_interrupt_cleanup(remove_cleanup_file);
        ::raise(SIGINT);
        ::_exit(0);  // not reached
    });
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(::access(cleanup_path, F_OK) != 0);
    ::unlink(cleanup_path);
}
