// `logsift reduce --in-place` end to end: each codec rewritten with its owner, mode and times
// kept; every failure (read-only or full filesystem, a corrupt input, --strict, --max-bad, a
// kill) leaves the original byte-identical and no temporary file behind.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "harness.hpp"
#include "skip.hpp"

using namespace e2e;

namespace {

const std::string expected_sample = read_file(data("codecs/sample.expected.tsv"));
const char* const codec_files[] = {"sample.log", "sample.log.gz", "sample.log.zst",
                                   "sample.log.bz2", "sample.log.xz"};
constexpr uid_t test_uid = 1234;
constexpr gid_t test_gid = 1234;
constexpr time_t old_mtime = 1577836800;  // 2020-01-01T00:00:00Z

std::string sh_quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The temporary files --in-place leaves when it is killed, and only then.
std::vector<std::string> temp_files(const fs::path& dir) {
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir)) {
        std::string name = entry.path().filename().string();
        if (contains(name, ".logsift-")) found.push_back(name);
    }
    return found;
}

void set_owner_mode_time(const fs::path& path) {
    REQUIRE(::chmod(path.c_str(), 0640) == 0);
    REQUIRE(::chown(path.c_str(), test_uid, test_gid) == 0);
    const struct timespec times[2] = {{old_mtime, 0}, {old_mtime, 0}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

std::string decoded(const fs::path& path) {
    std::string name = path.filename().string();
    std::string tool = "cat";
    if (name.ends_with(".gz")) tool = "zcat";
    if (name.ends_with(".bz2")) tool = "bzcat";
    if (name.ends_with(".xz")) tool = "xzcat";
    if (name.ends_with(".zst")) tool = "zstdcat";
    Result result = shell(tool + " " + sh_quote(path.string()));
    CHECK(result.status == 0);
    return result.out;
}

std::string magic_of(const std::string& name) {
    if (name.ends_with(".gz")) return "\x1f\x8b";
    if (name.ends_with(".bz2")) return "BZh";
    if (name.ends_with(".xz"))
        return std::string(
            "\xfd"
            "7zXZ\0",
            6);
    if (name.ends_with(".zst")) return "\x28\xb5\x2f\xfd";
    return "";
}

// A tmpfs mounted on a fresh directory for the length of a test; mounted() is false where
// mounting is not permitted (no root, a container without CAP_SYS_ADMIN).
class TmpfsMount {
  public:
    explicit TmpfsMount(const std::string& options) {
        Result result = shell("mount -t tmpfs -o " + options + " tmpfs " +
                              sh_quote(dir_.path().string()) + " 2>&1");
        mounted_ = result.status == 0;
        if (!mounted_) why_ = result.out;
    }
    ~TmpfsMount() {
        if (mounted_) shell("umount " + sh_quote(dir_.path().string()));
    }
    bool mounted() const { return mounted_; }
    const std::string& why() const { return why_; }
    const fs::path& path() const { return dir_.path(); }
    fs::path operator/(const std::string& name) const { return dir_ / name; }

  private:
    TempDir dir_;
    bool mounted_ = false;
    std::string why_;
};

// 300 000 lines: long enough to be killed while it runs.
std::string large_log() {
    std::string sample = read_file(data("codecs/sample.log"));
    std::string text;
    text.reserve(sample.size() * 60000);
    for (int i = 0; i < 60000; ++i)
        text += sample;
    return text;
}

// Starts logsift --in-place on path, waits until its temporary file holds bytes (so the run
// is under way), sends sig and returns how the process ended (128 + signal, or its status).
int interrupt_in_place(const fs::path& path, int sig) {
    std::string binary = LOGSIFT_BINARY;
    std::string target = path.string();
    pid_t pid = ::fork();
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::execl(binary.c_str(), binary.c_str(), "reduce", "--quiet", "--threads", "1", "--in-place",
                "--k-anonymity", "1", target.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool started = false;
    while (!started && std::chrono::steady_clock::now() < deadline) {
        for (const std::string& name : temp_files(path.parent_path())) {
            std::error_code error;
            if (fs::file_size(path.parent_path() / name, error) > 0 && !error) started = true;
        }
        int status = 0;
        if (!started && ::waitpid(pid, &status, WNOHANG) == pid) {
            FAIL("logsift finished before it could be interrupted");
            return -1;
        }
        if (!started) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(started);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST_CASE("in-place: every codec is rewritten with its owner, group, mode and mtime kept") {
    REQUIRE(::geteuid() == 0);  // chown to another user needs root, as the suite runs
    TempDir dir;
    std::vector<std::string> args = {"reduce", "--quiet", "--in-place", "--k-anonymity", "1"};
    for (const char* name : codec_files) {
        fs::copy_file(data(std::string("codecs/") + name), dir / name);
        set_owner_mode_time(dir / name);
        args.push_back((dir / name).string());
    }
    Result result = logsift(args);
    CHECK(result.status == 0);
    CHECK(result.err == "");
    CHECK(result.out == "");
    for (const char* name : codec_files) {
        CAPTURE(name);
        fs::path path = dir / name;
        CHECK(decoded(path) == expected_sample);
        CHECK(read_file(path).starts_with(magic_of(name)));
        if (magic_of(name).empty()) CHECK(read_file(path) == expected_sample);
        struct stat info {};
        REQUIRE(::stat(path.c_str(), &info) == 0);
        CHECK((info.st_mode & 07777) == 0640);
        CHECK(info.st_uid == test_uid);
        CHECK(info.st_gid == test_gid);
        CHECK(info.st_mtim.tv_sec == old_mtime);
        CHECK(info.st_mtim.tv_nsec == 0);
    }
    CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("in-place: by default each file is made 5-anonymous, codec, owner and mode kept") {
    REQUIRE(::geteuid() == 0);
    TempDir dir;
    // What the same run writes to standard output, with K 5 said outright.
    const std::string expected =
        logsift({"reduce", "--quiet", "--k-anonymity", "5", data("codecs/sample.log").string()})
            .out;
    std::vector<std::string> args = {"reduce", "--quiet", "--in-place"};
    for (const char* name : codec_files) {
        fs::copy_file(data(std::string("codecs/") + name), dir / name);
        set_owner_mode_time(dir / name);
        args.push_back((dir / name).string());
    }
    Result result = logsift(args);
    CHECK(result.status == 0);
    CHECK(result.err == "");
    for (const char* name : codec_files) {
        CAPTURE(name);
        const fs::path path = dir / name;
        CHECK(decoded(path) == expected);
        CHECK(read_file(path).starts_with(magic_of(name)));
        struct stat info {};
        REQUIRE(::stat(path.c_str(), &info) == 0);
        CHECK((info.st_mode & 07777) == 0640);
        CHECK(info.st_uid == test_uid);
        CHECK(info.st_mtim.tv_sec == old_mtime);
    }
    CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("in-place: the statistics line covers every file, and --header and formats apply") {
    TempDir dir;
    fs::copy_file(data("codecs/sample.log"), dir / "a.log");
    fs::copy_file(data("codecs/sample.log.gz"), dir / "b.log.gz");
    Result result = logsift({"reduce", "--in-place", "--k-anonymity", "1", "--output-format", "csv",
                             "--header", "--fields", "time,resource", (dir / "a.log").string(),
                             (dir / "b.log.gz").string()});
    CHECK(result.status == 0);
    CHECK(result.err == "logsift: 10 lines read, 10 parsed, 0 skipped\n");
    std::string csv = read_file(dir / "a.log");
    CHECK(csv.starts_with("time,resource\n"));
    CHECK(split_lines(csv).size() == 6);
    CHECK(decoded(dir / "b.log.gz") == csv);
}

TEST_CASE("in-place: a read-only filesystem leaves the original as it was") {
    // As root, a directory's mode does not stop creating files in it; a read-only mount does.
    TmpfsMount mount("size=1m");
    if (!mount.mounted()) {
        logsift_test::skip("mount is not permitted here: " + mount.why());
        return;
    }
    fs::path log = mount / "access.log";
    fs::copy_file(data("codecs/sample.log"), log);
    const std::string original = read_file(log);
    REQUIRE(shell("mount -o remount,ro " + sh_quote(mount.path().string())).status == 0);
    Result result = logsift({"reduce", "--quiet", "--in-place", log.string()});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "logsift: error: " + log.string() + ": cannot create a temporary"));
    CHECK(read_file(log) == original);
    CHECK(temp_files(mount.path()).empty());
}

TEST_CASE("in-place: a full filesystem leaves the original as it was") {
    TmpfsMount mount("size=256k");
    if (!mount.mounted()) {
        logsift_test::skip("mount is not permitted here: " + mount.why());
        return;
    }
    std::string sample = read_file(data("codecs/sample.log"));
    std::string text;
    for (int i = 0; i < 100; ++i)
        text += sample;  // 68 KB whose records (about 52 KB) cannot fit once the rest is full
    write_file(mount / "access.log", text);
    fs::copy_file(data("codecs/sample.log.gz"), mount / "access.log.gz");
    const std::string gz = read_file(mount / "access.log.gz");
    // Fill what is left; dd stops at ENOSPC.
    shell("dd if=/dev/zero of=" + sh_quote((mount / "filler").string()) + " bs=4096 2>/dev/null");
    Result result = logsift({"reduce", "--quiet", "--in-place", "--k-anonymity", "1",
                             (mount / "access.log").string(), (mount / "access.log.gz").string()});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "logsift: error: " + (mount / "access.log").string() +
                                   ": cannot write its replacement: No space left on device"));
    CHECK(contains(result.err, "logsift: error: " + (mount / "access.log.gz").string() +
                                   ": cannot write its replacement: No space left on device"));
    CHECK(read_file(mount / "access.log") == text);
    CHECK(read_file(mount / "access.log.gz") == gz);
    CHECK(temp_files(mount.path()).empty());
}

TEST_CASE("in-place: a corrupt input is left as it was and the next file is still rewritten") {
    TempDir dir;
    std::string gz = read_file(data("codecs/sample.log.gz"));
    write_file(dir / "truncated.log.gz", gz.substr(0, gz.size() / 2));
    fs::copy_file(data("codecs/sample.log"), dir / "good.log");
    Result result = logsift({"reduce", "--quiet", "--in-place", "--k-anonymity", "1",
                             (dir / "truncated.log.gz").string(), (dir / "good.log").string()});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "logsift: error: " + (dir / "truncated.log.gz").string() + ": "));
    CHECK(read_file(dir / "truncated.log.gz") == gz.substr(0, gz.size() / 2));
    CHECK(read_file(dir / "good.log") == expected_sample);
    CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("in-place: --strict and --max-bad judge each file on its own") {
    TempDir dir;
    const std::string canary = "CANARY-in-place-7f3a";
    const std::string bad = read_file(data("codecs/sample.log")) + canary + " is no log line\n";
    write_file(dir / "bad.log", bad);
    fs::copy_file(data("codecs/sample.log"), dir / "good.log");
    for (const char* option : {"--strict", "--max-bad=1%"}) {
        CAPTURE(option);
        Result result = logsift({"reduce", "--quiet", "--in-place", "--k-anonymity", "1", option,
                                 (dir / "bad.log").string(), (dir / "good.log").string()});
        CHECK(result.status == 1);
        CHECK(contains(result.err, "logsift: error: " + (dir / "bad.log").string() + ": "));
        CHECK(!contains(result.err, canary));
        CHECK(read_file(dir / "bad.log") == bad);
        CHECK(read_file(dir / "good.log") == expected_sample);
        CHECK(temp_files(dir.path()).empty());
        fs::copy_file(data("codecs/sample.log"), dir / "good.log",
                      fs::copy_options::overwrite_existing);
    }
    // Within --max-bad, the bad line is skipped and the file rewritten.
    Result lenient = logsift({"reduce", "--quiet", "--in-place", "--k-anonymity", "1", "--max-bad",
                              "50%", (dir / "bad.log").string()});
    CHECK(lenient.status == 0);
    CHECK(read_file(dir / "bad.log") == expected_sample);
}

TEST_CASE("in-place: what is not a regular file is refused, the other files still rewritten") {
    TempDir dir;
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    fs::create_directory(dir / "subdir");
    fs::copy_file(data("codecs/sample.log"), dir / "good.log");
    fs::create_symlink(dir / "good.log", dir / "link.log");
    Result result = logsift({"reduce", "--quiet", "--in-place", "--k-anonymity", "1",
                             (dir / "fifo").string(), (dir / "subdir").string(),
                             (dir / "link.log").string(), (dir / "good.log").string()});
    CHECK(result.status == 1);
    CHECK(contains(result.err, (dir / "fifo").string() + ": not a regular file"));
    CHECK(contains(result.err, (dir / "subdir").string() + ": not a regular file"));
    CHECK(contains(result.err, (dir / "link.log").string() + ": is a symbolic link"));
    CHECK(fs::is_symlink(dir / "link.log"));
    CHECK(read_file(dir / "good.log") == expected_sample);
    CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("in-place: a file with another hard link is refused, the other files still rewritten") {
    // Rewriting one name would leave the raw log under the other.
    TempDir dir;
    const std::string raw = read_file(data("codecs/sample.log"));
    fs::copy_file(data("codecs/sample.log"), dir / "linked.log");
    fs::create_directory(dir / "keep");
    fs::create_hard_link(dir / "linked.log", dir / "keep" / "other-name.log");
    fs::copy_file(data("codecs/sample.log"), dir / "good.log");
    Result result = logsift({"reduce", "--quiet", "--in-place", "--k-anonymity", "1",
                             (dir / "linked.log").string(), (dir / "good.log").string()});
    CHECK(result.status == 1);
    CHECK(contains(result.err,
                   "logsift: error: " + (dir / "linked.log").string() +
                       ": has 2 hard links; another name would keep the raw log, so it is left "
                       "as it is"));
    CHECK(read_file(dir / "linked.log") == raw);
    CHECK(read_file(dir / "keep" / "other-name.log") == raw);
    CHECK(fs::hard_link_count(dir / "linked.log") == 2);
    CHECK(read_file(dir / "good.log") == expected_sample);
    CHECK(temp_files(dir.path()).empty());

    // Once the other name is gone, the file is rewritten as any other.
    fs::remove(dir / "keep" / "other-name.log");
    Result alone = logsift(
        {"reduce", "--quiet", "--in-place", "--k-anonymity", "1", (dir / "linked.log").string()});
    CHECK(alone.status == 0);
    CHECK(read_file(dir / "linked.log") == expected_sample);
}

TEST_CASE("in-place: killed mid-run, the original stays byte-identical") {
    TempDir dir;
    fs::path log = dir / "big.log";
    const std::string text = large_log();
    write_file(log, text);
    int ended = interrupt_in_place(log, SIGKILL);
    CHECK(ended == 128 + SIGKILL);
    CHECK(read_file(log) == text);
    // SIGKILL cannot be caught, so the temporary file may stay behind (a later run creates
    // its own under another name); only the original is checked.
}

TEST_CASE("in-place: interrupted with Ctrl-C, the original stays and the temporary file goes") {
    TempDir dir;
    fs::path log = dir / "big.log";
    const std::string text = large_log();
    write_file(log, text);
    int ended = interrupt_in_place(log, SIGINT);
    CHECK(ended == 130);
    CHECK(read_file(log) == text);
    CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("in-place: usage errors exit 2 and touch nothing") {
    TempDir dir;
    fs::copy_file(data("codecs/sample.log"), dir / "a.log");
    const std::string original = read_file(dir / "a.log");
    const std::string path = (dir / "a.log").string();
    Result with_output = logsift({"reduce", "--in-place", "-o", (dir / "out.tsv").string(), path});
    CHECK(with_output.status == 2);
    CHECK(contains(with_output.err, "logsift: error: --in-place"));
    CHECK(!fs::exists(dir / "out.tsv"));
    CHECK(logsift({"reduce", "--in-place"}).status == 2);
    CHECK(logsift({"reduce", "--in-place", "-"}, original).status == 2);
    CHECK(logsift({"reduce", "--in-place", path, "-"}, original).status == 2);
    CHECK(read_file(dir / "a.log") == original);
    CHECK(temp_files(dir.path()).empty());
}
