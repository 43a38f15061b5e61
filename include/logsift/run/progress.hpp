// Progress: one self-erasing line on stderr for a person watching a long run on a terminal:
// the input, bytes read of its size, lines per second and the time left. Never in pipes or
// cron (it is off unless stderr is a terminal and the inputs are files, or --progress).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace logsift {

class Progress {
  public:
    explicit Progress(bool enabled) : enabled_(enabled) {}
    ~Progress() { finish(); }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // total_bytes 0: unknown (standard input, or a compressed file read as its decoded bytes).
    void start_input(const std::string& name, std::uint64_t total_bytes);
    // Cheap enough for every line: looks at the clock once per few thousand lines. new_lines
    // is how many lines this call reports, for callers that take whole blocks at a time.
    void update(std::uint64_t bytes, std::uint64_t lines, std::uint64_t new_lines = 1) {
        const std::uint64_t before = calls_;
        calls_ += new_lines;
        if (!enabled_ || (before >> 12) == (calls_ >> 12)) return;
        show(bytes, lines);
    }
    // For callers that take a block of lines without counting them (lines is then a count
    // that lags behind): looks at the clock every call.
    void update_block(std::uint64_t bytes, std::uint64_t lines) {
        if (enabled_) show(bytes, lines);
    }
    // Erases the line, so that what follows on stderr starts clean.
    void finish();

  private:
    void show(std::uint64_t bytes, std::uint64_t lines);

    bool enabled_;
    bool shown_ = false;
    std::uint64_t calls_ = 0;
    std::string name_;
    std::uint64_t total_ = 0;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point input_started_ = started_;
    std::chrono::steady_clock::time_point last_shown_ = started_;  // nothing in the first 250 ms
};

}  // namespace logsift
