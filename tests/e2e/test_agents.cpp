// User agents end to end: known lines of the real logs, the full string never printed, and
// what happens without uap-core's rules.
#include <doctest/doctest.h>

#include "harness.hpp"

using namespace e2e;

namespace {

std::string line_of(const std::string& file, std::size_t number) {
    return split_lines(read_file(data(file))).at(number - 1) + "\n";
}

std::string agent_of(const std::string& line) {
    return logsift({"reduce", "--quiet", "--format", "combined", "--fields",
                    "agent,agent_version,agent_class"},
                   line)
        .out;
}

}  // namespace

TEST_CASE("agents: known lines of the real logs") {
    // "Debian APT-HTTP/1.3 (0.8.16~exp12ubuntu10.21)": APT's HTTP transport, version 1.3.
    CHECK(agent_of(line_of("real/nginx-combined-elastic-examples-head.log", 1)) ==
          "Debian APT-HTTP\t1.3\ttool\n");
    // "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    CHECK(agent_of(line_of("real/apache-combined-elastic-examples.log", 33)) ==
          "Googlebot\t2.1\tbot\n");
    // Googlebot for smartphones hides behind an iPhone Safari string: still a bot.
    CHECK(agent_of(line_of("real/apache-combined-elastic-examples.log", 31)) ==
          "Googlebot\t2.1\tbot\n");
    // No user agent sent.
    CHECK(agent_of("192.0.2.1 - - [08/Oct/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" "
                   "\"-\"\n") == "Other\t\tother\n");
}

TEST_CASE("agents: only family, version and class leave reduce, never the full string") {
    std::string input =
        "192.0.2.1 - - [08/Oct/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" "
        "\"Mozilla/5.0 (CanaryOS 9.9; uniqueUAcanary) Gecko/20100101 Firefox/120.0\"\n"
        "192.0.2.1 - - [08/Oct/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" "
        "\"curl/8.4.0 uniqueUAcanary\"\n"
        "192.0.2.1 - - [08/Oct/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" "
        "\"CanaryOS uniqueUAcanary\"\n";
    for (const char* format : {"tsv", "csv", "jsonl"}) {
        Result result = logsift({"reduce", "--quiet", "--output-format", format}, input);
        CHECK(result.out.find("uniqueUAcanary") == std::string::npos);
        CHECK(result.out.find("CanaryOS") == std::string::npos);
        CHECK(result.out.find("Gecko") == std::string::npos);
    }
    CHECK(
        logsift({"reduce", "--quiet", "--fields", "agent,agent_version,agent_class"}, input).out ==
        "Firefox\t120.0\tbrowser\ncurl\t8.4.0\ttool\nOther\t\tother\n");
}

TEST_CASE("agents: without uap-core's rules the run stops with status 2 and says how to fix it") {
    std::string sample = data("codecs/sample.log").string();
    Result missing = logsift({"reduce", "--ua-regexes", "/nonexistent/regexes.yaml", sample});
    CHECK(missing.status == 2);
    CHECK(missing.out == "");
    CHECK(missing.err.find("apt-get install uap-core") != std::string::npos);
    CHECK(missing.err.find("--ua-regexes") != std::string::npos);

    // The environment variable is the second place looked at.
    Result env = run_program("/usr/bin/env", {"LOGSIFT_UA_REGEXES=/nonexistent/regexes.yaml",
                                              LOGSIFT_BINARY, "summary", sample});
    CHECK(env.status == 2);

    // Columns without agents do not need the rules at all.
    Result network = logsift({"reduce", "--quiet", "--ua-regexes", "/nonexistent/regexes.yaml",
                              "--fields", "network", sample});
    CHECK(network.status == 0);
    CHECK(split_lines(network.out).size() == 5);
}

TEST_CASE("agents: text that uap-core's rules capture leaves reduce only as a product name") {
    // Each agent is one that uap-core's rules copy into the family or the version as it is.
    const char* agents[] = {
        "alice.smith@example.com password=hunter2 CNRYUA01/1.0 CFNetwork/1240.0.4 Darwin/20.0.0",
        "JohnDoeSecret123bot/1.0",
        "secret-token-abc Crawler/2.0",
        "ArcGIS Pro 3.1.CNRYUA04-user=alice",
        "=HYPERLINK(1)/1.0 CFNetwork/1240.0.4 Darwin/20.0.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/8.123456789.987654 Safari/537.36",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    };
    std::string input;
    for (const char* agent : agents) {
        input += "192.0.2.1 - - [08/Oct/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"";
        input += agent;
        input += "\"\n";
    }
    CHECK(logsift({"reduce", "--quiet", "--format", "combined", "--fields",
                   "agent,agent_version,agent_class"},
                  input)
              .out ==
          "Other\t\tother\n"
          "Other bot\t\tbot\n"
          "Other bot\t\tbot\n"
          "ArcGIS Pro\t\tbrowser\n"
          "Other\t\tother\n"
          "Chrome\t\tbrowser\n"
          "Googlebot\t2.1\tbot\n");
    for (const char* format : {"tsv", "csv", "jsonl"}) {
        INFO(std::string(format));
        const Result result = logsift(
            {"reduce", "--quiet", "--format", "combined", "--output-format", format}, input);
        CHECK(result.status == 0);
        for (const char* canary : {"alice", "hunter2", "CNRYUA", "JohnDoe", "Secret123",
                                   "secret-token", "HYPERLINK", "123456789", "987654"}) {
            INFO(std::string(canary));
            CHECK(result.out.find(canary) == std::string::npos);
        }
    }
}
