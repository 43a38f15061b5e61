// Real nginx and Apache for the tests in this directory: find the programs, pick free loopback
// ports, start a server in the foreground in its own process group from a config template, wait
// until it accepts connections, send requests with curl, and stop it. Every process started
// here is killed by a destructor, also when an assertion fails.
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness.hpp"

namespace servers {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Set by a test that finds no servers; main() then exits 77, which CTest reports as skipped.
void skip(const std::string& reason);

// The program's full path: PATH first, then the sbin directories a non-root PATH lacks.
inline std::optional<std::string> find_program(const std::string& name) {
    std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
    dirs += ":/usr/sbin:/usr/bin:/sbin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        std::size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
        if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        start = end + 1;
    }
    return std::nullopt;
}

// Polls condition every 20 ms until it holds or timeout passes; returns whether it held.
inline bool poll_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

inline std::size_t count_lines(const fs::path& path) {
    std::string text = e2e::read_file(path);
    std::size_t lines = 0;
    for (char c : text)
        lines += c == '\n';
    return lines;
}

enum class Family { v4, v6 };

inline const char* loopback(Family family) {
    return family == Family::v4 ? "127.0.0.1" : "::1";
}

// Binds host:port (port 0: any); returns the port bound, or 0 when the bind failed.
inline int bind_port(Family family, int port) {
    int fd = ::socket(family == Family::v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_storage storage{};
    socklen_t size = 0;
    if (family == Family::v4) {
        auto* address = reinterpret_cast<sockaddr_in*>(&storage);
        address->sin_family = AF_INET;
        address->sin_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET, "127.0.0.1", &address->sin_addr);
        size = sizeof *address;
    } else {
        auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
        address->sin6_family = AF_INET6;
        address->sin6_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET6, "::1", &address->sin6_addr);
        size = sizeof *address;
    }
    int bound = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), size) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &size) == 0) {
        bound = ntohs(family == Family::v4 ? reinterpret_cast<sockaddr_in*>(&storage)->sin_port
                                           : reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
    }
    ::close(fd);
    return bound;
}

inline bool connects(Family family, int port) {
    int fd = ::socket(family == Family::v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    bool ok = false;
    if (family == Family::v4) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
        ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    } else {
        sockaddr_in6 address{};
        address.sin6_family = AF_INET6;
        address.sin6_port = htons(static_cast<uint16_t>(port));
        ::inet_pton(AF_INET6, "::1", &address.sin6_addr);
        ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ::close(fd);
    return ok;
}

// Whether [::1] can be bound here (containers without IPv6 have no such address).
inline bool have_ipv6_loopback() {
    return bind_port(Family::v6, 0) != 0;
}

// A port free on 127.0.0.1 and, when asked, on [::1] too.
inline int free_port(bool ipv6) {
    for (int attempt = 0; attempt < 50; ++attempt) {
        int port = bind_port(Family::v4, 0);
        if (port != 0 && (!ipv6 || bind_port(Family::v6, port) == port)) return port;
    }
    return 0;
}

// A child process in its own process group, standard output and error in one file. The
// destructor kills the whole group (a server's workers, Apache's piped loggers) and reaps it.
class Process {
  public:
    Process(const std::vector<std::string>& argv, const fs::path& output) {
        std::vector<char*> args;
        for (const std::string& arg : argv)
            args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::setpgid(0, 0);
            int in = ::open("/dev/null", O_RDONLY);
            int out = ::open(output.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(in, 0);
            ::dup2(out, 1);
            ::dup2(out, 2);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        // Set in the parent too, so that a kill of the group cannot miss an early child.
        if (pid_ > 0) ::setpgid(pid_, pid_);
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process() {
        if (pid_ <= 0) return;
        // The group id stays ours while the leader is unreaped or any member lives.
        ::kill(-pid_, SIGKILL);
        if (!status_) {
            int ignored = 0;
            ::waitpid(pid_, &ignored, 0);
        }
    }

    pid_t pid() const { return pid_; }

    // The exit status (or 128 + signal) once the process ended; nullopt while it runs.
    std::optional<int> poll() {
        if (status_ || pid_ <= 0) return status_;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        return status_;
    }

    // Waits up to timeout for the process to end; the exit status, or nullopt.
    std::optional<int> wait(std::chrono::milliseconds timeout) {
        poll_until([&] { return poll().has_value(); }, timeout);
        return poll();
    }

    // Sends signal, then waits up to timeout; after that the group is killed.
    std::optional<int> stop(int signal, std::chrono::milliseconds timeout = 10s) {
        if (!poll()) ::kill(pid_, signal);
        std::optional<int> status = wait(timeout);
        if (!status) {
            ::kill(-pid_, SIGKILL);
            wait(5s);
        }
        return status;
    }

  private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// Whether process pid has ended: reaped here (orphans come to this process, the subreaper), or
// gone. Orphaned piped loggers would otherwise stay zombies where PID 1 reaps nothing.
inline bool process_gone(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return true;
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

inline void become_subreaper() {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
}

// The arguments of process pid, from /proc.
inline std::vector<std::string> command_line(pid_t pid) {
    std::string text = e2e::read_file(fs::path("/proc") / std::to_string(pid) / "cmdline");
    std::vector<std::string> args;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\0', start);
        if (end == std::string::npos) end = text.size();
        args.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return args;
}

// The processes whose program is `program` and whose arguments include `argument`.
inline std::vector<pid_t> find_processes(const std::string& program, const std::string& argument) {
    std::vector<pid_t> found;
    for (const fs::directory_entry& entry : fs::directory_iterator("/proc")) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::vector<std::string> args = command_line(std::stoi(name));
        if (args.empty() || args[0] != program) continue;
        for (const std::string& arg : args) {
            if (arg == argument) found.push_back(std::stoi(name));
        }
    }
    return found;
}

// Replaces every @KEY@ of text.
inline std::string fill(std::string text,
                        const std::vector<std::pair<std::string, std::string>>& values) {
    for (const auto& [key, value] : values) {
        std::string placeholder = "@" + key + "@";
        for (std::size_t at = text.find(placeholder); at != std::string::npos;
             at = text.find(placeholder, at + value.size())) {
            text.replace(at, placeholder.size(), value);
        }
    }
    return text;
}

enum class Kind { nginx, apache };

// One server started from tests/servers/<kind>.conf in dir. access_log is the nginx access_log
// target or the whole Apache CustomLog target. The constructor retries with another port when
// the one picked was taken meanwhile; started() says whether it came up.
class Server {
  public:
    Server(Kind kind, const fs::path& dir, const std::string& access_log, bool ipv6)
        : kind_(kind), dir_(dir) {
        std::string name = kind == Kind::nginx ? "nginx" : "apache2";
        std::optional<std::string> program = find_program(name);
        if (!program) {
            failure_ = name + " not found";
            return;
        }
        config_ = dir / (name + ".conf");
        log_ = dir / (name + ".out");
        std::string template_text =
            e2e::read_file(fs::path(LOGSIFT_SERVERS_DIR) / (name + ".conf"));
        // Apache's DefaultRuntimeDir (its mutexes, the scoreboard) must exist.
        if (kind == Kind::apache) fs::create_directories(dir / "run");
        for (int attempt = 0; attempt < 3 && !started(); ++attempt) {
            port_ = free_port(ipv6);
            std::string port = std::to_string(port_);
            std::string listen6;
            if (ipv6) {
                listen6 =
                    kind == Kind::nginx ? "listen [::1]:" + port + ";" : "Listen [::1]:" + port;
            }
            e2e::write_file(config_, fill(template_text, {{"DIR", dir.string()},
                                                          {"PORT", port},
                                                          {"LISTEN6", listen6},
                                                          {"ACCESS_LOG", access_log},
                                                          {"CUSTOM_LOG", access_log}}));
            std::vector<std::string> argv =
                kind == Kind::nginx
                    ? std::vector<std::string>{*program,           "-c", config_.string(), "-p",
                                               dir.string() + "/", "-g", "daemon off;"}
                    : std::vector<std::string>{*program, "-f", config_.string(), "-DFOREGROUND"};
            process_.emplace(argv, log_);
            bool up = poll_until(
                [&] {
                    return process_->poll() ||
                           (connects(Family::v4, port_) && (!ipv6 || connects(Family::v6, port_)));
                },
                10s);
            if (up && !process_->poll()) return;
            failure_ = name + " did not start on port " + port + ": " + diagnostics();
            process_.reset();
            // Only a port taken since it was picked is worth another try.
            if (failure_.find("in use") == std::string::npos) break;
        }
    }

    bool started() const { return process_.has_value(); }
    int port() const { return port_; }
    const fs::path& config() const { return config_; }
    pid_t pid() const { return process_ ? process_->pid() : -1; }
    // Why the server did not start.
    const std::string& failure() const { return failure_; }

    // Stops the server (nginx and Apache both end at once on SIGTERM, logs written); returns
    // its exit status, or nullopt when it had to be killed.
    std::optional<int> stop() { return process_ ? process_->stop(SIGTERM) : std::nullopt; }

    // What the server printed and wrote to its error log, for failure messages.
    std::string diagnostics() const {
        std::string error_log = kind_ == Kind::nginx ? "nginx-error.log" : "apache2-error.log";
        return e2e::read_file(log_) + e2e::read_file(dir_ / error_log);
    }

    std::string url(Family family, const std::string& target) const {
        std::string host = family == Family::v4 ? "127.0.0.1" : "[::1]";
        return "http://" + host + ":" + std::to_string(port_) + target;
    }

  private:
    Kind kind_;
    fs::path dir_;
    fs::path config_;
    fs::path log_;
    int port_ = 0;
    std::optional<Process> process_;
    std::string failure_;
};

}  // namespace servers
