// logsift's entry point, and its table of contents: the command line (src/cli/) chooses a
// subcommand, whose config (src/config/) and run (src/run/) do the work. Every error that
// ends a run before it starts is reported here, once.
#include <cstdio>
#include <cstdlib>

#include "logsift/base/error.hpp"
#include "logsift/base/memory.hpp"
#include "logsift/base/process.hpp"
#include "logsift/base/signals.hpp"
#include "logsift/cli/cli.hpp"
#include "logsift/cli/help.hpp"

namespace {

using logsift::ExitCode;

// The profile-guided build's instrumented logsift (scripts/setup) defines this; it writes the
// counts it gathered, which exit would do and _Exit does not. Null in every other build.
extern "C" void __gcov_dump() __attribute__((weak));

// A run ends here with its output written: the system takes the memory back at once, where
// destroying the configuration (a thousand compiled user-agent rules) takes tens of
// milliseconds. Sanitizer builds return and destroy it all, for their leak check.
int end_now(ExitCode status) {
#ifndef __SANITIZE_ADDRESS__
    std::fflush(nullptr);
    if (__gcov_dump) __gcov_dump();
    std::_Exit(static_cast<int>(status));
#endif
    return static_cast<int>(status);
}

}  // namespace

int main(int argc, char** argv) {
    // Before any log byte is read: raw lines must never reach a core file.
    logsift::forbid_core_dumps();
    logsift::back_heap_with_huge_pages();

    logsift::cli::CommandLine command_line(logsift::cli::terminal_width());
    logsift::Expected<logsift::cli::Invocation> chosen = command_line.parse(argc, argv);
    if (!chosen) return static_cast<int>(logsift::report(chosen.error()));
    if (!chosen->run) {
        std::fputs(chosen->text.c_str(), stdout);
        return 0;
    }

    // Signals first: a closed pipe or Ctrl-C must be handled from the first byte written.
    logsift::install_signal_handlers();
    logsift::Expected<ExitCode> status = chosen->run();
    return end_now(status ? *status : logsift::report(status.error()));
}
