// The parallel pipeline gives the same bytes as the sequential one: records in input order,
// the same counts, the same first bad lines, the same summaries.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "harness.hpp"

using namespace e2e;

namespace {

// A log of several chunks (1 MiB each copied, 2 MiB mapped) with malformed lines scattered
// through it, an overlong line, and lines of another format at the top.
std::string generated_log() {
    std::vector<std::string> lines = split_lines(read_file(data("codecs/sample.log")));
    std::string log;
    for (int i = 0; i < 40000; ++i) {
        if (i % 997 == 13) {
            log += "garbage line " + std::to_string(i) + "\n";
        } else if (i == 20011) {
            log += std::string(70000, 'x') + "\n";
        } else {
            log += lines[static_cast<std::size_t>(i) % lines.size()] + "\n";
        }
    }
    return log;
}

// Runs args on input_path with --threads 1 and 3: the same status (expected_status), output and
// messages. Returns the status, for callers that accept more than one.
int check_same(const std::vector<std::string>& args, const std::string& input_path,
               std::optional<int> expected_status = 0) {
    std::vector<std::string> one = args;
    one.insert(one.end(), {"--threads", "1", input_path});
    std::vector<std::string> three = args;
    three.insert(three.end(), {"--threads", "3", input_path});
    Result sequential = logsift(one);
    Result parallel = logsift(three);
    CAPTURE(args[0]);
    CAPTURE(input_path);
    if (expected_status) CHECK(sequential.status == *expected_status);
    CHECK(sequential.status == parallel.status);
    CHECK(sequential.out == parallel.out);
    CHECK(sequential.err == parallel.err);
    return parallel.status;
}

}  // namespace

TEST_CASE("parallel: reduce and summaries match --threads 1 on every real log" *
          doctest::test_suite("slow")) {
    std::size_t logs = 0, detected = 0;
    for (const auto& entry : fs::directory_iterator(data("real"))) {
        if (entry.path().extension() != ".log") continue;
        ++logs;
        std::string path = entry.path().string();
        // The named format reduces every log (its other lines are bad, within --max-bad 100);
        // logs that mix formats stop at detection (status 2) alike on both paths.
        check_same({"reduce", "--max-bad", "100", "--format", "combined"}, path, 0);
        const int status =
            check_same({"reduce", "--max-bad", "100", "--output-format", "jsonl"}, path, {});
        CHECK((status == 0 || status == 2));
        CHECK(check_same({"summary", "--max-bad", "100", "--output-format", "json"}, path, {}) ==
              status);
        if (status == 0) ++detected;
    }
    // tests/data/real holds a few dozen logs (SOURCES.md), most of one format each.
    CHECK(logs >= 20);
    CHECK(detected > logs / 2);
}

TEST_CASE("parallel: a generated log of several chunks with bad lines matches --threads 1" *
          doctest::test_suite("slow")) {
    TempDir dir;
    std::string path = (dir / "generated.log").string();
    write_file(path, generated_log());
    check_same({"reduce", "--max-bad", "5"}, path);
    CHECK(logsift({"reduce", "--quiet", "--max-bad", "5", path}).out.size() > 3 * 1000000);
    check_same({"reduce", "--max-bad", "5", "--output-format", "csv", "--fields",
                "network,agent,resource"},
               path);
    check_same({"summary", "--max-bad", "5", "--output-format", "json"}, path);
    check_same({"sources", "--max-bad", "5", "--status", "2xx"}, path);
    check_same({"reduce", "--max-bad", "5", "--client", "192.0.2.0/24"}, path);

    // The statistics count every line: 41 garbage lines and the overlong one.
    Result result =
        logsift({"reduce", "--threads", "2", "--max-bad", "5", "-o", "/dev/null", path});
    CHECK(result.status == 0);
    CHECK(result.err.find("40000 lines read, 39958 parsed, 42 skipped") != std::string::npos);
    CHECK(result.err.find("line 14: ") != std::string::npos);
    CHECK(result.err.find("line 20012: line is longer than --max-line") == std::string::npos);

    // Every bad line, the overlong one included, carries the same number on both paths.
    check_same({"reduce", "--verbose", "--max-bad", "100", "-o", "/dev/null"}, path);
    Result verbose = logsift(
        {"reduce", "--verbose", "--threads", "2", "--max-bad", "100", "-o", "/dev/null", path});
    CHECK(verbose.err.find("line 20012: line is longer than --max-line") != std::string::npos);

    // CRLF line ends: the '\r' is not part of the line on either path.
    std::string crlf_path = (dir / "generated-crlf.log").string();
    std::string crlf;
    for (const std::string& line : split_lines(generated_log()))
        crlf += line + "\r\n";
    write_file(crlf_path, crlf);
    check_same({"reduce", "--verbose", "--max-bad", "100"}, crlf_path);
    check_same({"summary", "--max-bad", "100", "--output-format", "json"}, crlf_path);
    CHECK(logsift({"reduce", "--quiet", "--threads", "2", "--max-bad", "100", crlf_path}).out ==
          logsift({"reduce", "--quiet", "--threads", "2", "--max-bad", "100", path}).out);

    // A last line without a line end, ending in "\r\r": one '\r' is a line end's, the other
    // makes the line bad, on both paths.
    std::string cr_path = (dir / "generated-cr.log").string();
    write_file(cr_path, generated_log() + split_lines(generated_log()).front() + "\r\r");
    check_same({"reduce", "--verbose", "--max-bad", "100"}, cr_path);
    CHECK(logsift({"reduce", "--threads", "2", "--max-bad", "100", "-o", "/dev/null", cr_path})
              .err.find("40001 lines read, 39958 parsed, 43 skipped") != std::string::npos);

    // Compressed input and several inputs keep their order too.
    std::string gz = (dir / "generated.log.gz").string();
    REQUIRE(shell("gzip -c '" + path + "' > '" + gz + "'").status == 0);
    Result both_sequential =
        logsift({"reduce", "--quiet", "--max-bad", "5", "--threads", "1", path, gz});
    Result both_parallel =
        logsift({"reduce", "--quiet", "--max-bad", "5", "--threads", "2", path, gz});
    CHECK(both_sequential.status == 0);
    CHECK(both_parallel.status == 0);
    CHECK(both_sequential.out == both_parallel.out);
    CHECK(both_sequential.out.size() > 2 * 1000000);
    // The second input's bad lines are numbered from its own first line, and what is said
    // about an input as a whole (its format, that it cannot be read) comes after the warnings
    // about the inputs before it, on both paths.
    std::string cut = (dir / "cut.log.gz").string();
    const std::string gz_bytes = read_file(gz);
    write_file(cut, gz_bytes.substr(0, gz_bytes.size() / 2));
    const std::string missing = (dir / "missing.log").string();
    // Overlong lines at the top are met while the format is chosen, before its note.
    const std::string top = (dir / "overlong-top.log").string();
    write_file(top, std::string(70000, 'x') + "\n" + read_file(data("codecs/sample.log")));
    const std::vector<std::string> inputs = {top, path, missing, gz, cut};
    auto verbose_run = [&](const char* threads) {
        std::vector<std::string> args = {"reduce",    "--verbose", "--max-bad", "100",
                                         "--threads", threads,     "-o",        "/dev/null"};
        args.insert(args.end(), inputs.begin(), inputs.end());
        return logsift(args);
    };
    Result numbered_sequential = verbose_run("1");
    Result numbered_parallel = verbose_run("2");
    CHECK(numbered_sequential.status == 1);  // missing.log and cut.log.gz cannot be read
    CHECK(numbered_sequential.status == numbered_parallel.status);
    CHECK(numbered_sequential.err == numbered_parallel.err);
    const std::string& err = numbered_parallel.err;
    CHECK(err.find("generated.log.gz: line 20012: line is longer") != std::string::npos);
    const std::size_t first_input_last_warning = err.find("generated.log: line 39894: ");
    const std::size_t missing_error = err.find("missing.log: ");
    const std::size_t second_input_note = err.find("generated.log.gz: format ");
    const std::size_t cut_note = err.find("cut.log.gz: format ");
    const std::size_t cut_error = err.find("cut.log.gz: gzip data is truncated");
    REQUIRE(first_input_last_warning != std::string::npos);
    CHECK(first_input_last_warning < missing_error);
    CHECK(missing_error < second_input_note);
    CHECK(second_input_note < err.find("generated.log.gz: line 39894: "));
    CHECK(err.find("generated.log.gz: line 39894: ") < cut_note);
    CHECK(cut_note < cut_error);
    CHECK(cut_error != std::string::npos);
    CHECK(err.find("overlong-top.log: line 1: ") < err.find("overlong-top.log: format "));
}

TEST_CASE("parallel: workers that hand their rows over mid-run still give the same summary" *
          doctest::test_suite("slow")) {
    // 200 000 networks, more than three workers hold before they hand their rows over, each
    // seen again later with another agent, so rows meet in the shared summary from several
    // hand-overs and their distinct-client sets merge.
    TempDir dir;
    std::string path = (dir / "networks.log").string();
    std::string log;
    const char* agents[] = {"curl/8.0", "Wget/1.21",
                            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) "
                            "Gecko/20100101 Firefox/120.0"};
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < 200000; ++i) {
            log += std::to_string(11 + i / 65536) + '.' + std::to_string(i / 256 % 256) + '.' +
                   std::to_string(i % 256) + ".7 - - [08/Oct/2026:1" + std::to_string(round) +
                   ":00:00 +0000] \"GET /releases/tool-1." + std::to_string(i % 3) +
                   ".tar.gz HTTP/1.1\" 200 100 \"-\" \"" + agents[(i + round) % 3] + "\"\n";
        }
    }
    write_file(path, log);
    check_same({"summary", "--no-geoip", "--output-format", "json"}, path);
    const nlohmann::json summary = nlohmann::json::parse(
        logsift({"summary", "--no-geoip", "--output-format", "json", "--threads", "3", path}).out);
    std::size_t networks = 0, seen_twice = 0;
    for (const auto& row : summary["sources"]) {
        if (row["dimension"] != "network") continue;
        ++networks;
        if (row["requests"] == 2) ++seen_twice;
    }
    CHECK(networks == 200000);
    CHECK(seen_twice == networks);
}

TEST_CASE("parallel: plain files are mapped, wherever standard input starts in them") {
    TempDir dir;
    const std::string path = (dir / "generated.log").string();
    const std::string log = generated_log();
    write_file(path, log);
    // The shell's `read` leaves standard input just past the first line: logsift must map from
    // there, and number that input's lines from there.
    const std::string skip_first =
        "{ read -r first; '" LOGSIFT_BINARY "' reduce --verbose --max-bad 100 --threads ";
    Result sequential = shell(skip_first + "1 -; } < '" + path + "'");
    Result parallel = shell(skip_first + "2 -; } < '" + path + "'");
    CHECK(sequential.status == 0);
    CHECK(parallel.status == 0);
    CHECK(sequential.out == parallel.out);
    CHECK(sequential.err == parallel.err);
    CHECK(parallel.err.find("39999 lines read") != std::string::npos);
    CHECK(parallel.err.find("line 20011: line is longer than --max-line") != std::string::npos);
}

TEST_CASE("parallel: a file cut short while it is read ends the run with an error, not a signal") {
    TempDir dir;
    const std::string path = (dir / "rotated.log").string();
    std::string log;
    for (int i = 0; i < 12; ++i)  // about 40 MB, a few tenths of a second to read
        log += generated_log();
    // logrotate's copytruncate, at a few moments of the read: whenever it lands, logsift ends
    // with status 0 (before the read, or after it) or 1 (during it), never by SIGBUS.
    for (const char* delay : {"0.2", "0.35", "0.5"}) {
        CAPTURE(std::string(delay));
        write_file(path, log);
        Result run =
            shell("'" LOGSIFT_BINARY "' summary --quiet --max-bad 100 --threads 2 -o /dev/null '" +
                  path + "' & sleep " + delay + "; : > '" + path + "'; wait $!");
        CHECK((run.status == 0 || run.status == 1));
        if (run.status == 1 && run.err.find("got shorter") != std::string::npos) {
            CHECK(run.err.find("rotated.log: the file got shorter while it was read") !=
                  std::string::npos);
        }
        CHECK(run.err.find("got shorter") == run.err.rfind("got shorter"));  // said once
    }
}
