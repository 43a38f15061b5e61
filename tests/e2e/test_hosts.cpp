// `logsift reduce` end to end on the host columns: clients that embed an IPv4 address or are
// host names, referrer hosts, and virtual hosts with and without --site-host.
#include <doctest/doctest.h>

#include "harness.hpp"

using namespace e2e;

namespace {

std::string combined_line(const std::string& client, const std::string& referrer) {
    return client + " - - [08/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 \"" + referrer +
           "\" \"curl/8.0\"\n";
}

// nginx's main format with the Host header at the end, as many sites log it.
const std::string host_format =
    "$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
    "\"$http_referer\" \"$http_user_agent\" \"$host\"";

std::string host_line(const std::string& host, const std::string& referrer = "-") {
    return "198.51.100.7 - - [08/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 \"" + referrer +
           "\" \"curl/8.0\" \"" + host + "\"\n";
}

}  // namespace

TEST_CASE("hosts: a 6to4 client gives the IPv4 network it carries") {
    Result result =
        logsift({"reduce", "--quiet", "--no-geoip", "--format", "combined", "--fields", "network"},
                combined_line("2002:cb00:714d::1", "-") +
                    combined_line("2001:0:4136:e378:8000:63bf:3fff:fdd2", "-") +
                    combined_line("64:ff9b::203.0.113.77", "-"));
    CHECK(result.status == 0);
    CHECK(result.out == "203.0.113.0/24\n192.0.2.0/24\n203.0.113.0/24\n");

    Result narrow = logsift({"reduce", "--quiet", "--no-geoip", "--format", "combined",
                             "--ipv4-prefix", "16", "--ipv6-prefix", "64", "--fields", "network"},
                            combined_line("2002:cb00:714d::1", "-"));
    CHECK(narrow.out == "203.0.0.0/16\n");
}

TEST_CASE("hosts: a 6to4 client in X-Forwarded-For gives the IPv4 network it carries") {
    const std::string line =
        "10.0.0.1 - - [08/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 "
        "\"-\" \"curl/8.0\" \"2002:cb00:714d::1, 10.0.0.2\"\n";
    Result result = logsift({"reduce", "--quiet", "--no-geoip", "--format", "main", "--client-ip",
                             "forwarded", "--trusted-proxy", "10.0.0.0/8", "--fields", "network"},
                            line);
    CHECK(result.status == 0);
    CHECK(result.out == "203.0.113.0/24\n");
}

TEST_CASE("hosts: --client selects a 6to4 client by the IPv4 address it carries") {
    const std::string input = combined_line("2002:cb00:714d::1", "-") +
                              combined_line("2002:c633:6401::1", "-") +
                              combined_line("203.0.113.9", "-");
    Result by_v4 = logsift({"reduce", "--quiet", "--no-geoip", "--format", "combined", "--client",
                            "203.0.113.0/24", "--fields", "network"},
                           input);
    CHECK(by_v4.status == 0);
    CHECK(by_v4.out == "203.0.113.0/24\n203.0.113.0/24\n");
    Result by_v6 = logsift({"reduce", "--quiet", "--no-geoip", "--format", "combined", "--client",
                            "2002::/16", "--fields", "network"},
                           input);
    CHECK(by_v6.out == "203.0.113.0/24\n198.51.100.0/24\n");
}

TEST_CASE("hosts: host-name clients keep their ICANN registrable domain") {
    Result result =
        logsift({"reduce", "--quiet", "--no-geoip", "--format", "combined", "--fields", "network"},
                combined_line("alice.dyndns.org", "-") + combined_line("johnsmith.no-ip.org", "-") +
                    combined_line("ec2-203-0-113-78.us-west-2.compute.amazonaws.com", "-") +
                    combined_line("pool-203-0-113-78.203-0-113-78.net", "-"));
    CHECK(result.status == 0);
    CHECK(result.out == "dyndns.org\nno-ip.org\namazonaws.com\ninvalid\n");
}

TEST_CASE("hosts: referrer hosts hold no address, internal name or app id") {
    std::string input;
    for (const char* referrer :
         {"http://3405803853/", "http://0xcb00714d/x", "http://[2001:db8:cafe:beef::1]/",
          "http://[::ffff:cb00:714d]/", "http://192.168.9.212/", "http://127.0.0.1:8080/",
          "http://localhost/", "http://intranet/", "http://203.0.113.77.nip.io/",
          "android-app://com.google.android.gm/", "https://www.example.com/page"}) {
        input += combined_line("198.51.100.7", referrer);
    }
    Result result = logsift(
        {"reduce", "--quiet", "--no-geoip", "--format", "combined", "--fields", "referrer_host"},
        input);
    CHECK(result.status == 0);
    CHECK(result.out ==
          "203.0.113.0/24\n203.0.113.0/24\n2001:db8:cafe::/48\n203.0.113.0/24\n(internal)\n"
          "(internal)\n(internal)\n(internal)\nnip.io\nandroid-app\nwww.example.com\n");
}

TEST_CASE("hosts: vhost is a host name, (address) or (invalid)") {
    std::string input = host_line("Example.COM:443") + host_line("203.0.113.9:80") +
                        host_line("[2001:db8::1]") + host_line("alice@example.com CNRYHOST04 x") +
                        host_line("_") + host_line("-") + host_line("other.example.org");
    Result result = logsift(
        {"reduce", "--quiet", "--no-geoip", "--format", host_format, "--fields", "vhost"}, input);
    CHECK(result.status == 0);
    CHECK(result.out ==
          "example.com\n(address)\n(address)\n(invalid)\n(invalid)\n\nother.example.org\n");
}

TEST_CASE("hosts: --site-host turns every other vhost into (other)") {
    std::string input = host_line("Example.COM:443") + host_line("www.example.com") +
                        host_line("other.example.org") + host_line("203.0.113.9") + host_line("-");
    const std::vector<std::string> common{"reduce",    "--quiet",  "--no-geoip", "--format",
                                          host_format, "--fields", "vhost"};
    const std::string expected = "example.com\nwww.example.com\n(other)\n(address)\n\n";

    std::vector<std::string> repeated = common;
    repeated.insert(repeated.end(),
                    {"--site-host", "example.com", "--site-host", "WWW.example.com"});
    Result result = logsift(repeated, input);
    CHECK(result.status == 0);
    CHECK(result.out == expected);

    std::vector<std::string> listed = common;
    listed.insert(listed.end(), {"--site-host", "example.com,www.example.com"});
    CHECK(logsift(listed, input).out == expected);

    std::vector<std::string> bad = common;
    bad.insert(bad.end(), {"--site-host", "example.com:443"});
    Result refused = logsift(bad, input);
    CHECK(refused.status == 2);
    CHECK(refused.out == "");
    CHECK(refused.err.find("--site-host 'example.com:443' is not a host name") !=
          std::string::npos);
}

TEST_CASE("hosts: sources sees the reduced referrer and vhost") {
    // The site's own referrer is not a source: the reduced vhost and the referrer host agree
    // although the Host header carried a port and capitals.
    std::string input = host_line("WWW.Example.com:443", "https://www.example.com/a") +
                        host_line("www.example.com", "http://192.168.9.212/") +
                        host_line("www.example.com", "http://3405803853/");
    Result result = logsift({"sources", "--quiet", "--no-geoip", "--format", host_format,
                             "--dimension", "referrer_host", "--output-format", "tsv"},
                            input);
    CHECK(result.status == 0);
    CHECK(result.out.find("www.example.com") == std::string::npos);
    CHECK(result.out.find("192.168.9.212") == std::string::npos);
    CHECK(result.out.find("\treferrer_host\t(internal)\t1\t1\n") != std::string::npos);
    CHECK(result.out.find("\treferrer_host\t203.0.113.0/24\t1\t1\n") != std::string::npos);
}
