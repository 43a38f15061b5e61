// Progress: redrawn in place with a carriage return at most four times a second, and written in
// one write(2) each time so that it never splits another message.
#include "logsift/run/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace logsift {
namespace {

void write_stderr(const char* text, std::size_t size) {
    while (size > 0) {
        ssize_t written = ::write(STDERR_FILENO, text, size);
        if (written <= 0) return;  // a progress line is not worth an error
        text += written;
        size -= static_cast<std::size_t>(written);
    }
}

}  // namespace

void Progress::start_input(const std::string& name, std::uint64_t total_bytes) {
    name_ = name;
    total_ = total_bytes;
    input_started_ = std::chrono::steady_clock::now();
}

void Progress::show(std::uint64_t bytes, std::uint64_t lines) {
    using namespace std::chrono;
    const auto now = steady_clock::now();
    if (now - last_shown_ < milliseconds(250)) return;
    last_shown_ = now;
    const double seconds = duration<double>(now - started_).count();
    const double input_seconds = duration<double>(now - input_started_).count();
    const double rate = seconds > 0 ? static_cast<double>(lines) / seconds : 0;
    char text[512];
    int size;
    if (total_ > 0 && bytes > 0 && bytes <= total_) {
        const double left =
            input_seconds * static_cast<double>(total_ - bytes) / static_cast<double>(bytes);
        size = std::snprintf(
            text, sizeof text,
            "\rlogsift: %.120s: %.0f of %.0f MB (%.0f%%), %.0f lines/s, %.0f s "
            "left\033[K",
            name_.c_str(), static_cast<double>(bytes) / 1e6, static_cast<double>(total_) / 1e6,
            100.0 * static_cast<double>(bytes) / static_cast<double>(total_), rate, left);
    } else {
        size = std::snprintf(text, sizeof text, "\rlogsift: %.120s: %.0f MB, %.0f lines/s\033[K",
                             name_.c_str(), static_cast<double>(bytes) / 1e6, rate);
    }
    if (size > 0)
        write_stderr(text, std::min<std::size_t>(static_cast<std::size_t>(size), sizeof text - 1));
    shown_ = true;
}

void Progress::finish() {
    if (!shown_) return;
    shown_ = false;
    write_stderr("\r\033[K", 4);
}

}  // namespace logsift
