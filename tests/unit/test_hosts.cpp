// Unit tests for hosts: address digits in names, ICANN registrable domains, referrer hosts
// and virtual hosts. Expected values follow the rules in man/logsift.1 and docs/NETWORKS.md.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "logsift/reduce/hosts.hpp"

using namespace logsift;

namespace {

std::string referrer_text(std::string_view referrer, unsigned v4 = 24, unsigned v6 = 48) {
    char out[256];
    return std::string(out, reduce_referrer(referrer, v4, v6, out));
}

std::string vhost_text(std::string_view vhost, const std::vector<std::string>& sites = {}) {
    char out[256];
    return std::string(out, reduce_vhost(vhost, sites, out));
}

std::string domain_text(std::string_view name) {
    std::optional<std::string_view> domain = icann_registrable_domain(name);
    return domain ? std::string(*domain) : "none";
}

}  // namespace

TEST_CASE("holds_address_digits finds addresses written into names") {
    for (std::string_view name :
         {"203.0.113.77.nip.io", "203-0-113-77.sslip.io", "ec2-203-0-113-78.compute.amazonaws.com",
          "ip-10-0-0-1.ec2.internal", "77.113.0.203.in-addr.arpa", "host203_0_113_77.example",
          "a-1.2-3.4.example", "3405803853.example", "12345678.example", "cb00714d.nip.io",
          "x-0cb00714d.example", "2001-db8--1.sslip.io", "2a01-4f8-c17-b8f--2.example",
          "1-2-3-4-5-6-7-8.example"}) {
        CAPTURE(name);
        CHECK(holds_address_digits(name));
    }
    for (std::string_view name :
         {"www.example.com", "example.com", "1.2.3.example", "v1.2.example", "web2-0.example",
          "1234567.example", "deadbeef.example", "cafe-beef.example", "cafe--beef.example",
          "2024-01-02.example", "www.1000-2000-3000-4000.example", "a1b2c3d.example",
          "mail-01.example", "256.1.1.1.example"}) {
        CAPTURE(name);
        CHECK_FALSE(holds_address_digits(name));
    }
}

TEST_CASE("icann_registrable_domain ignores the private section") {
    CHECK(domain_text("alice.dyndns.org") == "dyndns.org");
    CHECK(domain_text("www.example.co.uk") == "example.co.uk");
    CHECK(domain_text("example.com") == "example.com");
    CHECK(domain_text("a.b.c.example.com") == "example.com");
    CHECK(domain_text("203.0.113.77.nip.io") == "nip.io");
    CHECK(domain_text("x.us-west-2.compute.amazonaws.com") == "amazonaws.com");
    CHECK(domain_text("com") == "none");
    CHECK(domain_text("co.uk") == "none");
    CHECK(domain_text("host.unknowntld") == "none");  // no "*" rule
    CHECK(domain_text("") == "none");
}

TEST_CASE("reduce_referrer keeps the host of web URLs") {
    CHECK(referrer_text("-") == "");
    CHECK(referrer_text("") == "");
    CHECK(referrer_text("https://User:pw@WWW.Example.com:8443/path?q#f") == "www.example.com");
    CHECK(referrer_text("http://example.com") == "example.com");
    CHECK(referrer_text("http://example.com/") == "example.com");
    CHECK(referrer_text("http://example.com?x") == "example.com");
    CHECK(referrer_text("http://example.com#x") == "example.com");
    CHECK(referrer_text("http://example.com./a") == "example.com");
    CHECK(referrer_text("HTTPS://Example.com/") == "example.com");
    CHECK(referrer_text("ftp://ftp.example.org/pub") == "ftp.example.org");
    CHECK(referrer_text("//example.com/x") == "example.com");
    CHECK(referrer_text("http://my_host.example/") == "my_host.example");
    CHECK(referrer_text("foo") == "");
    CHECK(referrer_text("/relative/path") == "");
    CHECK(referrer_text("example.com/path") == "");
    CHECK(referrer_text("http:/example.com") == "");
    CHECK(referrer_text("1http://example.com") == "");
    CHECK(referrer_text("http://") == "");
    CHECK(referrer_text("http://user@/x") == "");
    CHECK(referrer_text("http://ex\\x22ample.com/") == "");
    CHECK(referrer_text("http://ex%41mple.com/") == "");
    CHECK(referrer_text("http://exa mple.com/") == "");
    CHECK(referrer_text("http://[2001:db8::1/") == "");
    CHECK(referrer_text("http://[not-v6]/") == "");
    // Only the host is checked: user info and port may hold anything, and the last '@' wins.
    CHECK(referrer_text("http://us%20er@Example.com/") == "example.com");
    CHECK(referrer_text("http://a b@c@Example.com/") == "example.com");
    CHECK(referrer_text("http://example.com:8%x/") == "example.com");
    CHECK(referrer_text("http://ex%ample.com:80@example.org/") == "example.org");
    CHECK(referrer_text("http://example.org@ex%ample.com/") == "");
    // Longer than any DNS name: not a host.
    CHECK(referrer_text("http://" + std::string(300, 'A') + ".com/") == "");
}

TEST_CASE("reduce_referrer truncates address literals in any notation") {
    CHECK(referrer_text("http://198.51.100.111/") == "198.51.100.0/24");
    CHECK(referrer_text("http://203.0.113.7:8080/x") == "203.0.113.0/24");
    CHECK(referrer_text("http://3405803853/") == "203.0.113.0/24");
    CHECK(referrer_text("http://0xcb00714d/") == "203.0.113.0/24");
    CHECK(referrer_text("http://0313.0.0161.0115/") == "203.0.113.0/24");
    CHECK(referrer_text("http://203.0.29005/") == "203.0.113.0/24");
    CHECK(referrer_text("http://203.1/") == "203.0.0.0/24");
    CHECK(referrer_text("http://203.0.113.77./") == "203.0.113.0/24");
    CHECK(referrer_text("http://[2001:DB8:0::1]:80/") == "2001:db8::/48");
    CHECK(referrer_text("http://[2001:db8:cafe:beef::1]/") == "2001:db8:cafe::/48");
    CHECK(referrer_text("http://user@[2001:db8::1]/") == "2001:db8::/48");
    CHECK(referrer_text("http://[::ffff:cb00:714d]/") == "203.0.113.0/24");
    CHECK(referrer_text("http://[2002:cb00:714d::1]/") == "203.0.113.0/24");
    CHECK(referrer_text("http://[64:ff9b::203.0.113.77]/") == "203.0.113.0/24");
    CHECK(referrer_text("http://3405803853/", 16, 32) == "203.0.0.0/16");
    CHECK(referrer_text("http://[2001:db8:cafe:beef::1]/", 16, 32) == "2001:db8::/32");
    // A last label that is a number makes the host an IPv4 address to browsers, or nothing.
    CHECK(referrer_text("http://1.2.3.4.5/") == "(invalid)");
    CHECK(referrer_text("http://256.1.1.1/") == "(invalid)");
    CHECK(referrer_text("http://4294967296/") == "(invalid)");
    CHECK(referrer_text("http://example.0x1/") == "(invalid)");
}

TEST_CASE("reduce_referrer hides internal addresses and names") {
    for (std::string_view referrer : {"http://127.0.0.1/",
                                      "http://127.0.0.1:8080/admin",
                                      "http://192.168.9.212/",
                                      "http://10.0.0.1/",
                                      "http://172.16.5.4/",
                                      "http://100.64.1.1/",
                                      "http://169.254.1.1/",
                                      "http://0.0.0.0/",
                                      "http://192.0.0.1/",
                                      "http://198.18.0.1/",
                                      "http://224.0.0.1/",
                                      "http://240.0.0.1/",
                                      "http://2130706433/",
                                      "http://0x7f000001/",
                                      "http://0177.1/",
                                      "http://[::1]/",
                                      "http://[fd00::1]/",
                                      "http://[fe80::1%25eth0]/",
                                      "http://[ff02::1]/",
                                      "http://[::ffff:192.168.9.212]/",
                                      "http://[2002:c0a8:0101::1]/",
                                      "http://localhost/",
                                      "http://LOCALHOST:3000/",
                                      "http://app.localhost/",
                                      "http://intranet/",
                                      "http://wiki/",
                                      "http://printer.local/",
                                      "http://nas.lan/",
                                      "http://grafana.internal/",
                                      "http://router.home.arpa/",
                                      "http://dc1.corp/",
                                      "http://portal.intranet/",
                                      "http://x.private/",
                                      "http://box.home/",
                                      "http://host.localdomain/",
                                      "http://ip-10-0-0-1.ec2.internal/"}) {
        CAPTURE(referrer);
        CHECK(referrer_text(referrer) == "(internal)");
    }
    // Documentation networks are public here, so examples show what real addresses give.
    CHECK(referrer_text("http://192.0.2.1/") == "192.0.2.0/24");
    CHECK(referrer_text("http://[2001:db8::1]/") == "2001:db8::/48");
    // Names that merely contain the words are public.
    CHECK(referrer_text("http://local.example.com/") == "local.example.com");
    CHECK(referrer_text("http://localhost.example.com/") == "localhost.example.com");
}

TEST_CASE("reduce_referrer reduces names that embed an address to their registrable domain") {
    CHECK(referrer_text("http://203.0.113.77.nip.io/") == "nip.io");
    CHECK(referrer_text("http://app.203.0.113.77.nip.io/") == "nip.io");
    CHECK(referrer_text("http://203-0-113-77.sslip.io/") == "sslip.io");
    CHECK(referrer_text("http://cb00714d.nip.io/") == "nip.io");
    CHECK(referrer_text("http://2001-db8--1.sslip.io/") == "sslip.io");
    CHECK(referrer_text("http://ec2-203-0-113-78.compute.amazonaws.com/") == "amazonaws.com");
    CHECK(referrer_text("https://ec2-203-0-113-78.us-west-2.compute.amazonaws.com:8443/") ==
          "amazonaws.com");
    // When the registrable domain holds the address too, or there is none, nothing is kept.
    CHECK(referrer_text("http://www.203-0-113-77.com/") == "(invalid)");
    CHECK(referrer_text("http://3405803853.com/") == "(invalid)");
    CHECK(referrer_text("http://203-0-113-77.unknowntld/") == "(invalid)");
}

TEST_CASE("reduce_referrer gives other schemes their word") {
    CHECK(referrer_text("android-app://com.google.android.gm/") == "android-app");
    CHECK(referrer_text("Android-App://com.google.android.gm") == "android-app");
    CHECK(referrer_text("ios-app://1234567/com.example.app") == "ios-app");
    CHECK(referrer_text("chrome-extension://abcdefghijklmnopabcdefghijklmnop/popup.html") ==
          "chrome-extension");
    CHECK(referrer_text("moz-extension://0a1b2c3d-aaaa-bbbb-cccc-0123456789ab/x") ==
          "moz-extension");
    CHECK(referrer_text("file:///C:/Users/alice/page.html") == "file");
    CHECK(referrer_text("alicesecret://host/") == "(other-scheme)");
    CHECK(referrer_text("about:blank") == "");
}

TEST_CASE("reduce_vhost keeps valid host names only") {
    CHECK(vhost_text("") == "");
    CHECK(vhost_text("-") == "");
    CHECK(vhost_text("example.com") == "example.com");
    CHECK(vhost_text("Example.COM:443") == "example.com");
    CHECK(vhost_text("example.com.") == "example.com");
    CHECK(vhost_text("example.com:") == "example.com");
    CHECK(vhost_text("my_site.example.com") == "my_site.example.com");
    CHECK(vhost_text("localhost") == "localhost");
    for (std::string_view address :
         {"203.0.113.5", "203.0.113.5:8080", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:443",
          "3405803853", "0x7f.1", "[::ffff:203.0.113.5]"}) {
        CAPTURE(address);
        CHECK(vhost_text(address) == "(address)");
    }
    for (std::string_view junk :
         {"alice@example.com CNRYHOST04 password=x", "_", "a b", "example..com", ".example.com",
          "-example.com", "example-.com", "exa%41mple.com", "example.com:http",
          "example.com:123456", "1.2.3.4.5", "256.1.1.1", "caf\xc3\xa9.example", "[2001:db8::1",
          "host\tname", "example.com/path"}) {
        CAPTURE(junk);
        CHECK(vhost_text(junk) == "(invalid)");
    }
    CHECK(vhost_text(std::string(64, 'a') + ".com") == "(invalid)");
    CHECK(vhost_text(std::string(63, 'a') + ".com") == std::string(63, 'a') + ".com");
}

TEST_CASE("reduce_vhost names other hosts (other) once the site's hosts are given") {
    const std::vector<std::string> sites{"example.com", "www.example.com"};
    CHECK(vhost_text("example.com", sites) == "example.com");
    CHECK(vhost_text("WWW.Example.com:443", sites) == "www.example.com");
    CHECK(vhost_text("alice.example.com", sites) == "(other)");
    CHECK(vhost_text("example.org", sites) == "(other)");
    CHECK(vhost_text("203.0.113.5", sites) == "(address)");
    CHECK(vhost_text("alice@example.com CNRYHOST04 password=x", sites) == "(invalid)");
    CHECK(vhost_text("-", sites) == "");
}

TEST_CASE("normalize_host_name checks --site-host") {
    CHECK(normalize_host_name("WWW.Example.com") == "www.example.com");
    CHECK(normalize_host_name("example.com.") == "example.com");
    CHECK_FALSE(normalize_host_name("example.com:443"));
    CHECK_FALSE(normalize_host_name("203.0.113.5"));
    CHECK_FALSE(normalize_host_name("a b"));
    CHECK_FALSE(normalize_host_name(""));
}

TEST_CASE("reduce_referrer gives nothing for a host longer than a name can be, root dot or not") {
    // Found by fuzz_address: the root-dot step read past the bytes copied of such a host.
    const std::string long_host(300, 'a');
    CHECK(referrer_text("http://" + long_host + "/") == "");
    CHECK(referrer_text("http://" + long_host + "./") == "");
    const std::string longest = std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                                std::string(63, 'd') + "." + std::string(57, 'e') + ".com";
    REQUIRE(longest.size() == 253);
    CHECK(referrer_text("http://" + longest + "./") == longest);
    CHECK(referrer_text("http://" + std::string(254, 'c') + "/") == "");
}
