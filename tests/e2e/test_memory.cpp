// Memory that does not grow with the networks of a log: past --rows-in-memory, rows go to an
// unnamed temporary file and come back merged, and every output is the same as counted in
// memory. Nothing is left in $TMPDIR; a $TMPDIR that cannot take the file only costs memory.
#include <doctest/doctest.h>

#include <cstdlib>

#include "harness.hpp"

using namespace e2e;

namespace {

// Writes lines lines of one day from networks distinct /24 networks, two clients and two agents
// each. Written as it is made: a child's peak RSS counts the test's own pages up to its exec.
void write_networks_log(const std::string& path, int lines, int networks) {
    std::ofstream log(path, std::ios::binary);
    for (int i = 0; i < lines; ++i) {
        const int network = i % networks;
        log << 11 + network / 65536 << '.' << network / 256 % 256 << '.' << network % 256 << '.'
            << 1 + i / networks % 2 << " - - [08/Oct/2026:13:00:00 +0000] \"GET /releases/tool-1."
            << i % 3 << ".tar.gz HTTP/1.1\" 200 100 \"https://example.org/a\" \""
            << (i % 2 ? "curl/8.0" : "Wget/1.21") << "\"\n";
    }
}

// Sets an environment variable for the children started in its lifetime.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("memory: rows that go to a temporary file print what rows kept in memory print" *
          doctest::test_suite("slow")) {
    TempDir dir;
    TempDir tmp;
    ScopedEnv tmpdir("TMPDIR", tmp.path().string());
    const std::string generated = (dir / "networks.log").string();
    write_networks_log(generated, 60000, 20000);
    std::vector<std::string> inputs = {generated};
    // The real logs with rows enough to spill many times over.
    for (const auto& entry : fs::directory_iterator(data("real"))) {
        if (entry.path().extension() == ".log" && entry.file_size() > 100'000) {
            inputs.push_back(entry.path().string());
        }
    }
    for (const std::string& input : inputs) {
        for (const std::vector<std::string>& report :
             {std::vector<std::string>{"--output-format", "json"},
              std::vector<std::string>{"--output-format", "tsv"},
              std::vector<std::string>{"--output-format", "table", "--top", "3", "--min-clients",
                                       "2"}}) {
            std::vector<std::string> args = {"summary", "--max-bad", "100"};
            args.insert(args.end(), report.begin(), report.end());
            args.push_back(input);
            std::vector<std::string> in_memory = args;
            in_memory.insert(in_memory.end(), {"--rows-in-memory", "0", "--threads", "1"});
            const Result expected = logsift(in_memory);
            CAPTURE(input);
            CAPTURE(report.back());
            for (const char* threads : {"1", "3"}) {
                CAPTURE(threads);
                std::vector<std::string> spilling = args;
                spilling.insert(spilling.end(), {"--rows-in-memory", "10", "--threads", threads});
                const Result result = logsift(spilling);
                CHECK(result.status == expected.status);
                CHECK(result.out == expected.out);
                CHECK(result.err == expected.err);
            }
        }
    }
    // The file had no name (O_TMPFILE): nothing is left behind.
    CHECK(fs::is_empty(tmp.path()));
}

TEST_CASE("memory: a TMPDIR that cannot take the rows costs memory, not the run") {
    TempDir dir;
    const std::string log = (dir / "networks.log").string();
    const std::string kept = (dir / "summary.json").string();
    write_networks_log(log, 30000, 10000);
    const Result expected = logsift({"summary", "-q", "--rows-in-memory", "0", log});
    REQUIRE(logsift({"summary", "-q", "--output-format", "json", "-o", kept, log}).status == 0);
    // Through the shell: the harness itself keeps the child's output in $TMPDIR.
    const std::string missing = (dir / "missing").string();
    auto run = [&](const std::string& args) {
        return shell("TMPDIR='" + missing + "' '" + LOGSIFT_BINARY +
                     "' summary -q --rows-in-memory 100 " + args);
    };
    const std::string reason = "logsift: warning: cannot write temporary rows in " + missing +
                               ": No such file or directory; ";
    // Counting: warned once, and the report after it sorts in memory without a word.
    const Result counted = run("'" + log + "'");
    CHECK(counted.status == 0);
    CHECK(counted.out == expected.out);
    CHECK(counted.err == reason + "the rest of the run was counted in memory\n");
    // A summary read back is only sorted for the report: warned once for all its groups.
    const Result read_back = run("--from '" + kept + "'");
    CHECK(read_back.status == 0);
    CHECK(read_back.out == expected.out);
    CHECK(read_back.err == reason + "the report was sorted in memory\n");
}

TEST_CASE("memory: a log of four times the networks runs in about the same memory") {
    TempDir dir;
    const std::string few = (dir / "few.log").string();
    const std::string many = (dir / "many.log").string();
    // Both past what the workers and the merged summary keep in memory.
    write_networks_log(few, 400000, 100000);
    write_networks_log(many, 400000, 400000);
    auto peak_kib = [](const std::vector<std::string>& args) {
        const Result result = logsift(args);
        REQUIRE(result.status == 0);
        return result.peak_rss_kib;
    };
    const long spilled_few = peak_kib({"summary", "-q", "-o", "/dev/null", few});
    const long spilled_many = peak_kib({"summary", "-q", "-o", "/dev/null", many});
    const long in_memory_many =
        peak_kib({"summary", "-q", "-o", "/dev/null", "--rows-in-memory", "0", many});
    MESSAGE("peak RSS, 100 000 networks: " << spilled_few / 1024 << " MiB; 400 000 networks: "
                                           << spilled_many / 1024 << " MiB, or "
                                           << in_memory_many / 1024 << " MiB all in memory");
    if (sanitized) {
        MESSAGE("built with sanitizers: peak RSS not checked");
        return;
    }
    // All in memory, the 300 000 more rows cost over 20 MiB; spilled, a few at most.
    CHECK(in_memory_many - spilled_many > 20 * 1024);
    CHECK(spilled_many - spilled_few < 5 * 1024);
}
