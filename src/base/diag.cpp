// Diagnostics: every message goes out in one write(2) so that concurrent writers never
// interleave half-lines on stderr.
#include "logsift/base/diag.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

namespace logsift {
namespace {

std::atomic<int> muted{0};

void write_message(std::string_view prefix, std::string_view message) {
    if (muted.load(std::memory_order_relaxed) > 0) return;
    std::string text;
    text.reserve(prefix.size() + message.size() + 1);
    text.append(prefix).append(message).push_back('\n');
    const char* data = text.data();
    std::size_t left = text.size();
    while (left > 0) {
        ssize_t written = ::write(STDERR_FILENO, data, left);
        if (written < 0) {
            if (errno == EINTR) continue;
            return;  // stderr is gone; nothing better to do than stay quiet
        }
        data += written;
        left -= static_cast<std::size_t>(written);
    }
}

}  // namespace

void print_error(std::string_view message) {
    write_message("logsift: error: ", message);
}
void print_warning(std::string_view message) {
    write_message("logsift: warning: ", message);
}
void print_note(std::string_view message) {
    write_message("logsift: ", message);
}

MutedMessages::MutedMessages() {
    ++muted;
}
MutedMessages::~MutedMessages() {
    --muted;
}

}  // namespace logsift
