// Exit statuses, one case per status and cause that the man page's EXIT STATUS lists; the
// expected values are the man page's.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "harness.hpp"

using namespace e2e;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const std::string sample = data("codecs/sample.log").string();
const std::string big = data("real/apache-combined-elastic-examples.log").string();

// A summary of the sample, as `summary --output-format json` writes it.
std::string summary_of(const TempDir& dir, const std::string& name,
                       const std::vector<std::string>& extra = {}) {
    const std::string path = (dir / name).string();
    std::vector<std::string> args = {"summary", "--output-format", "json", "-o", path};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(sample);
    REQUIRE(logsift(args).status == 0);
    return path;
}

}  // namespace

TEST_CASE("exit status 0: success") {
    Result result = logsift({"reduce", "--quiet", sample});
    CHECK(result.status == 0);
    CHECK(split_lines(result.out).size() == 5);
}

TEST_CASE("exit status 0: standard output is a pipe that closed early") {
    for (const char* threads : {"1", "2"}) {
        CAPTURE(threads);
        Result result =
            shell("{ '" + std::string(LOGSIFT_BINARY) + "' reduce --threads " + threads + " '" +
                  big + "' '" + big + "'; echo \"status=$?\" >&2; } | head -n 1");
        CHECK(split_lines(result.out).size() == 1);
        CHECK(result.err == "status=0\n");
    }
}

TEST_CASE("exit status 1: an input could not be read; the other inputs were processed") {
    for (const char* threads : {"1", "2"}) {
        CAPTURE(threads);
        Result result =
            logsift({"reduce", "--quiet", "--threads", threads, "/nonexistent/a.log", sample});
        CHECK(result.status == 1);
        CHECK(split_lines(result.out).size() == 5);
        CHECK(contains(result.err, "/nonexistent/a.log: No such file or directory"));
    }
}

TEST_CASE("exit status 1: an input could not be decoded") {
    TempDir dir;
    const std::string gz = read_file(data("codecs/sample.log.gz"));
    const std::string cut = (dir / "cut.log.gz").string();
    write_file(cut, gz.substr(0, gz.size() - 12));
    Result result = logsift({"reduce", "--quiet", cut});
    CHECK(result.status == 1);
    CHECK(contains(result.err, cut + ": gzip data is truncated or corrupt"));
}

TEST_CASE("exit status 1: more than --max-bad of the lines were skipped") {
    const std::string input = read_file(sample) + "bad line\n";  // 1 of 6 lines
    CHECK(logsift({"reduce", "--format", "combined", "--max-bad", "20"}, input).status == 0);
    Result result = logsift({"reduce", "--format", "combined", "--max-bad", "10"}, input);
    CHECK(result.status == 1);
    CHECK(contains(result.err, "more than --max-bad"));
}

TEST_CASE("exit status 1: --strict met a bad line") {
    const std::string input = read_file(sample) + "bad line\n";
    Result result = logsift({"reduce", "--format", "combined", "--strict"}, input);
    CHECK(result.status == 1);
    CHECK(contains(result.err, "(--strict)"));
}

TEST_CASE("exit status 1: an output could not be written") {
    Result full = logsift({"reduce", "-o", "/dev/full", sample});
    CHECK(full.status == 1);
    CHECK(contains(full.err, "/dev/full: No space left on device"));
    // Nor opened: reduce, a report, and merge alike.
    Result reduce = logsift({"reduce", "-o", "/nonexistent/out.tsv", sample});
    CHECK(reduce.status == 1);
    CHECK(contains(reduce.err, "logsift: error: /nonexistent/out.tsv: cannot write: "));
    Result report = logsift({"sources", "-o", "/nonexistent/out.tsv", sample});
    CHECK(report.status == 1);
    TempDir dir;
    Result merge = logsift({"merge", "-o", "/nonexistent/out.json", summary_of(dir, "a.json")});
    CHECK(merge.status == 1);
    CHECK(contains(merge.err, "/nonexistent/out.json: cannot write: "));
}

TEST_CASE("exit status 1: with --in-place, a file could not be replaced and is left as it was") {
    TempDir dir;
    const std::string log = (dir / "access.log").string();
    const std::string other_name = (dir / "other-name.log").string();
    write_file(log, read_file(sample));
    REQUIRE(::link(log.c_str(), other_name.c_str()) == 0);  // another name would keep the raw log
    Result result = logsift({"reduce", "--in-place", log});
    CHECK(result.status == 1);
    CHECK(contains(result.err, log + ": has 2 hard links"));
    CHECK(read_file(log) == read_file(sample));
}

TEST_CASE("exit status 1: a summary to merge could not be read") {
    TempDir dir;
    const std::string good = summary_of(dir, "good.json");
    Result merge = logsift({"merge", good, "/nonexistent/day.json"});
    CHECK(merge.status == 1);
    CHECK(contains(merge.err, "/nonexistent/day.json: No such file or directory"));
    CHECK(merge.out == "");
    Result from = logsift({"summary", "--from", "/nonexistent/day.json"});
    CHECK(from.status == 1);
}

TEST_CASE("exit status 2: a bad option; nothing was written") {
    Result result = logsift({"reduce", "--no-such-option", sample});
    CHECK(result.status == 2);
    CHECK(result.out == "");
}

TEST_CASE("exit status 2: a bad format string") {
    Result result = logsift({"reduce", "--format", "$remote_addr ${unterminated", sample});
    CHECK(result.status == 2);
    CHECK(result.out == "");
}

TEST_CASE("exit status 2: a broken pattern file") {
    TempDir dir;
    const std::string rules = (dir / "downloads").string();
    write_file(rules, "[deb]\npattern = (unclosed\n");
    Result result = logsift({"downloads", "--downloads", rules, sample});
    CHECK(result.status == 2);
    CHECK(result.out == "");
    CHECK(contains(result.err, rules));
}

TEST_CASE("exit status 2: no preset fits, for a run and for formats --detect alike") {
    const std::string junk = "this is not an access log\nnor is this\n";
    for (const char* threads : {"1", "2"}) {
        CAPTURE(threads);
        Result run = logsift({"reduce", "--threads", threads}, junk);
        CHECK(run.status == 2);
        CHECK(run.out == "");
        CHECK(contains(run.err, "no preset format fits"));
    }
    Result detect = logsift({"formats", "--detect", "-"}, junk);
    CHECK(detect.status == 2);
    CHECK(detect.out == "");
    CHECK(contains(detect.err, "<stdin>: no preset format fits"));
}

TEST_CASE("exit status 2: a summary that is not one, or does not merge") {
    TempDir dir;
    const std::string day = summary_of(dir, "day.json");
    const std::string week = summary_of(dir, "week.json", {"--period", "week"});
    const std::string junk = (dir / "junk.json").string();
    write_file(junk, "this is not json");
    Result not_one = logsift({"merge", day, junk});
    CHECK(not_one.status == 2);
    CHECK(not_one.out == "");
    Result mismatch = logsift({"merge", day, week});
    CHECK(mismatch.status == 2);
    CHECK(mismatch.out == "");
    CHECK(contains(mismatch.err, "period"));
}

TEST_CASE("exit status 130: interrupted by SIGINT") {
    // A FIFO that is held open but never written keeps logsift waiting for input. Signals are
    // repeated until the process ends: the first may come before the handler is installed.
    TempDir dir;
    const std::string fifo = (dir / "fifo").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    Result result = shell("exec 3<>'" + fifo + "'; '" + std::string(LOGSIFT_BINARY) +
                          "' reduce --format combined <'" + fifo +
                          "' & pid=$!; for i in $(seq 20); do sleep 0.3; "
                          "kill -INT $pid 2>/dev/null || break; done; wait $pid; "
                          "echo \"status=$?\"");
    CHECK(result.out == "status=130\n");
}
