// Diagnostics: the exit-status contract and the one place that writes messages to stderr.
// Messages never carry a log line's content, only file names, line numbers, columns and reasons.
#pragma once

#include <string_view>

namespace logsift {

// Exit statuses documented in the man page (EXIT STATUS).
enum class ExitCode : int {
    ok = 0,           // success, or a broken pipe on stdout
    input_error = 1,  // an input could not be read or decoded, too many bad lines, --strict
    usage = 2,        // usage or configuration error; no input was read
    interrupted = 130,
};

// Each writes "logsift: error: " / "logsift: warning: " / "logsift: " + message + "\n" in a
// single write(2), so that messages from several threads never interleave.
void print_error(std::string_view message);
void print_warning(std::string_view message);
void print_note(std::string_view message);

// While one lives, the three above write nothing: for a second pass over inputs, whose every
// message the first pass has already written.
class MutedMessages {
  public:
    MutedMessages();
    ~MutedMessages();
    MutedMessages(const MutedMessages&) = delete;
    MutedMessages& operator=(const MutedMessages&) = delete;
};

}  // namespace logsift
