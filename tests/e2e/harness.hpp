// Runs the built logsift binary as a user would: arguments, optional standard input, and the
// captured stdout, stderr and exit status. Output goes through temporary files, so a large
// output can never deadlock the test against the child.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace e2e {

namespace fs = std::filesystem;

// Built with AddressSanitizer (-DLOGSIFT_SANITIZE=ON): the child takes several times the memory
// and time of a real build (shadow memory, redzones, quarantine), so assertions on its peak RSS
// or elapsed time are skipped there; everything else is checked as usual.
#ifdef LOGSIFT_SANITIZED
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif

struct Result {
    int status = -1;  // exit status, or 128 + signal
    std::string out;
    std::string err;
    long peak_rss_kib = 0;  // the child's peak resident set (ru_maxrss)
    double seconds = 0;     // wall-clock time from fork to exit
};

inline std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline void write_file(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

inline fs::path data(const std::string& name) {
    return fs::path(LOGSIFT_TEST_DATA) / name;
}

// A fresh directory per test, removed at the end.
class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "logsift-e2e-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

  private:
    fs::path path_;
};

// Runs program with args; stdin_bytes (when given) is its standard input, else the file
// stdin_path (for inputs too large to hold in the test's memory), else /dev/null.
inline Result run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::optional<std::string>& stdin_bytes = std::nullopt,
                          const fs::path& stdin_path = "/dev/null") {
    TempDir dir;
    fs::path in_path = stdin_bytes ? dir / "stdin" : stdin_path;
    if (stdin_bytes) write_file(in_path, *stdin_bytes);
    fs::path out_path = dir / "stdout";
    fs::path err_path = dir / "stderr";

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    const auto start = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
        int in = ::open(in_path.c_str(), O_RDONLY);
        int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        ::execv(program.c_str(), argv.data());
        ::_exit(127);
    }
    int wait_status = 0;
    struct rusage usage {};
    ::wait4(pid, &wait_status, 0, &usage);
    Result result;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    result.peak_rss_kib = usage.ru_maxrss;
    result.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
    result.out = read_file(out_path);
    result.err = read_file(err_path);
    return result;
}

inline Result logsift(const std::vector<std::string>& args,
                      const std::optional<std::string>& stdin_bytes = std::nullopt) {
    return run_program(LOGSIFT_BINARY, args, stdin_bytes);
}

// logsift with the file stdin_path as its standard input.
inline Result logsift_stdin_file(const std::vector<std::string>& args, const fs::path& stdin_path) {
    return run_program(LOGSIFT_BINARY, args, std::nullopt, stdin_path);
}

// Runs a shell command line (for pipelines such as `logsift ... | head -1`).
inline Result shell(const std::string& command) {
    return run_program("/bin/sh", {"-c", command});
}

inline std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

inline std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> cells;
    std::size_t start = 0;
    while (true) {
        std::size_t end = line.find('\t', start);
        cells.push_back(line.substr(start, end == std::string::npos ? end : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return cells;
}

}  // namespace e2e
