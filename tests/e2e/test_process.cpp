// The process set-up end to end: a logsift holding raw log lines in memory, started with an
// unlimited core size, killed with SIGQUIT, leaves no core file behind.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "harness.hpp"

using namespace e2e;

namespace {

// Where the kernel writes core files: the directory of a core_pattern that names a file (the
// working directory when it names no directory), or nothing when it pipes to a program.
std::optional<fs::path> core_directory(const fs::path& working_dir) {
    std::string pattern = read_file("/proc/sys/kernel/core_pattern");
    while (!pattern.empty() && pattern.back() == '\n')
        pattern.pop_back();
    if (pattern.empty() || pattern.front() == '|') return std::nullopt;
    const fs::path named(pattern);
    if (!named.has_parent_path()) return working_dir;
    if (named.is_relative()) return working_dir / named.parent_path();
    // A directory templated by %-specifiers cannot be watched.
    if (named.parent_path().string().find('%') != std::string::npos) return std::nullopt;
    return named.parent_path();
}

std::set<fs::path> files_in(const std::optional<fs::path>& dir) {
    std::set<fs::path> files;
    std::error_code ignored;
    if (!dir) return files;
    for (const auto& entry : fs::directory_iterator(*dir, ignored))
        files.insert(entry.path());
    return files;
}

// A child started with `ulimit -c unlimited` and SIGQUIT at its default, in working_dir,
// reading the pipe whose write end the parent holds, so it stays alive until told.
struct Child {
    pid_t pid = -1;
    int input = -1;  // the write end of the child's stdin
};

Child start(const std::vector<std::string>& command, const fs::path& working_dir) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    std::vector<char*> argv;
    for (const std::string& arg : command)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
        if (::chdir(working_dir.c_str()) != 0 || ::setrlimit(RLIMIT_CORE, &unlimited) != 0) {
            ::_exit(126);
        }
        ::signal(SIGQUIT, SIG_DFL);
        ::dup2(pipe_fds[0], 0);
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(pipe_fds[0]);
    return {pid, pipe_fds[1]};
}

// Kills child with SIGQUIT; returns its wait status. Waits for the kernel's dump to finish,
// which happens before the child can be reaped.
int quit(Child& child) {
    ::kill(child.pid, SIGQUIT);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    ::close(child.input);
    return status;
}

// The "Max core file size" line of /proc/PID/limits, its soft and hard values.
std::string core_limit(pid_t pid) {
    for (const std::string& line :
         split_lines(read_file("/proc/" + std::to_string(pid) + "/limits")))
        if (line.starts_with("Max core file size")) return line;
    return "";
}

// Waits until the child has run past its set-up: exec done and the first line read.
void wait_until_running(pid_t pid, const std::string& program) {
    const fs::path exe = "/proc/" + std::to_string(pid) + "/exe";
    const fs::path target = fs::canonical(program);
    for (int i = 0; i < 200; ++i) {
        std::error_code error;
        if (fs::read_symlink(exe, error) == target) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

}  // namespace

TEST_CASE("process: SIGQUIT with an unlimited core size leaves no core file") {
    TempDir work;
    const std::optional<fs::path> cores = core_directory(work.path());
    const std::string line =
        "203.0.113.77 - - [01/Mar/2024:10:00:00 +0000] \"GET /CANARY-core-5e1d HTTP/1.1\" 200 "
        "5 \"-\" \"CANARY-core-agent/1.0\"\n";

    // A control first: the same set-up around a program that does not forbid dumps shows
    // whether this system writes core files where the check below looks.
    bool control_dumped = false;
    if (cores && fs::exists("/bin/sleep")) {
        const std::set<fs::path> before = files_in(cores);
        Child sleeper = start({"/bin/sleep", "30"}, work.path());
        wait_until_running(sleeper.pid, "/bin/sleep");
        int status = quit(sleeper);
        CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGQUIT));
        control_dumped = WCOREDUMP(status);
        for (const fs::path& file : files_in(cores)) {
            if (!before.contains(file)) fs::remove(file);
        }
    }
    if (!control_dumped) {
        MESSAGE(
            "this system writes no core file for a plain process here (core_pattern pipes "
            "to a program, or dumps are off): only the limit and flag are checked");
    }

    const std::set<fs::path> before = files_in(cores);
    Child logsift_child = start({LOGSIFT_BINARY, "reduce", "--quiet"}, work.path());
    REQUIRE(::write(logsift_child.input, line.data(), line.size()) ==
            static_cast<ssize_t>(line.size()));
    wait_until_running(logsift_child.pid, LOGSIFT_BINARY);

    // While it runs: the limit it set itself, whatever it was started with.
    const std::string limit = core_limit(logsift_child.pid);
    CHECK(limit.find(" 0 ") != std::string::npos);
    CHECK(limit.find("unlimited") == std::string::npos);
    // Non-dumpable: its /proc entries belong to root, which a non-root test can see.
    if (::getuid() != 0) {
        struct stat info {};
        REQUIRE(::stat(("/proc/" + std::to_string(logsift_child.pid)).c_str(), &info) == 0);
        CHECK(info.st_uid == 0);
    }

    int status = quit(logsift_child);
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGQUIT));
    CHECK(!WCOREDUMP(status));
    std::vector<fs::path> new_files;
    for (const fs::path& file : files_in(cores)) {
        if (!before.contains(file)) new_files.push_back(file);
    }
    CHECK(new_files.empty());
    for (const fs::path& file : new_files)
        fs::remove(file);
}
