// Exit statuses and messages: per-input errors, usage errors, bad lines, broken pipes.
#include <doctest/doctest.h>

#include <csignal>

#include "harness.hpp"

using namespace e2e;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const std::string sample = data("codecs/sample.log").string();

}  // namespace

TEST_CASE("errors: an input that cannot be opened is named; the others are still processed") {
    Result result = logsift({"reduce", "--quiet", "/nonexistent/a.log", sample, "/"});
    CHECK(result.status == 1);
    CHECK(split_lines(result.out).size() == 5);
    CHECK(contains(result.err, "logsift: error: /nonexistent/a.log: No such file or directory\n"));
    CHECK(contains(result.err, "logsift: error: /: "));
}

TEST_CASE("errors: truncated and corrupt compressed input is an input error naming the file") {
    TempDir dir;
    std::string gz = read_file(data("codecs/sample.log.gz"));
    write_file(dir / "truncated.gz", gz.substr(0, gz.size() / 2));
    std::string zst = read_file(data("codecs/sample.log.zst"));
    write_file(dir / "truncated.zst", zst.substr(0, zst.size() - 20));
    for (const char* name : {"truncated.gz", "truncated.zst"}) {
        CAPTURE(name);
        std::string path = (dir / name).string();
        Result result = logsift({"reduce", "--quiet", path, sample});
        CHECK(result.status == 1);
        CHECK(contains(result.err, "logsift: error: " + path + ": "));
        // The intact file after it is still reduced in full.
        CHECK(contains(result.out, read_file(data("codecs/sample.expected.tsv"))));
    }
}

TEST_CASE("errors: usage errors exit 2 before reading anything") {
    CHECK(logsift({}).status == 2);
    CHECK(logsift({"reduce", "--no-such-option"}).status == 2);
    CHECK(logsift({"reduce", "--ipv4-prefix", "33", sample}).status == 2);
    CHECK(logsift({"reduce", "--time-resolution", "week", sample}).status == 2);
    CHECK(logsift({"reduce", "--output-format", "xml", sample}).status == 2);
    CHECK(logsift({"reduce", "--client-ip", "header", sample}).status == 2);
    CHECK(logsift({"reduce", "--trusted-proxy", "10.0.0.0/33", sample}).status == 2);
    CHECK(logsift({"reduce", "--max-bad", "150", sample}).status == 2);

    Result preset = logsift({"reduce", "--format", "nosuchpreset", sample});
    CHECK(preset.status == 2);
    CHECK(contains(preset.err, "no preset named 'nosuchpreset'"));
    CHECK(contains(preset.err, "combined"));
    CHECK(preset.out == "");
}

TEST_CASE("errors: a bad format string is shown with a caret under the bad spot") {
    Result result = logsift({"reduce", "--format", "%h %l %Q %t", sample});
    CHECK(result.status == 2);
    CHECK(result.out == "");
    std::vector<std::string> lines = split_lines(result.err);
    REQUIRE(lines.size() >= 3);
    CHECK(contains(lines[0], "logsift: error: --format: "));
    CHECK(contains(lines[0], "%Q"));
    // The caret sits under the '%' of %Q, in the line that shows the format.
    std::size_t format_column = lines[1].find("%h %l %Q %t");
    REQUIRE(format_column != std::string::npos);
    CHECK(lines[2].find('^') == format_column + 6);
}

TEST_CASE("errors: auto detection that finds no clear majority exits 2 and says what to do") {
    std::string junk;
    for (int i = 0; i < 20; ++i)
        junk += "this is not an access log line\n";
    Result result = logsift({"reduce"}, junk);
    CHECK(result.status == 2);
    CHECK(result.out == "");
    CHECK(contains(result.err, "no preset format fits"));
    CHECK(contains(result.err, "tried: "));
    CHECK(contains(result.err, "--format"));
    CHECK(contains(result.err, "log_format"));
    CHECK(contains(result.err, "LogFormat"));
}

TEST_CASE("errors: bad lines are counted, listed by number and column, and judged by --max-bad") {
    std::string lines = read_file(sample);
    std::string input = "garbage\n" + lines +
                        "192.0.2.1 - - [08/Oct/2026:10:15:01 +0000] \"GET / "
                        "HTTP/1.1\" 2x0 1 \"-\" \"-\"\n";
    Result result = logsift({"reduce", "--format", "combined"}, input);
    CHECK(result.status == 1);  // 2 of 7 lines is more than the default 1 %
    CHECK(split_lines(result.out).size() == 5);
    CHECK(contains(result.err, "logsift: 7 lines read, 5 parsed, 2 skipped\n"));
    CHECK(contains(result.err, "<stdin>: line 1: "));
    CHECK(contains(result.err, "<stdin>: line 7: status is not a number at column "));
    CHECK(contains(result.err, "more than --max-bad 1.0%"));

    Result tolerant = logsift({"reduce", "--format", "combined", "--max-bad", "30%"}, input);
    CHECK(tolerant.status == 0);

    Result quiet = logsift({"reduce", "--format", "combined", "--max-bad", "30", "--quiet"}, input);
    CHECK(quiet.status == 0);
    CHECK(quiet.err == "");
}

TEST_CASE("errors: only the first five bad lines are listed unless --verbose") {
    std::string input;
    for (int i = 0; i < 8; ++i)
        input += "bad line\n";
    input += read_file(sample);
    Result result = logsift({"reduce", "--format", "combined", "--max-bad", "100"}, input);
    CHECK(contains(result.err, "line 5: "));
    CHECK_FALSE(contains(result.err, "line 6: "));
    Result verbose =
        logsift({"reduce", "--format", "combined", "--max-bad", "100", "--verbose"}, input);
    CHECK(contains(verbose.err, "logsift: warning: <stdin>: line 8: "));
}

TEST_CASE("errors: --strict stops at the first bad line with status 1") {
    std::string input = read_file(sample) + "bad line\n" + read_file(sample);
    Result result = logsift({"reduce", "--format", "combined", "--strict"}, input);
    CHECK(result.status == 1);
    CHECK(split_lines(result.out).size() == 5);
    CHECK(contains(result.err, "logsift: error: <stdin>: line 6: "));
    CHECK(contains(result.err, "(--strict)"));
}

TEST_CASE("errors: a broken pipe ends quietly with status 0") {
    std::string big = data("real/apache-combined-elastic-examples.log").string();
    Result result = shell("{ '" + std::string(LOGSIFT_BINARY) + "' reduce '" + big + "' '" + big +
                          "'; echo \"status=$?\" >&2; } | head -n 1");
    CHECK(split_lines(result.out).size() == 1);
    CHECK(result.err == "status=0\n");
}

TEST_CASE("errors: a full disk is an error, never silent") {
    Result result = logsift({"reduce", "-o", "/dev/full", sample});
    CHECK(result.status == 1);
    CHECK(contains(result.err, "No space left on device"));
    Result unwritable = logsift({"reduce", "-o", "/nonexistent/out.tsv", sample});
    CHECK(unwritable.status == 1);  // an output that cannot be written (EXIT STATUS)
    CHECK(contains(unwritable.err, "/nonexistent/out.tsv"));
}

TEST_CASE("errors: SIGINT ends a run blocked on its input with status 130") {
    // A FIFO that is held open but never written keeps logsift waiting for input.
    TempDir dir;
    std::string fifo = (dir / "fifo").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Signals are repeated until the process ends: the first may come before the handler is
    // installed, while a background job of sh still ignores SIGINT.
    Result result = shell("exec 3<>'" + fifo + "'; '" + std::string(LOGSIFT_BINARY) +
                          "' reduce --format combined <'" + fifo +
                          "' & pid=$!; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 "
                          "20; do sleep 0.3; kill -INT $pid 2>/dev/null || break; done; "
                          "wait $pid; echo \"status=$?\"");
    CHECK(result.out == "status=130\n");
}
