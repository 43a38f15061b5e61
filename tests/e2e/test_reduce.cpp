// `logsift reduce` end to end: codecs, stdin, line ends, overlong lines, output formats.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace e2e;

namespace {

const std::string expected_sample = read_file(data("codecs/sample.expected.tsv"));

std::string sample_bytes() {
    return read_file(data("codecs/sample.log"));
}

}  // namespace

TEST_CASE("reduce: the plain sample gives the hand-reduced records") {
    Result result = logsift({"reduce", "--quiet", data("codecs/sample.log").string()});
    CHECK(result.status == 0);
    CHECK(result.err == "");
    CHECK(result.out == expected_sample);
}

TEST_CASE("reduce: every codec is told from its bytes, in files and on stdin") {
    for (const char* name :
         {"sample.log.gz", "sample.log.bz2", "sample.log.xz", "sample.log.zst", "concat.log.gz"}) {
        CAPTURE(name);
        Result from_file = logsift({"reduce", "--quiet", data(std::string("codecs/") + name)});
        CHECK(from_file.status == 0);
        CHECK(from_file.out == expected_sample);
        Result from_stdin =
            logsift({"reduce", "--quiet"}, read_file(data(std::string("codecs/") + name)));
        CHECK(from_stdin.status == 0);
        CHECK(from_stdin.out == expected_sample);
    }
}

TEST_CASE("reduce: a compressed file under a misleading name is still decoded") {
    TempDir dir;
    fs::copy_file(data("codecs/sample.log.zst"), dir / "access.log");
    Result result = logsift({"reduce", "--quiet", (dir / "access.log").string()});
    CHECK(result.out == expected_sample);
}

TEST_CASE("reduce: '-' reads stdin between files, in command-line order") {
    TempDir dir;
    std::string lines = sample_bytes();
    std::vector<std::string> rows = split_lines(expected_sample);
    write_file(dir / "first.log", lines.substr(0, lines.find('\n') + 1));
    Result result =
        logsift({"reduce", "--quiet", (dir / "first.log").string(), "-"}, sample_bytes());
    CHECK(result.status == 0);
    CHECK(result.out == rows[0] + "\n" + expected_sample);
}

TEST_CASE("reduce: CRLF line ends and a missing final newline") {
    std::string crlf;
    for (const std::string& line : split_lines(sample_bytes()))
        crlf += line + "\r\n";
    CHECK(logsift({"reduce", "--quiet"}, crlf).out == expected_sample);

    std::string unterminated = sample_bytes();
    unterminated.pop_back();
    CHECK(logsift({"reduce", "--quiet"}, unterminated).out == expected_sample);
}

TEST_CASE("reduce: an overlong line is skipped and counted, the lines around it are kept") {
    std::vector<std::string> lines = split_lines(sample_bytes());
    std::string input = lines[0] + "\n" + std::string(300000, 'x') + "\n";
    for (std::size_t i = 1; i < lines.size(); ++i)
        input += lines[i] + "\n";
    Result result = logsift({"reduce", "--format", "combined", "--max-bad", "50"}, input);
    CHECK(result.status == 0);
    CHECK(result.out == expected_sample);
    CHECK(result.err.find("6 lines read, 5 parsed, 1 skipped") != std::string::npos);
    CHECK(result.err.find("line 2: line is longer than --max-line") != std::string::npos);

    // A smaller limit turns the sample's own lines into overlong ones.
    Result tight = logsift({"reduce", "--format", "combined", "--max-line", "114", "--max-bad",
                            "100", data("codecs/sample.log").string()});
    CHECK(split_lines(tight.out).size() == 2);  // only lines 2 (114 bytes) and 4 (111) fit
}

TEST_CASE("reduce: overlong lines before the first good line do not hide the format") {
    std::string input =
        std::string(100000, 'x') + "\n" + std::string(5000000, 'y') + "\n" + sample_bytes();
    Result result = logsift({"reduce", "--verbose", "--max-bad", "50"}, input);
    CHECK(result.status == 0);
    CHECK(result.out == expected_sample);
    CHECK(result.err.find("<stdin>: format combined (5 of 5 sample lines parsed)") !=
          std::string::npos);
    CHECK(result.err.find("7 lines read, 5 parsed, 2 skipped") != std::string::npos);

    Result strict = logsift({"reduce", "--strict"}, input);
    CHECK(strict.status == 1);
    CHECK(strict.out == "");
    CHECK(strict.err.find("<stdin>: line 1: line is longer than --max-line") != std::string::npos);
}

TEST_CASE("reduce: --fields chooses and orders columns and --header names them") {
    Result tsv = logsift({"reduce", "--quiet", "--header", "--fields", "status,network,resource",
                          data("codecs/sample.log").string()});
    std::vector<std::string> rows = split_lines(tsv.out);
    REQUIRE(rows.size() == 6);
    CHECK(rows[0] == "status\tnetwork\tresource");
    CHECK(rows[1] == "200\t192.0.2.0/24\t/downloads/tool-1.2.3.tar.gz");
    CHECK(rows[4] == "404\t2001:db8:4::/48\t/downloads/");

    Result csv = logsift({"reduce", "--quiet", "--header", "--output-format", "csv", "--fields",
                          "time,referrer_host,bytes", data("codecs/sample.log").string()});
    rows = split_lines(csv.out);
    REQUIRE(rows.size() == 6);
    CHECK(rows[0] == "time,referrer_host,bytes");
    CHECK(rows[1] == "2026-10-08T10:00:00+00:00,www.example.com,1048576");
    CHECK(rows[2] == "2026-10-08T10:00:00+00:00,,4096");

    Result bad = logsift({"reduce", "--fields", "status,ip", data("codecs/sample.log").string()});
    CHECK(bad.status == 2);
    CHECK(bad.err.find("logsift: error: --fields: must be one of time, network") !=
          std::string::npos);
    CHECK(bad.err.find("not 'ip'") != std::string::npos);
    CHECK(bad.out == "");
}

TEST_CASE("reduce: JSON Lines are valid JSON with numbers for status and bytes") {
    Result result = logsift(
        {"reduce", "--quiet", "--output-format", "jsonl", data("codecs/sample.log").string()});
    std::vector<std::string> rows = split_lines(result.out);
    REQUIRE(rows.size() == 5);
    nlohmann::json first = nlohmann::json::parse(rows[0]);
    CHECK(first["time"] == "2026-10-08T10:00:00+00:00");
    CHECK(first["network"] == "192.0.2.0/24");
    CHECK(first["method"] == "GET");
    CHECK(first["resource"] == "/downloads/tool-1.2.3.tar.gz");
    CHECK(first["status"] == 200);
    CHECK(first["bytes"] == 1048576);
    CHECK(first["referrer_host"] == "www.example.com");
    std::vector<std::string> keys;
    for (auto& item : first.items())
        keys.push_back(item.key());
    CHECK(keys.size() == 12);
    CHECK(nlohmann::json::parse(rows[3])["network"] == "2001:db8:4::/48");
}

TEST_CASE("reduce: JSON Lines stay valid on the real logs with escapes and raw bytes") {
    for (const char* name : {"real/apache-vhost-combined-beats.log",
                             "real/nginx-combined-malformed-binary-crowdsec.log",
                             "real/apache-combined-elastic-examples.log",
                             "real/combined-attack-probes-crowdsec.log"}) {
        CAPTURE(name);
        Result result = logsift({"reduce", "--quiet", "--max-bad", "100", "--output-format",
                                 "jsonl", data(name).string()});
        CHECK(result.status == 0);
        std::size_t valid = 0;
        std::vector<std::string> rows = split_lines(result.out);
        for (const std::string& row : rows) {
            CHECK_NOTHROW(nlohmann::json::parse(row));
            ++valid;
        }
        CHECK(valid > 0);
    }
}

TEST_CASE("reduce: -o writes the records to a file") {
    TempDir dir;
    Result result = logsift({"reduce", "--quiet", "-o", (dir / "out.tsv").string(),
                             data("codecs/sample.log").string()});
    CHECK(result.status == 0);
    CHECK(result.out == "");
    CHECK(read_file(dir / "out.tsv") == expected_sample);
}

TEST_CASE("reduce: reduction options") {
    std::string line =
        "2001:db8:aaaa:bbbb:cccc::1 - - [08/Oct/2026:23:59:59 -0700] \"GET "
        "http://www.example.com:80/a/b?x=1#frag HTTP/1.1\" 200 10 \"-\" \"-\"\n";
    Result wide = logsift({"reduce", "--quiet", "--ipv6-prefix", "64", "--time-resolution",
                           "minute", "--keep-query", "--fields", "time,network,resource"},
                          line);
    CHECK(wide.out == "2026-10-08T23:59:00-07:00\t2001:db8:aaaa:bbbb::/64\t/a/b?x=1\n");
    Result utc = logsift({"reduce", "--quiet", "--utc", "--time-resolution", "day", "--fields",
                          "time,network,resource"},
                         line);
    CHECK(utc.out == "2026-10-09T00:00:00Z\t2001:db8:aaaa::/48\t/a/b\n");
    std::string v4 = "198.51.100.77 - - [08/Oct/2026:23:59:59 +0000] \"GET / HTTP/1.1\" 200 1\n";
    CHECK(logsift({"reduce", "--quiet", "--ipv4-prefix", "16", "--fields", "network"}, v4).out ==
          "198.51.0.0/16\n");
}

TEST_CASE("reduce: --client-ip forwarded takes the right-most untrusted X-Forwarded-For hop") {
    std::string line =
        "10.0.0.5 - - [08/Oct/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" "
        "\"198.51.100.9, 203.0.113.50, 10.1.2.3\"\n";
    Result remote = logsift({"reduce", "--quiet", "--format", "main", "--fields", "network"}, line);
    CHECK(remote.out == "10.0.0.0/24\n");
    Result forwarded = logsift({"reduce", "--quiet", "--format", "main", "--client-ip", "forwarded",
                                "--trusted-proxy", "10.0.0.0/8", "--fields", "network"},
                               line);
    CHECK(forwarded.out == "203.0.113.0/24\n");
    Result trusting = logsift(
        {"reduce", "--quiet", "--format", "main", "--client-ip", "forwarded", "--trusted-proxy",
         "10.0.0.0/8", "--trusted-proxy", "203.0.113.0/24", "--fields", "network"},
        line);
    CHECK(trusting.out == "198.51.100.0/24\n");
}

TEST_CASE("reduce: NUL bytes and invalid UTF-8 never stop a run") {
    std::string line = "192.0.2.1 - - [08/Oct/2026:10:00:00 +0000] \"GET /caf\xe9/a";
    line += std::string(1, '\0');
    line += "b HTTP/1.1\" 200 5 \"-\" \"agent\xff\xfe\"\n";
    std::string input = line + read_file(data("codecs/sample.log")) + line;
    Result tsv = logsift({"reduce", "--quiet", "--format", "combined"}, input);
    CHECK(tsv.status == 0);
    CHECK(split_lines(tsv.out).size() == 7);
    Result json =
        logsift({"reduce", "--quiet", "--format", "combined", "--output-format", "jsonl"}, input);
    std::vector<std::string> rows = split_lines(json.out);
    REQUIRE(rows.size() == 7);
    nlohmann::json first = nlohmann::json::parse(rows[0]);
    // The byte 0xE9 is not UTF-8: it is written as U+00E9; the NUL as \u0000.
    CHECK(first["resource"] == std::string("/caf\xc3\xa9/a") + std::string(1, '\0') + "b");
}

TEST_CASE("reduce: --progress draws one line on stderr and erases it; never without a terminal") {
    TempDir dir;
    std::string big;
    std::string sample = read_file(data("codecs/sample.log"));
    for (int i = 0; i < 60000; ++i)
        big += sample;
    std::string path = (dir / "big.log").string();
    write_file(path, big);

    // The tests' stderr is a file, not a terminal: no progress unless asked for.
    Result plain = logsift({"reduce", "--threads", "1", "-o", "/dev/null", path});
    CHECK(plain.err == "logsift: 300000 lines read, 300000 parsed, 0 skipped\n");

    Result asked = logsift({"reduce", "--threads", "1", "--progress", "-o", "/dev/null", path});
    CHECK(asked.status == 0);
    const std::string stats = "logsift: 300000 lines read, 300000 parsed, 0 skipped\n";
    REQUIRE(asked.err.size() >= stats.size());
    CHECK(asked.err.substr(asked.err.size() - stats.size()) == stats);
    std::string before = asked.err.substr(0, asked.err.size() - stats.size());
    if (!before.empty()) {
        // Each redraw starts with a carriage return; the last one erases the line.
        CHECK(before.front() == '\r');
        CHECK(before.find("big.log: ") != std::string::npos);
        CHECK(before.find("lines/s") != std::string::npos);
        CHECK(before.substr(before.size() - 4) == "\r\033[K");
    }
    Result off = logsift(
        {"reduce", "--threads", "1", "--progress", "--no-progress", "-o", "/dev/null", path});
    CHECK(off.err == stats);
}
