// The promise: no raw client address, user name, query string, full user agent or referrer
// path reaches stdout, stderr or a written file, on the normal path or any error path.
#include <doctest/doctest.h>

#include "harness.hpp"

using namespace e2e;

namespace {

// Each canary is unique text that only a leak could carry into an output.
const std::vector<std::string> canaries = {
    "198.51.100.213",        // full IPv4 client
    "2001:db8:cafe:beef",    // IPv6 client beyond its /48
    "cafe:beef:1234",        //
    "203.0.113.199",         // X-Forwarded-For hop
    "host-canary77",         // host-name client (HostnameLookups On)
    "canaryuser7731",        // remote user
    "CANARYTOKEN123",        // query string secret
    "canary.person",         // e-mail address in a query string
    "token=",                //
    "uniqueUAcanary",        // full user agent
    "CanaryOS",              //
    "canary-referrer-path",  // referrer path
    "canaryq",               // referrer query
    "frag-canary",           // fragment
};

const std::string canary_log =
    "198.51.100.213 - canaryuser7731 [08/Oct/2026:10:15:01 +0000] \"GET "
    "/download/tool.tar.gz?token=CANARYTOKEN123&mail=canary.person%40example.org HTTP/1.1\" 200 "
    "512 \"https://ref.example.com/canary-referrer-path/secret?q=canaryq#frag-canary\" "
    "\"Mozilla/5.0 (CanaryOS 9.9; uniqueUAcanary) Gecko/20100101 Firefox/120.0\" "
    "\"203.0.113.199, 10.0.0.1\"\n"
    "2001:db8:cafe:beef:1234:5678:9abc:def0 - canaryuser7731 [08/Oct/2026:10:16:01 +0000] \"GET "
    "http://www.example.com/p?token=CANARYTOKEN123#frag-canary HTTP/1.1\" 206 1 "
    "\"//ref.example.com/canary-referrer-path\" \"curl/8.4.0 uniqueUAcanary\" \"-\"\n"
    "host-canary77.dialup.example.net - canaryuser7731 [08/Oct/2026:10:17:01 +0000] \"POST "
    "/form?mail=canary.person@example.org HTTP/1.0\" 302 0 \"-\" \"CanaryOS uniqueUAcanary\" "
    "\"-\"\n";

// Bad lines full of canaries: an unterminated quote, a bad status, a bad time, junk.
const std::string canary_bad_lines =
    "198.51.100.213 - canaryuser7731 [08/Oct/2026:10:15:01 +0000] \"GET /x?token=CANARYTOKEN123 "
    "HTTP/1.1\" 200 5 \"https://ref.example.com/canary-referrer-path\" \"Mozilla/5.0 (CanaryOS; "
    "uniqueUAcanary\n"
    "198.51.100.213 - canaryuser7731 [08/Oct/2026:10:15:01 +0000] \"GET /x?token=CANARYTOKEN123 "
    "HTTP/1.1\" 2OO 5 \"-\" \"uniqueUAcanary\" \"-\"\n"
    "198.51.100.213 - canaryuser7731 [99/Xyz/2026:10:15:01 +0000] \"GET /x?token=CANARYTOKEN123 "
    "HTTP/1.1\" 200 5 \"-\" \"uniqueUAcanary\" \"-\"\n"
    "canaryuser7731 CANARYTOKEN123 uniqueUAcanary 198.51.100.213\n";

void check_clean(const std::string& where, const std::string& text) {
    for (const std::string& canary : canaries) {
        CAPTURE(where);
        CAPTURE(canary);
        CHECK(text.find(canary) == std::string::npos);
    }
}

void check_clean(const Result& result) {
    check_clean("stdout", result.out);
    check_clean("stderr", result.err);
}

}  // namespace

TEST_CASE("privacy: the canary log is reduced, so the test exercises real output") {
    Result result =
        logsift({"reduce", "--format", "main", "--fields", "network,resource"}, canary_log);
    CHECK(result.status == 0);
    CHECK(result.out ==
          "198.51.100.0/24\t/download/tool.tar.gz\n"
          "2001:db8:cafe::/48\t/p\n"
          "example.net\t/form\n");
}

TEST_CASE("privacy: no canary in any output format, on stdout or in -o files") {
    TempDir dir;
    for (const char* output_format : {"tsv", "csv", "jsonl"}) {
        for (const char* client_ip : {"remote", "forwarded"}) {
            CAPTURE(output_format);
            CAPTURE(client_ip);
            std::vector<std::string> args = {"reduce",      "--format",        "main",
                                             "--header",    "--output-format", output_format,
                                             "--client-ip", client_ip,         "--verbose"};
            Result result = logsift(args, canary_log);
            CHECK(result.status == 0);
            CHECK(split_lines(result.out).size() >= 3);
            check_clean(result);

            std::string out_file = (dir / (std::string("out.") + output_format)).string();
            args.push_back("-o");
            args.push_back(out_file);
            result = logsift(args, canary_log);
            CHECK(result.status == 0);
            check_clean(result);
            check_clean(out_file, read_file(out_file));
        }
    }
}

TEST_CASE("privacy: no canary in the reports of bad lines, --verbose or --strict") {
    std::string input = canary_log + canary_bad_lines + canary_log;
    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {"reduce", "--format", "main"},
             {"reduce", "--format", "main", "--verbose"},
             {"reduce", "--format", "main", "--strict"},
             {"reduce", "--format", "combined", "--verbose"},
             {"reduce", "--verbose"},
             {"reduce", "--max-line", "100", "--verbose"},
             {"reduce", "--output-format", "jsonl", "--format", "main", "--verbose"}}) {
        Result result = logsift(args, input);
        CAPTURE(result.err);
        CHECK(result.status != 0);  // strict, or too many bad lines: the error paths ran
        CHECK(result.err.find("line ") != std::string::npos);
        check_clean(result);
    }
}

TEST_CASE("privacy: no canary when detection fails or a format string is bad") {
    std::string junk;
    for (int i = 0; i < 5; ++i)
        junk += canary_bad_lines;
    Result detection = logsift({"reduce", "--verbose"}, junk);
    CHECK(detection.status == 2);
    check_clean(detection);
    Result detect = logsift({"formats", "--detect", "-", "--verbose"}, junk);
    check_clean(detect);
    Result bad_format = logsift({"reduce", "--format", "$remote_addr ${unterminated"}, canary_log);
    CHECK(bad_format.status == 2);
    check_clean(bad_format);
}

TEST_CASE("privacy: no canary with country lookups on, from either database") {
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"reduce", "--format", "main", "--verbose", "--output-format", "jsonl"},
             {"reduce", "--format", "main", "--verbose", "--geoip",
              data("geoip/GeoIP2-Country-Test.mmdb").string()},
             {"sources", "--format", "main", "--verbose", "--dimension", "country,network"},
             {"summary", "--format", "main", "--output-format", "json", "--geoip",
              data("geoip/GeoLite2-Country-Test.mmdb").string()}}) {
        Result result = logsift(args, canary_log + canary_bad_lines);
        CHECK(result.out.size() > 20);
        check_clean(result);
    }
}

TEST_CASE("privacy: no canary in downloads, sources, summary or merge, in any output format") {
    TempDir dir;
    std::string log = (dir / "canary.log").string();
    write_file(log, canary_log + canary_log);
    for (const char* report : {"downloads", "sources", "summary"}) {
        for (const char* format : {"table", "tsv", "csv", "json"}) {
            CAPTURE(report);
            CAPTURE(format);
            Result result = logsift({report, "--format", "main", "--output-format", format,
                                     "--include-bots", "--verbose", log});
            CHECK(result.status == 0);
            CHECK(result.out.size() > 20);
            check_clean(result);
        }
    }
    // Every filter path: the selected client is followed by its full address, never printed.
    Result followed = logsift({"sources", "--format", "main", "--client", "198.51.100.213",
                               "--status", "2xx", "--since", "2026-10-08", "--verbose", log});
    CHECK(followed.out.find("198.51.100.0/24") != std::string::npos);
    check_clean(followed);

    std::string summary = (dir / "summary.json").string();
    REQUIRE(logsift({"summary", "--format", "main", "--output-format", "json", "-o", summary, log})
                .status == 0);
    check_clean(summary, read_file(summary));
    Result merged = logsift({"merge", summary, summary});
    CHECK(merged.status == 0);
    check_clean(merged);
    for (const char* report : {"downloads", "sources", "summary"}) {
        Result from = logsift({report, "--from", summary, "--output-format", "json"});
        CHECK(from.status == 0);
        check_clean(from);
    }
}
