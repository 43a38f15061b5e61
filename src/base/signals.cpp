// Signals: the handlers and the state they share. Everything a handler touches is a
// sig_atomic_t, a lock-free atomic or a function pointer set before it can run.
#include "logsift/base/signals.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <mutex>

#include "logsift/base/diag.hpp"

namespace logsift {

volatile std::sig_atomic_t terminate_requested = 0;
volatile std::sig_atomic_t reopen_requested = 0;

namespace {

std::atomic<void (*)()> interrupt_cleanup{nullptr};
static_assert(std::atomic<void (*)()>::is_always_lock_free);

// Ctrl-C ends the run at once, also when it is blocked reading a terminal or a pipe; what was
// buffered for output is dropped, which the exit status 130 tells the caller.
extern "C" void on_interrupt(int) {
    if (void (*hook)() = interrupt_cleanup.load()) hook();
    _exit(static_cast<int>(ExitCode::interrupted));
}

extern "C" void on_terminate(int) {
    terminate_requested = 1;
}
extern "C" void on_hangup(int) {
    reopen_requested = 1;
}
extern "C" void on_wake(int) {}

// One slot per mapping alive at once: the threaded path holds a few per worker thread. A slot
// is taken with `taken`, then end and begin are written; begin != 0 makes it visible to the
// handler, and is cleared first when the slot is given back.
struct MappedRange {
    std::atomic<bool> taken{false};
    std::atomic<std::uintptr_t> begin{0};
    std::atomic<std::uintptr_t> end{0};
};
constexpr std::size_t mapped_range_slots = 1024;
std::array<MappedRange, mapped_range_slots> mapped_ranges;
static_assert(std::atomic<std::uintptr_t>::is_always_lock_free);

std::atomic<std::uint64_t> read_faults{0};
std::uintptr_t bus_error_page_size = 4096;  // set before the handler is installed

bool inside_mapped_range(std::uintptr_t address) {
    for (const MappedRange& range : mapped_ranges) {
        const std::uintptr_t begin = range.begin.load(std::memory_order_acquire);
        if (begin != 0 && address >= begin && address < range.end.load()) return true;
    }
    return false;
}

void on_bus_error(int, siginfo_t* info, void*) {
    const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
    void* page = reinterpret_cast<void*>(address & ~(bus_error_page_size - 1));
    if (info->si_code != BUS_ADRERR || !inside_mapped_range(address) ||
        ::mmap(page, bus_error_page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
               0) == MAP_FAILED) {
        // Not ours: the default action, delivered once this handler returns (SIGBUS is blocked
        // while it runs), for a fault as for a signal sent by kill.
        ::signal(SIGBUS, SIG_DFL);
        ::raise(SIGBUS);
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

void install_signal_handlers() {
    std::signal(SIGPIPE, SIG_IGN);
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    // Without SA_RESTART, so that a read waiting on a pipe returns and sees the request.
    action.sa_handler = on_terminate;
    sigaction(SIGTERM, &action, nullptr);
    action.sa_handler = on_hangup;
    sigaction(SIGHUP, &action, nullptr);
}

void end_input_now() {
    terminate_requested = 1;
}

void wake_blocked_read(pthread_t thread) {
    // A signal of its own, whose handler does nothing: without SA_RESTART the call it lands in
    // fails with EINTR, and the reader looks at terminate_requested again.
    static std::once_flag installed;
    std::call_once(installed, [] {
        struct sigaction action {};
        action.sa_handler = on_wake;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGUSR2, &action, nullptr);
    });
    ::pthread_kill(thread, SIGUSR2);
}

void set_interrupt_cleanup(void (*hook)()) {
    interrupt_cleanup.store(hook);
}

int register_mapped_range(const void* base, std::size_t size) {
    if (size == 0) return -1;
    handle_bus_errors();
    for (std::size_t slot = 0; slot < mapped_ranges.size(); ++slot) {
        MappedRange& range = mapped_ranges[slot];
        if (range.taken.exchange(true)) continue;
        const auto begin = reinterpret_cast<std::uintptr_t>(base);
        range.end.store(begin + size);
        range.begin.store(begin, std::memory_order_release);
        return static_cast<int>(slot);
    }
    return -1;
}

void unregister_mapped_range(int slot) {
    if (slot < 0 || static_cast<std::size_t>(slot) >= mapped_ranges.size()) return;
    MappedRange& range = mapped_ranges[static_cast<std::size_t>(slot)];
    range.begin.store(0, std::memory_order_release);
    range.end.store(0);
    range.taken.store(false);
}

std::uint64_t mapped_read_faults() {
    return read_faults.load(std::memory_order_relaxed);
}

}  // namespace logsift
