// Log formats end to end: presets, the server's own format strings, auto detection, and the
// real logs in tests/data/real parsed at rates worked out from the files themselves.
#include <doctest/doctest.h>

#include <algorithm>

#include "harness.hpp"

using namespace e2e;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string stats(std::size_t read, std::size_t parsed) {
    return "logsift: " + std::to_string(read) + " lines read, " + std::to_string(parsed) +
           " parsed, " + std::to_string(read - parsed) + " skipped\n";
}

}  // namespace

TEST_CASE("formats: the presets are listed with their format strings") {
    Result result = logsift({"formats"});
    CHECK(result.status == 0);
    std::vector<std::string> names;
    for (const std::string& line : split_lines(result.out))
        names.push_back(split_tabs(line)[0]);
    for (const char* name : {"combined", "main", "common", "combinedio", "vhost_combined",
                             "vhost_common", "vhost_combined_noport"}) {
        CAPTURE(name);
        CHECK(std::find(names.begin(), names.end(), name) != names.end());
    }
    CHECK(contains(result.out, "$remote_addr - $remote_user [$time_local] \"$request\""));
    CHECK(contains(result.out, "%v:%p %h %l %u %t"));
}

TEST_CASE("formats: a broken presets file stops the run with file, line and reason") {
    TempDir dir;
    fs::copy(fs::path(LOGSIFT_SOURCE_DIR) / "patterns", dir.path(),
             fs::copy_options::overwrite_existing | fs::copy_options::recursive);
    std::string presets = read_file(fs::path(LOGSIFT_SOURCE_DIR) / "patterns/formats");
    // Damage the first sample of the common preset: its status is no longer a number.
    std::size_t common = presets.find("%h %l %u %t");
    REQUIRE(common != std::string::npos);
    std::size_t status = presets.find("\" 200 ", common);
    REQUIRE(status != std::string::npos);
    presets.replace(status, 6, "\" 2x0 ");
    write_file(dir / "formats", presets);
    Result result = logsift(
        {"reduce", "--patterns-dir", dir.path().string(), data("codecs/sample.log").string()});
    CHECK(result.status == 2);
    CHECK(result.out == "");
    std::size_t line = 1 + std::count(presets.begin(), presets.begin() + status, '\n');
    CHECK(contains(result.err, (dir / "formats").string() + ":" + std::to_string(line) + ": "));
}

TEST_CASE("formats: every preset reduces its own sample lines") {
    // Sample lines are those the presets file marks as samples; each must reduce under its
    // preset with --strict (any bad line fails the run).
    std::string presets = read_file(fs::path(LOGSIFT_SOURCE_DIR) / "patterns/formats");
    std::string current;
    std::size_t checked = 0;
    for (const std::string& line : split_lines(presets)) {
        if (line.starts_with("[") && line.ends_with("]")) current = line.substr(1, line.size() - 2);
        if (!line.starts_with("sample")) continue;
        std::string sample = line.substr(line.find('=') + 1);
        while (!sample.empty() && sample.front() == ' ')
            sample.erase(0, 1);
        CAPTURE(current);
        CAPTURE(sample);
        Result result =
            logsift({"reduce", "--strict", "--quiet", "--format", current}, sample + "\n");
        CHECK(result.status == 0);
        CHECK(split_lines(result.out).size() == 1);
        ++checked;
    }
    CHECK(checked >= 7);
}

TEST_CASE("formats: --format takes a real nginx log_format, pasted whole or as the string") {
    const std::string ingress_format =
        "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
        "\"$http_referer\" \"$http_user_agent\" $request_length $request_time "
        "[$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr "
        "$upstream_response_length $upstream_response_time $upstream_status $req_id";
    const std::string log = data("real/nginx-ingress-controller-upstream-beats.log").string();
    Result bare = logsift({"reduce", "--format", ingress_format, log});
    CHECK(bare.status == 0);
    CHECK(bare.err == stats(29, 29));
    std::vector<std::string> rows = split_lines(bare.out);
    REQUIRE(rows.size() == 29);
    CHECK(rows[0] ==
          "2020-02-07T11:00:00+00:00\t192.168.64.0/24\tPOST\t/"
          "products\t200\t59\tcurl\t7.54.0\ttool\t\t\t");

    Result directive = logsift({"reduce", "--format",
                                "log_format upstreaminfo\n    '" + ingress_format.substr(0, 60) +
                                    "'\n    '" + ingress_format.substr(60) + "';",
                                log});
    CHECK(directive.status == 0);
    CHECK(directive.out == bare.out);
}

TEST_CASE("formats: --format takes a real Apache LogFormat, pasted whole or as the string") {
    const std::string log = data("real/apache-ssl-request-beats.log").string();
    Result ssl = logsift({"reduce", "--no-geoip", "--format",
                          "%t %h %{SSL_PROTOCOL}x %{SSL_CIPHER}x \\\"%r\\\" %b", log});
    CHECK(ssl.status == 0);
    CHECK(ssl.err == stats(2, 2));
    std::vector<std::string> rows = split_lines(ssl.out);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] ==
          "2018-08-10T09:00:00+02:00\t172.30.0.0/24\tGET\t/nagiosxi/"
          "ajaxhelper.php\t\t1375\t\t\t\t\t\t");
    CHECK(rows[1] ==
          "2019-10-16T11:00:00+02:00\t81.2.69.0/24\tGET\t/appl/ajaxhelper.php\t\t0\t\t\t\t\t\t");

    Result directive =
        logsift({"reduce", "--no-geoip", "--format",
                 "LogFormat \"%v:%p %h %{JSESSIONID}C %u %t \\\"%r\\\" %>s %b \\\"%{Referer}i\\\" "
                 "\\\"%{User-Agent}i\\\" %D\" session_combined",
                 data("real/apache-custom-vhostport-session-lnav.log").string()});
    CHECK(directive.status == 0);
    CHECK(directive.err == stats(2, 2));
    rows = split_lines(directive.out);
    REQUIRE(rows.size() == 2);
    // A referrer from localhost is internal (man page, Host columns); the vhost stays a name.
    CHECK(rows[1] ==
          "2023-07-26T00:00:00-07:00\t154.57.4.0/24\tGET\t/secure/RapidBoard.jspa\t200\t16517"
          "\tOther\t\tother\t(internal)\t\tlocalhost");
}

// Expected formats and counts come from the files themselves (SOURCES.md in tests/data/real
// describes each file's quirks); the counts were checked with independent regular expressions
// per format over every line.
struct RealLog {
    const char* file;
    const char* format;
    std::size_t lines;
    std::size_t parsed;
};

const RealLog real_logs[] = {
    {"apache-combined-basjes-hackers.log", "combined", 3456, 3456},
    // Line 8899's user agent has no closing quote.
    {"apache-combined-elastic-examples.log", "combined", 10000, 9999},
    {"apache-combined-gpxe-lnav.log", "combined", 3, 3},
    {"apache-combined-tls-handshake-crowdsec.log", "combined", 11, 11},
    {"apache-common-darwin-beats.log", "common", 6, 6},
    {"apache-common-misc-crowdsec.log", "common", 18, 18},
    {"apache-common-nasa-aug95-head.log", "common", 1880, 1880},
    {"apache-common-nikto-probing-crowdsec.log", "common", 77, 77},
    // The line with "-" 408 and the vhost line are not common.
    {"apache-mixed-common-combined-beats.log", "common", 7, 6},
    {"apache-ssl-request-beats.log", "ssl_request", 2, 2},
    {"apache-vhost-combined-beats.log", "vhost_combined_noport", 1, 1},
    {"combined-attack-probes-crowdsec.log", "combined", 736, 736},
    {"nginx-combined-elastic-examples-head.log", "combined", 14575, 14575},
    {"nginx-combined-empty-request-400-lnav.log", "combined", 1, 1},
    {"nginx-combined-malformed-binary-crowdsec.log", "combined", 12, 12},
    {"nginx-combined-xff-misc-crowdsec.log", "main", 10, 10},
    {"nginx-ingress-controller-upstream-beats.log", "combined", 29, 29},
    {"vhost-combined-misc-crowdsec.log", "vhost_combined_noport", 19, 19},
    // Added later (SOURCES.md, "Added later"); counted the same way.
    {"apache-combined-ipv6doc-mtail.log", "combined", 5, 5},
    {"apache-combined-rla.log", "combined", 5, 5},
    {"apache-common-rla.log", "common", 10, 10},
    {"nginx-combined-sigwait-gromnitsky.log", "combined", 48, 48},
    {"nginx-combined-silverbullets-ployt0.log", "combined", 16912, 16912},
    // The last line is "bogus line".
    {"nginx-main-fxa-heka.log", "main", 10, 9},
};

TEST_CASE("formats: --format auto picks the right preset for each real log, at its parse rate" *
          doctest::test_suite("slow")) {
    for (const RealLog& log : real_logs) {
        CAPTURE(log.file);
        Result result = logsift({"reduce", "--verbose", "--max-bad", "100", "-o", "/dev/null",
                                 data(std::string("real/") + log.file).string()});
        CHECK(result.status == 0);
        CHECK(contains(result.err, std::string(": format ") + log.format + " ("));
        CHECK(contains(result.err, stats(log.lines, log.parsed)));

        Result detect =
            logsift({"formats", "--detect", data(std::string("real/") + log.file).string()});
        CHECK(detect.status == 0);
        CHECK(split_tabs(split_lines(detect.out).at(0)).at(0) == log.format);
    }
}

TEST_CASE("formats: logs that mix several formats have no clear majority") {
    // Half or fewer of their lines fit any one preset: guessing would lose data silently.
    for (const char* file :
         {"nginx-combined-xff-variants-beats.log", "nginx-host-prefixed-beats.log",
          "nginx-mixed-access-error-crowdsec.log",
          // Traefik: 25 CLF lines, then JSON; and JSON only. No preset reads JSON yet.
          "traefik-clf-then-json-geraldcroes.log", "traefik-json-maborak.log"}) {
        CAPTURE(file);
        Result result = logsift({"reduce", data(std::string("real/") + file).string()});
        CHECK(result.status == 2);
        CHECK(result.out == "");
        CHECK(contains(result.err, "no preset format fits"));
    }
    // With the format named, the lines that fit are reduced.
    Result named = logsift({"reduce", "--format", "combined", "--max-bad", "100",
                            data("real/nginx-combined-xff-variants-beats.log").string()});
    CHECK(named.status == 0);
    CHECK(contains(named.err, stats(7, 3)));
}

TEST_CASE(
    "formats: real logs with a field between status and referrer read with their own string") {
    // mtail's Apache example puts %D (microseconds) before the referrer.
    Result apache = logsift({"reduce", "--verbose", "--fields", "network,status,agent", "--format",
                             R"(%h %l %u %t "%r" %>s %b %D "%{Referer}i" "%{User-agent}i")",
                             data("real/apache-custom-D-mtail.log").string()});
    CHECK(apache.status == 0);
    CHECK(contains(apache.err, stats(3, 3)));
    CHECK(apache.out ==
          "192.168.74.0/24\t304\tOther\n"
          "192.168.74.0/24\t200\tOther\n"
          "2001:db8::/48\t404\tOther\n");
    // lighttpd writes the X-Forwarded-For header first, then the connecting address.
    Result lighttpd = logsift(
        {"reduce", "--verbose", "--fields", "network,resource,bytes", "--format",
         R"(%{X-Forwarded-For}i %h %u %t "%r" %>s %b %I %O %T "%{Referer}i" "%{User-Agent}i")",
         data("real/lighttpd-custom-mtail.log").string()});
    CHECK(lighttpd.status == 0);
    CHECK(contains(lighttpd.err, stats(19, 19)));
    CHECK(split_lines(lighttpd.out).at(0) == "192.0.2.0/24\t/group.cache.asc\t191");
}

TEST_CASE("formats: each input gets its own detected format") {
    Result result = logsift({"reduce", "--verbose", "--fields", "network,vhost",
                             data("real/apache-common-darwin-beats.log").string(),
                             data("real/apache-vhost-combined-beats.log").string()});
    CHECK(result.status == 0);
    CHECK(contains(result.err, "apache-common-darwin-beats.log: format common ("));
    CHECK(contains(result.err, "apache-vhost-combined-beats.log: format vhost_combined_noport ("));
    std::vector<std::string> rows = split_lines(result.out);
    REQUIRE(rows.size() == 7);
    CHECK(rows[0] == "::/48\t");
    CHECK(rows[6] == "123.123.123.0/24\tvhost1.domaine.fr");
}
