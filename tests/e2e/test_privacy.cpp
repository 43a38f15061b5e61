// The promise: no raw client address, user name, query string, full user agent or referrer
// path reaches stdout, stderr or a written file, on the normal path or any error path.
#include <doctest/doctest.h>

#include "harness.hpp"
#include "skip.hpp"

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

TEST_CASE("privacy: no canary in downloads, sources, summary or merge, in any output format" *
          doctest::test_suite("slow")) {
    TempDir dir;
    std::string log = (dir / "canary.log").string();
    write_file(log, canary_log + canary_log);
    for (const char* report : {"downloads", "sources", "summary"}) {
        for (const char* format : {"table", "tsv", "csv", "json"}) {
            CAPTURE(report);
            CAPTURE(format);
            // sources counts no downloads, so it takes no --include-bots.
            std::vector<std::string> args{report, "--format",  "main", "--output-format",
                                          format, "--verbose", log};
            if (std::string(report) != "sources") args.push_back("--include-bots");
            Result result = logsift(args);
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

// Every column holds only what it names. Each line below carries values that once came out
// whole: an IPv4 address inside an IPv6 one, personal host names, address literals and
// intranet names as referrers, free text captured into the agent family or version, the Host
// header, words as methods, tokens in paths. The format has a vhost and X-Forwarded-For, so
// every column is filled.
namespace {

const std::string column_format =
    R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent )"
    R"("$http_referer" "$http_user_agent" "$http_x_forwarded_for" "$http_host")";

// The vhost column names the site's own hosts; any other Host header is "(other)".
const std::string site_hosts = "www.example.com,example.com";

const std::vector<std::string> column_canaries = {
    "cb00:714d",  // 6to4, NAT64 and mapped forms of 203.0.113.77
    "203.0.113.77",   "ff9b",
    "3fff:fdd2",  // Teredo: the client's obfuscated address
    "192.0.2.45",
    "c633:6478",  // ISATAP interface id of 198.51.100.120
    "198.51.100.120",
    "198.51.100.2",  // clients .20 to .29
    "alice",         // host-name client, e-mail in agent, vhost and path
    "johnsmith",      "203-0-113-78", "ec2-",
    "3405803853",  // decimal, hex and octal address referrers
    "0xcb00714d",     "0161.0115",    "cafe:beef",     "ffff:cb00",    "192.168.9.212",
    "127.0.0.1",      "localhost",    "wikicanary",    "canarybox",    "canaryapp",
    "CNRYUA01",  // agent family and version
    "hunter2",        "password",     "JohnDoe",       "secret-token", "CNRYUA04",
    "user=",          "123456789",    "987654",        "HYPERLINK",
    "CNRYHOST04",  // vhost
    "203.0.113.99",
    "CanaryClient",  // method
    "SSH-2.0",        "MGLNDD",       "198.51.100.7_", "batmancanary",
    "CNRYSESS01",  // resource
    "jsessionid",     "CNRYTOKEN",    "canary-host",   "8f14e45f",     "c0ffee00",
};

std::string column_line(const std::string& client, const std::string& request,
                        const std::string& referrer, const std::string& agent,
                        const std::string& forwarded, const std::string& host) {
    return client + " - - [08/Oct/2026:10:15:01 +0000] \"" + request + "\" 200 512 \"" + referrer +
           "\" \"" + agent + "\" \"" + forwarded + "\" \"" + host + "\"\n";
}

const std::string column_log =
    column_line("2002:cb00:714d::1", "GET /download/tool-1.2.3.tar.gz HTTP/1.1",
                "http://3405803853/canary-referrer-path",
                "CNRYUA01 alice.smith@example.com password=hunter2/1.0 CFNetwork/1.0 Darwin/20.0",
                "2002:cb00:714d::1", "alice@example.com CNRYHOST04 password=x") +
    column_line("alice.dyndns.org", "GET /app;jsessionid=CNRYSESS01/view HTTP/1.1",
                "http://0xcb00714d/", "JohnDoeSecret123bot/1.0", "64:ff9b::cb00:714d",
                "Example.COM:443") +
    column_line("johnsmith.no-ip.org", "GET /reset/CNRYTOKEN0123456789abcdef HTTP/1.1",
                "https://[2001:db8:cafe:beef::1]:8443/x", "secret-token-abc Crawler/2.1",
                "2001:0:4136:e378:8000:63bf:3fff:fdd2", "www.example.com") +
    column_line("ec2-203-0-113-78.us-west-2.compute.amazonaws.com", "SSH-2.0-CanaryClient",
                "http://[::ffff:cb00:714d]/", "ArcGIS Pro 3.1.CNRYUA04-user=alice", "-", "-") +
    column_line("198.51.100.20", "MGLNDD_198.51.100.7_443", "http://192.168.9.212/",
                "=HYPERLINK(1)", "2001:db8:1:2:0:5efe:c633:6478", "www.example.com") +
    column_line("198.51.100.21", "CONNECT canary-host.example:443 HTTP/1.1",
                "http://wikicanary/page", "curl/8.123456789.987654", "-", "www.example.com") +
    column_line("198.51.100.22", "GET /users/alice.canary@example.com/profile HTTP/1.1",
                "http://203.0.113.77.nip.io/", "curl/8.4.0", "-", "203.0.113.99") +
    column_line("198.51.100.23", "batmancanary / HTTP/1.1", "android-app://com.canaryapp.mail/",
                "Wget/1.21.4", "-", "[2001:db8:cafe:beef::2]:8080") +
    column_line("64:ff9b::cb00:714d",
                "GET /d/8f14e45f-ceea-467f-a0e6-c0ffee00beef/tool-1.2.3.tar.gz HTTP/1.1",
                "http://canarybox.local/", "Wget/1.21.4", "-", "www.example.com") +
    column_line("2001:0:4136:e378:8000:63bf:3fff:fdd2", "GET / HTTP/1.1",
                "http://0313.0.0161.0115/", "curl/8.4.0", "-", "www.example.com") +
    column_line("2001:db8:1:2:0:5efe:c633:6478", "GET / HTTP/1.1", "http://127.0.0.1:8080/admin",
                "curl/8.4.0", "-", "www.example.com") +
    column_line("198.51.100.24", "GET / HTTP/1.1", "http://localhost/", "curl/8.4.0", "-",
                "www.example.com") +
    column_line("198.51.100.25", "GET / HTTP/1.1",
                "chrome-extension://cnryextabcdefghijklmnopabcdefgh/popup.html", "curl/8.4.0", "-",
                "cnryhost05.example.org");

void check_columns_clean(const std::string& where, const std::string& text) {
    for (const std::string& canary : column_canaries) {
        CAPTURE(where);
        CAPTURE(canary);
        CHECK(text.find(canary) == std::string::npos);
    }
}

void check_columns_clean(const std::string& where, const Result& result) {
    check_columns_clean(where + " stdout", result.out);
    check_columns_clean(where + " stderr", result.err);
}

// No CSV cell may start with a byte a spreadsheet reads as the start of a formula.
void check_no_formula_cells(const std::string& where, const std::string& csv) {
    for (const std::string& line : split_lines(csv)) {
        for (std::size_t at = 0; at <= line.size(); at = line.find(',', at) + 1) {
            CAPTURE(where);
            CAPTURE(line);
            const std::string_view cell = std::string_view(line).substr(at);
            const std::string_view inside =
                cell.starts_with('"') ? cell.substr(1) : cell;  // a quoted cell's first byte
            CHECK((inside.empty() ||
                   std::string_view("=+-@\t\r").find(inside[0]) == std::string_view::npos));
            if (line.find(',', at) == std::string::npos) break;
        }
    }
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

}  // namespace

TEST_CASE("privacy: each column of the canary log holds what it names") {
    Result result =
        logsift({"reduce", "--format", column_format, "--site-host", site_hosts, "--fields",
                 "network,method,resource,agent,agent_version,agent_class,"
                 "referrer_host,vhost"},
                column_log);
    CHECK(result.status == 0);
    const std::vector<std::string> rows = split_lines(result.out);
    REQUIRE(rows.size() == 13);
    // network method resource agent agent_version agent_class referrer_host vhost
    CHECK(rows[0] ==
          "203.0.113.0/24\tGET\t/download/tool-1.2.3.tar.gz\tOther\t\tother\t203.0.113.0/24"
          "\t(invalid)");
    CHECK(rows[1] == "dyndns.org\tGET\t/app/view\tOther bot\t\tbot\t203.0.113.0/24\texample.com");
    CHECK(rows[2] ==
          "no-ip.org\tGET\t/reset/{}\tOther bot\t\tbot\t2001:db8:cafe::/48"
          "\twww.example.com");
    CHECK(rows[3] == "amazonaws.com\tOTHER\t\tArcGIS Pro\t\tbrowser\t203.0.113.0/24\t");
    CHECK(rows[4] == "198.51.100.0/24\tOTHER\t\tOther\t\tother\t(internal)\twww.example.com");
    CHECK(rows[5] == "198.51.100.0/24\tCONNECT\t\tcurl\t\ttool\t(internal)\twww.example.com");
    CHECK(rows[6] ==
          "198.51.100.0/24\tGET\t/users/{email}/profile\tcurl\t8.4.0\ttool\tnip.io"
          "\t(address)");
    CHECK(rows[7] == "198.51.100.0/24\tOTHER\t/\tWget\t1.21.4\ttool\tandroid-app\t(address)");
    CHECK(rows[8] ==
          "203.0.113.0/24\tGET\t/d/{uuid}/tool-1.2.3.tar.gz\tWget\t1.21.4\ttool"
          "\t(internal)\twww.example.com");
    CHECK(rows[9] == "192.0.2.0/24\tGET\t/\tcurl\t8.4.0\ttool\t203.0.113.0/24\twww.example.com");
    CHECK(rows[10] == "198.51.100.0/24\tGET\t/\tcurl\t8.4.0\ttool\t(internal)\twww.example.com");
    CHECK(rows[11] == "198.51.100.0/24\tGET\t/\tcurl\t8.4.0\ttool\t(internal)\twww.example.com");
    CHECK(rows[12] ==
          "198.51.100.0/24\tGET\t/\tcurl\t8.4.0\ttool\tchrome-extension"
          "\t(other)");

    // The client from X-Forwarded-For goes through the same rules.
    Result forwarded = logsift({"reduce", "--format", column_format, "--site-host", site_hosts,
                                "--client-ip", "forwarded", "--fields", "network"},
                               column_log);
    CHECK(forwarded.status == 0);
    const std::vector<std::string> networks = split_lines(forwarded.out);
    REQUIRE(networks.size() == 13);
    CHECK(networks[0] == "203.0.113.0/24");   // 6to4
    CHECK(networks[1] == "203.0.113.0/24");   // NAT64
    CHECK(networks[2] == "192.0.2.0/24");     // Teredo
    CHECK(networks[4] == "198.51.100.0/24");  // ISATAP
}

TEST_CASE("privacy: no column canary in reduce, in any output format, to stdout or -o" *
          doctest::test_suite("slow")) {
    TempDir dir;
    for (const char* output_format : {"tsv", "csv", "jsonl"}) {
        for (const char* client_ip : {"remote", "forwarded"}) {
            CAPTURE(output_format);
            CAPTURE(client_ip);
            std::vector<std::string> args = {"reduce",          "--format",    column_format,
                                             "--site-host",     site_hosts,    "--header",
                                             "--output-format", output_format, "--verbose",
                                             "--client-ip",     client_ip};
            Result result = logsift(args, column_log);
            CHECK(result.status == 0);
            CHECK(split_lines(result.out).size() >= 12);
            check_columns_clean("reduce", result);
            const std::string out_file = (dir / "out").string();
            if (std::string(output_format) == "csv") check_no_formula_cells("reduce", result.out);
            result = logsift(with(args, {"-o", out_file}), column_log);
            CHECK(result.status == 0);
            check_columns_clean("reduce -o", result);
            check_columns_clean("-o file", read_file(out_file));
        }
    }
}

TEST_CASE("privacy: no column canary in any report, spilled or not, nor in merge and --from" *
          doctest::test_suite("slow")) {
    TempDir dir;
    const std::string log = (dir / "canary.log").string();
    write_file(log, column_log + column_log);
    for (const char* report : {"downloads", "sources", "summary"}) {
        for (const char* output_format : {"table", "tsv", "csv", "json"}) {
            for (const char* rows_in_memory : {"0", "1"}) {
                CAPTURE(report);
                CAPTURE(output_format);
                CAPTURE(rows_in_memory);
                std::vector<std::string> args{report,         "--format",  column_format,
                                              "--site-host",  site_hosts,  "--output-format",
                                              output_format,  "--verbose", "--rows-in-memory",
                                              rows_in_memory, log};
                if (std::string(report) != "sources") args.push_back("--include-bots");
                Result result = logsift(args);
                CHECK(result.status == 0);
                CHECK(result.out.size() > 20);
                check_columns_clean(report, result);
                if (std::string(output_format) == "csv") check_no_formula_cells(report, result.out);
            }
        }
    }
    const std::string summary = (dir / "summary.json").string();
    REQUIRE(logsift({"summary", "--format", column_format, "--site-host", site_hosts,
                     "--output-format", "json", "--include-bots", "-o", summary, log})
                .status == 0);
    check_columns_clean("summary file", read_file(summary));
    Result merged = logsift({"merge", summary, summary});
    CHECK(merged.status == 0);
    check_columns_clean("merge", merged);
    for (const char* report : {"downloads", "sources", "summary"}) {
        for (const char* output_format : {"table", "json"}) {
            Result from = logsift({report, "--from", summary, "--output-format", output_format});
            CHECK(from.status == 0);
            check_columns_clean("--from", from);
        }
    }
}

TEST_CASE("privacy: no column canary in a log reduced in place, nor in its messages") {
    TempDir dir;
    for (const char* output_format : {"tsv", "jsonl"}) {
        // K 1: every record as reduced; 2: generalized; the default (5): mostly suppressed.
        for (const char* k : {"1", "2", ""}) {
            CAPTURE(output_format);
            CAPTURE(k);
            const std::string log = (dir / "access.log.1").string();
            write_file(log, column_log + column_log + canary_bad_lines);
            std::vector<std::string> args = {"reduce",          "--in-place",  "--format",
                                             column_format,     "--site-host", site_hosts,
                                             "--output-format", output_format, "--verbose",
                                             "--max-bad",       "100"};
            if (*k) args.insert(args.end(), {"--k-anonymity", k});
            if (std::string(k) == "2") args.insert(args.end(), {"--k-period", "all"});
            Result result = logsift(with(args, {log}));
            CHECK(result.status == 0);
            CHECK(result.err.find("line ") != std::string::npos);
            if (*k) CHECK(split_lines(read_file(log)).size() >= 13);
            check_columns_clean("in-place messages", result);
            check_columns_clean("in-place file", read_file(log));
            check_clean("in-place file", read_file(log));
        }
    }
}

// Generalized records hold values of the chain only: wider networks, registrable domains,
// majors, (other). From files (read twice) and from standard input (held), to stdout and -o.
TEST_CASE("privacy: no canary in k-anonymous records, generalized or held" *
          doctest::test_suite("slow")) {
    TempDir dir;
    const std::string column_file = (dir / "column.log").string();
    const std::string main_file = (dir / "main.log").string();
    write_file(column_file, column_log + column_log);
    write_file(main_file, canary_log + canary_bad_lines + canary_log);
    for (const auto& [format, log] :
         {std::pair{column_format, column_file}, std::pair{std::string("main"), main_file}}) {
        for (const char* output_format : {"tsv", "csv", "jsonl"}) {
            for (const char* k : {"2", "3"}) {
                CAPTURE(format);
                CAPTURE(output_format);
                CAPTURE(k);
                const std::vector<std::string> args = {
                    "reduce",      "--format",      format, "--site-host",
                    site_hosts,    "--k-anonymity", k,      "--k-period",
                    "all",         "--max-bad",     "100",  "--output-format",
                    output_format, "--verbose"};
                Result from_file = logsift(with(args, {log}));
                CHECK(from_file.status == 0);
                if (log == column_file) CHECK(split_lines(from_file.out).size() >= 10);
                check_columns_clean("k-anonymous", from_file);
                check_clean(from_file);
                if (std::string(output_format) == "csv")
                    check_no_formula_cells("k-anonymous", from_file.out);
                Result held = logsift(args, read_file(log));
                CHECK(held.status == 0);
                CHECK(held.out == from_file.out);
                check_columns_clean("k-anonymous held", held);
                check_clean(held);
                const std::string out_file = (dir / "out").string();
                Result written = logsift(with(args, {"-o", out_file, log}));
                CHECK(written.status == 0);
                check_columns_clean("k-anonymous -o file", read_file(out_file));
                check_clean("k-anonymous -o file", read_file(out_file));
            }
        }
    }
}

// A reduced log read back (the logsift preset) is held to the same grammars: an edited or
// foreign file cannot carry text into a report through it.
TEST_CASE("privacy: no column canary from reduced records read back, even edited ones") {
    const std::string edited =
        "2026-10-08T10:00:00+00:00\t203.0.113.77/32\tGET\t/\t200\t1\t"
        "alice.smith@example.com password=hunter2\t3.1.user=alice\tbrowser\t"
        "alice:hunter2@192.168.9.212\tDE\twww.example.com\n"
        "2026-10-08T10:00:00+00:00\t2002:cb00:714d::/48\tGET\t/\t200\t1\tJohnDoeSecret123bot"
        "\t8.123456789\tbot\t3405803853\tDE\twww.example.com\n"
        "2026-10-08T10:00:00+00:00\tec2-203-0-113-78.compute.amazonaws.com\tGET\t/\t200\t1\t"
        "curl\t8.4.0\ttool\twikicanary\tDE\twww.example.com\n";
    for (const char* command : {"reduce", "summary"}) {
        Result result = logsift({command, "--format", "logsift", "--verbose"}, edited);
        CAPTURE(command);
        CHECK(result.status == 0);
        CHECK(result.out.find("203.0.113.0/24") != std::string::npos);
        check_columns_clean(command, result);
    }
}

// The strongest form of the promise: whatever logsift writes anywhere (standard output, files,
// the unnamed files of spilled rows, in-place temporaries), as the kernel sees it.
TEST_CASE("privacy: no canary in any byte that write(2) carries") {
    if (!fs::exists(STRACE_BINARY)) {
        logsift_test::skip("strace is missing (scripts/setup --tests installs it)");
        return;
    }
    TempDir dir;
    const std::string log = (dir / "canary.log").string();
    const std::string main_log = (dir / "main.log").string();
    write_file(log, column_log + column_log);
    write_file(main_log, canary_log + canary_bad_lines + canary_log);
    const std::string trace = (dir / "trace").string();
    // The client key is a canary too: it may never be written anywhere, summaries and spilled
    // rows included.
    const std::string key_text = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7";
    write_file(dir / "key", key_text + "\n");
    fs::permissions(dir / "key", fs::perms::owner_read | fs::perms::owner_write);
    const char* given_key = std::getenv("LOGSIFT_KEY_FILE");
    const std::string saved_key = given_key ? given_key : "";
    ::setenv("LOGSIFT_KEY_FILE", (dir / "key").c_str(), 1);
    const std::vector<std::vector<std::string>> runs = {
        {"summary", "--format", column_format, "--site-host", site_hosts, "--rows-in-memory", "1",
         "--threads", "2", "--output-format", "json", "--include-bots", log},
        {"sources", "--format", column_format, "--site-host", site_hosts, "--rows-in-memory", "1",
         "--threads", "1", log},
        {"summary", "--format", "main", "--rows-in-memory", "1", "--verbose", "--max-bad", "100",
         main_log},
        // k-anonymous records (before the logs are reduced in place): read twice on threads,
        // and held from standard input beyond a memory of one byte, so that every record goes
        // through the temporary file.
        {"reduce", "--k-anonymity", "2", "--k-period", "all", "--threads", "2", "--format",
         column_format, "--site-host", site_hosts, log},
        {"reduce", "--k-anonymity", "2", "--format", "main", "--max-bad", "100", "-"},
        {"reduce", "--in-place", "--format", column_format, "--site-host", site_hosts, log},
        {"reduce", "--in-place", "--format", "main", "--max-bad", "100", main_log},
    };
    ::setenv("LOGSIFT_K_MEMORY", "1", 1);
    for (const std::vector<std::string>& run : runs) {
        CAPTURE(run.front());
        CAPTURE(run.back());
        std::vector<std::string> args = {
            "-f", "-qq", "-e",          "trace=write,pwrite64,writev,pwritev", "-s", "1000000",
            "-o", trace, LOGSIFT_BINARY};
        args.insert(args.end(), run.begin(), run.end());
        // LeakSanitizer stops a process that is traced; under the sanitizers, leaks are left
        // to the other tests.
        const char* asan = std::getenv("ASAN_OPTIONS");
        const std::string saved = asan ? asan : "";
        if (sanitized) ::setenv("ASAN_OPTIONS", (saved + ":detect_leaks=0").c_str(), 1);
        Result result = run_program(STRACE_BINARY, args, std::nullopt,
                                    run.back() == "-" ? fs::path(main_log) : fs::path("/dev/null"));
        if (sanitized && asan) ::setenv("ASAN_OPTIONS", saved.c_str(), 1);
        if (sanitized && !asan) ::unsetenv("ASAN_OPTIONS");
        REQUIRE(result.status == 0);
        const std::string writes = read_file(trace);
        CHECK(writes.find("write(") != std::string::npos);
        check_columns_clean("write(2)", writes);
        check_clean("write(2)", writes);
        CHECK(writes.find(key_text.substr(0, 16)) == std::string::npos);
        if (run.back() == "-") CHECK(writes.find("pwrite64(") != std::string::npos);  // spilled
    }
    ::unsetenv("LOGSIFT_K_MEMORY");
    if (given_key) ::setenv("LOGSIFT_KEY_FILE", saved_key.c_str(), 1);
    if (!given_key) ::unsetenv("LOGSIFT_KEY_FILE");
}
