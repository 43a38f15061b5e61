// Unit tests for anonymize: address parsing and printing, truncation, CIDR matching, host-name
// clients, addresses that embed IPv4 addresses, X-Forwarded-For and resources.
#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

#include "logsift/reduce/anonymize.hpp"

using namespace logsift;

namespace {

// The address as "text/bits" at full length, or "none".
std::string ip_text(std::string_view text) {
    std::optional<IpAddress> address = parse_ip(text);
    if (!address) return "none";
    char out[64];
    return std::string(out, format_network(*address, address->v6 ? 128 : 32, out));
}

std::string network_text(std::string_view text, unsigned prefix) {
    std::optional<IpAddress> address = parse_ip(text);
    REQUIRE(address);
    char out[64];
    return std::string(out, format_network(truncate_ip(*address, prefix), prefix, out));
}

std::string client_text(std::string_view client, unsigned v4 = 24, unsigned v6 = 48) {
    char out[256];
    return std::string(out, reduce_client(client, v4, v6, out));
}

std::string cidr_text(std::string_view text) {
    std::optional<Cidr> cidr = parse_cidr(text);
    if (!cidr) return "none";
    char out[64];
    return std::string(out, format_network(cidr->network, cidr->prefix, out));
}

std::string forwarded_text(std::string_view header, const std::vector<Cidr>& trusted) {
    std::optional<IpAddress> address = forwarded_client(header, trusted.data(), trusted.size());
    if (!address) return "none";
    char out[64];
    return std::string(out, format_network(*address, address->v6 ? 128 : 32, out));
}

std::vector<Cidr> cidrs(std::initializer_list<std::string_view> texts) {
    std::vector<Cidr> result;
    for (std::string_view text : texts) {
        std::optional<Cidr> cidr = parse_cidr(text);
        REQUIRE(cidr);
        result.push_back(*cidr);
    }
    return result;
}

}  // namespace

TEST_CASE("parse_ip reads IPv4") {
    CHECK(ip_text("203.0.113.7") == "203.0.113.7/32");
    CHECK(ip_text("0.0.0.0") == "0.0.0.0/32");
    CHECK(ip_text("255.255.255.255") == "255.255.255.255/32");
    CHECK(ip_text("203.0.113.7:8080") == "203.0.113.7/32");
    CHECK(ip_text("203.0.113.7:65535") == "203.0.113.7/32");
    // Leading zeros are rejected: inet_aton would read them as octal.
    CHECK(ip_text("010.0.0.1") == "none");
    CHECK(ip_text("1.2.3.04") == "none");
}

TEST_CASE("parse_ip reads every IPv6 text form") {
    CHECK(ip_text("2001:0db8:0000:0000:0000:ff00:0042:8329") == "2001:db8::ff00:42:8329/128");
    CHECK(ip_text("2001:db8::ff00:42:8329") == "2001:db8::ff00:42:8329/128");
    CHECK(ip_text("2001:DB8::FF00:42:8329") == "2001:db8::ff00:42:8329/128");
    CHECK(ip_text("::") == "::/128");
    CHECK(ip_text("::1") == "::1/128");
    CHECK(ip_text("1::") == "1::/128");
    CHECK(ip_text("1:2:3:4:5:6:7::") == "1:2:3:4:5:6:7:0/128");
    CHECK(ip_text("::2:3:4:5:6:7:8") == "0:2:3:4:5:6:7:8/128");
    CHECK(ip_text("64:ff9b::192.0.2.33") == "64:ff9b::c000:221/128");
    CHECK(ip_text("1:2:3:4:5:6:1.2.3.4") == "1:2:3:4:5:6:102:304/128");
    CHECK(ip_text("::1.2.3.4") == "::102:304/128");
}

TEST_CASE("parse_ip turns IPv4-mapped IPv6 into IPv4") {
    CHECK(ip_text("::ffff:192.0.2.128") == "192.0.2.128/32");
    CHECK(ip_text("::FFFF:192.0.2.128") == "192.0.2.128/32");
    CHECK(ip_text("::ffff:c000:280") == "192.0.2.128/32");
    CHECK(ip_text("[::ffff:192.0.2.128]:443") == "192.0.2.128/32");
    CHECK(parse_ip("::ffff:1.2.3.4")->v6 == false);
}

TEST_CASE("parse_ip strips brackets, ports and zone ids") {
    CHECK(ip_text("[2001:db8::1]") == "2001:db8::1/128");
    CHECK(ip_text("[2001:db8::1]:443") == "2001:db8::1/128");
    CHECK(ip_text("fe80::1%eth0") == "fe80::1/128");
    CHECK(ip_text("[fe80::1%eth0]:8080") == "fe80::1/128");
    CHECK(ip_text("fe80::1%") == "none");
    CHECK(ip_text("fe80::1%eth 0") == "none");
    CHECK(ip_text("[2001:db8::1]:") == "none");
    CHECK(ip_text("[2001:db8::1]:65536") == "none");
    CHECK(ip_text("[2001:db8::1]x") == "none");
    CHECK(ip_text("[2001:db8::1") == "none");
    CHECK(ip_text("[203.0.113.7]") == "none");
}

TEST_CASE("parse_ip rejects everything else") {
    for (std::string_view text : {"unix:",
                                  "-",
                                  "",
                                  "2a02:cf40::::::::4e36",
                                  "[2a02:cf40::::::::4e36]:500000000",
                                  "1.2.3",
                                  "1.2.3.4.5",
                                  "256.1.1.1",
                                  "1.2.3.256",
                                  "example.com",
                                  "localhost",
                                  " 1.2.3.4",
                                  "1.2.3.4 ",
                                  "x1.2.3.4",
                                  "1..2.3",
                                  ".1.2.3",
                                  "1.2.3.4:",
                                  "1.2.3.4:99999",
                                  "1.2.3.4:8a",
                                  ":",
                                  ":::",
                                  "1:2",
                                  "1::2::3",
                                  "12345::",
                                  "::g",
                                  "1:2:3:4:5:6:7:8:9",
                                  "::1:2:3:4:5:6:7:8",
                                  "1:2:3:4:5:6:7:8::",
                                  "1:2:3:4:5:6:7",
                                  "1:",
                                  ":1",
                                  "1:2:3:4:5:6::1.2.3.4",
                                  "::1.2.3",
                                  "::256.1.1.1",
                                  "::1.2.3.4:5",
                                  "unix:/var/run/sock"}) {
        CAPTURE(text);
        CHECK_FALSE(parse_ip(text).has_value());
    }
}

TEST_CASE("truncate_ip keeps the prefix bits") {
    CHECK(network_text("203.0.113.77", 0) == "0.0.0.0/0");
    CHECK(network_text("203.0.113.77", 8) == "203.0.0.0/8");
    CHECK(network_text("203.0.113.77", 20) == "203.0.112.0/20");
    CHECK(network_text("203.0.113.77", 24) == "203.0.113.0/24");
    CHECK(network_text("203.0.113.77", 32) == "203.0.113.77/32");
    CHECK(network_text("203.0.113.77", 99) == "203.0.113.77/32");
    CHECK(network_text("2001:db8:1234:5678:9abc:def0:1234:5678", 0) == "::/0");
    CHECK(network_text("2001:db8:1234:5678:9abc:def0:1234:5678", 8) == "2000::/8");
    CHECK(network_text("2001:db8:1234:5678:9abc:def0:1234:5678", 48) == "2001:db8:1234::/48");
    CHECK(network_text("2001:db8:1234:5678:9abc:def0:1234:5678", 56) == "2001:db8:1234:5600::/56");
    CHECK(network_text("2001:db8:1234:5678:9abc:def0:1234:5678", 64) == "2001:db8:1234:5678::/64");
    CHECK(network_text("2001:db8:1234:5678:9abc:def0:1234:5678", 128) ==
          "2001:db8:1234:5678:9abc:def0:1234:5678/128");
    CHECK(network_text("2001:db8:1234:5678:9abc:def0:1234:5678", 200) ==
          "2001:db8:1234:5678:9abc:def0:1234:5678/128");
}

TEST_CASE("format_network writes RFC 5952 text") {
    CHECK(ip_text("2001:db8:0:0:1:0:0:1") == "2001:db8::1:0:0:1/128");
    CHECK(ip_text("2001:db8:0:1:1:1:1:1") == "2001:db8:0:1:1:1:1:1/128");
    CHECK(ip_text("2001:0:0:1:0:0:0:1") == "2001:0:0:1::1/128");
    CHECK(ip_text("2001:db8::0:1") == "2001:db8::1/128");
    CHECK(ip_text("0:0:0:0:0:0:0:0") == "::/128");
    CHECK(ip_text("0:0:0:0:0:0:0:1") == "::1/128");
    CHECK(ip_text("1:0:0:0:0:0:0:0") == "1::/128");
    CHECK(ip_text("0:1:0:1:0:1:0:1") == "0:1:0:1:0:1:0:1/128");
    CHECK(ip_text("2001:DB8:00AB:0A0::1") == "2001:db8:ab:a0::1/128");
}

TEST_CASE("parse_cidr and ip_in_network") {
    CHECK(cidr_text("203.0.113.0/24") == "203.0.113.0/24");
    CHECK(cidr_text("10.1.2.3/8") == "10.0.0.0/8");
    CHECK(cidr_text("203.0.113.7") == "203.0.113.7/32");
    CHECK(cidr_text("0.0.0.0/0") == "0.0.0.0/0");
    CHECK(cidr_text("2001:db8::/32") == "2001:db8::/32");
    CHECK(cidr_text("2001:db8::1") == "2001:db8::1/128");
    CHECK(cidr_text("::/0") == "::/0");
    CHECK(cidr_text("::ffff:10.0.0.0/104") == "10.0.0.0/8");
    for (std::string_view text :
         {"203.0.113.0/33", "2001:db8::/129", "203.0.113.0/", "/24", "203.0.113.0/2a",
          "203.0.113.0/-1", "203.0.113.0/+8", "", "foo/8", "203.0.113.0/24/8", "[2001:db8::]/32",
          "203.0.113.0:80/24", "::ffff:10.0.0.0/64", "2001:db8::/0128"}) {
        CAPTURE(text);
        CHECK_FALSE(parse_cidr(text).has_value());
    }

    const Cidr v4 = *parse_cidr("10.0.0.0/8");
    const Cidr v6 = *parse_cidr("2001:db8::/32");
    CHECK(ip_in_network(*parse_ip("10.255.0.1"), v4.network, v4.prefix));
    CHECK_FALSE(ip_in_network(*parse_ip("11.0.0.1"), v4.network, v4.prefix));
    CHECK(ip_in_network(*parse_ip("2001:db8:ffff::1"), v6.network, v6.prefix));
    CHECK_FALSE(ip_in_network(*parse_ip("2001:db9::1"), v6.network, v6.prefix));
    CHECK_FALSE(ip_in_network(*parse_ip("2001:db8::1"), v4.network, 0));  // families differ
    CHECK(ip_in_network(*parse_ip("::ffff:10.1.1.1"), v4.network, v4.prefix));
}

TEST_CASE("reduce_client truncates addresses") {
    CHECK(client_text("203.0.113.77") == "203.0.113.0/24");
    CHECK(client_text("203.0.113.77:5555") == "203.0.113.0/24");
    CHECK(client_text("2001:db8:1:2:3:4:5:6") == "2001:db8:1::/48");
    CHECK(client_text("[2001:db8:1:2:3:4:5:6]:443") == "2001:db8:1::/48");
    CHECK(client_text("::ffff:203.0.113.77") == "203.0.113.0/24");
    CHECK(client_text("203.0.113.77", 16, 64) == "203.0.0.0/16");
    CHECK(client_text("2001:db8:1:2:3:4:5:6", 16, 64) == "2001:db8:1:2::/64");
}

TEST_CASE("reduce_client truncates an embedded IPv4 address as IPv4") {
    // 6to4: 2002:cb00:714d::/48 would be all of 203.0.113.77.
    CHECK(client_text("2002:cb00:714d::1") == "203.0.113.0/24");
    CHECK(client_text("2002:cb00:714d:1234:5678::1", 16, 64) == "203.0.0.0/16");
    // Teredo (RFC 4380's example): the client 192.0.2.45 is stored inverted in the low bits;
    // the server 65.54.227.120 in bits 32..63 is not the client's.
    CHECK(client_text("2001:0:4136:e378:8000:63bf:3fff:fdd2") == "192.0.2.0/24");
    CHECK(client_text("2001:0:4136:e378:8000:63bf:3fff:fdd2", 32, 128) == "192.0.2.45/32");
    // NAT64: the well-known prefix, and the local-use /48 in its /96 and /48 layouts.
    CHECK(client_text("64:ff9b::203.0.113.77") == "203.0.113.0/24");
    CHECK(client_text("64:ff9b::cb00:714d") == "203.0.113.0/24");
    CHECK(client_text("64:ff9b:1::203.0.113.77") == "203.0.113.0/24");
    CHECK(client_text("64:ff9b:1:cb00:71:4d00::") == "203.0.113.0/24");
    // A local-use layout we cannot read keeps no more than the /48.
    CHECK(client_text("64:ff9b:1:1:2:3:4:5") == "64:ff9b:1::/48");
    CHECK(client_text("64:ff9b:1:1:2:3:4:5", 24, 128) == "64:ff9b:1::/48");
    // IPv4-compatible (deprecated) and ISATAP interface identifiers.
    CHECK(client_text("::203.0.113.77") == "203.0.113.0/24");
    CHECK(client_text("::cb00:714d") == "203.0.113.0/24");
    CHECK(client_text("2001:db8:1:2:0:5efe:203.0.113.77") == "203.0.113.0/24");
    CHECK(client_text("2001:db8:1:2:200:5efe:cb00:714d") == "203.0.113.0/24");
    CHECK(client_text("fe80::5efe:203.0.113.77") == "203.0.113.0/24");
    // IPv6's own addresses stay IPv6.
    CHECK(client_text("::1") == "::/48");
    CHECK(client_text("::") == "::/48");
    CHECK(client_text("2001:db8:1:2:100:5efe:cb00:714d") == "2001:db8:1::/48");
    CHECK(client_text("2003:cb00:714d::1") == "2003:cb00:714d::/48");
}

TEST_CASE("embedded_ipv4 reads only the IPv6 forms that carry an IPv4 address") {
    auto embedded = [](std::string_view text) -> std::string {
        std::optional<IpAddress> v4 = embedded_ipv4(*parse_ip(text));
        if (!v4) return "none";
        char out[64];
        return std::string(out, format_network(*v4, 32, out));
    };
    CHECK(embedded("2002:c000:0204::") == "192.0.2.4/32");
    CHECK(embedded("2001::ffff:ffff") == "0.0.0.0/32");
    CHECK(embedded("203.0.113.77") == "none");
    CHECK(embedded("2001:db8::1") == "none");
    CHECK(embedded("::1") == "none");
    CHECK(embedded("::ff") == "none");
    CHECK(embedded("::1:0") == "0.1.0.0/32");
}

TEST_CASE("parse_ipv4_any reads IPv4 hosts as browsers do") {
    auto v4 = [](std::string_view text) -> std::string {
        std::optional<IpAddress> address = parse_ipv4_any(text);
        if (!address) return "none";
        char out[64];
        return std::string(out, format_network(*address, 32, out));
    };
    CHECK(v4("203.0.113.77") == "203.0.113.77/32");
    CHECK(v4("203.0.113.77.") == "203.0.113.77/32");
    CHECK(v4("3405803853") == "203.0.113.77/32");
    CHECK(v4("0xcb00714d") == "203.0.113.77/32");
    CHECK(v4("0XCB00714D") == "203.0.113.77/32");
    CHECK(v4("0313.0.0161.0115") == "203.0.113.77/32");
    CHECK(v4("0313.0.0.0115") == "203.0.0.77/32");
    CHECK(v4("203.1") == "203.0.0.1/32");
    CHECK(v4("203.0.29005") == "203.0.113.77/32");
    CHECK(v4("0x7f.1") == "127.0.0.1/32");
    CHECK(v4("0x") == "0.0.0.0/32");
    CHECK(v4("4294967296") == "none");
    CHECK(v4("256.0.0.1") == "none");
    CHECK(v4("1.2.3.4.5") == "none");
    CHECK(v4("09.1.1.1") == "none");
    CHECK(v4("example.com") == "none");
    CHECK(v4("1.2.3.com") == "none");
    CHECK(v4("") == "none");
    CHECK(v4("1..2") == "none");
}

TEST_CASE("is_internal_address follows the special-purpose registries") {
    for (std::string_view text : {"0.1.2.3",
                                  "10.1.2.3",
                                  "100.64.0.1",
                                  "100.127.255.255",
                                  "127.0.0.1",
                                  "169.254.1.1",
                                  "172.16.0.1",
                                  "172.31.255.255",
                                  "192.0.0.8",
                                  "192.168.9.212",
                                  "198.18.0.1",
                                  "198.19.255.255",
                                  "224.0.0.1",
                                  "239.255.255.250",
                                  "240.0.0.1",
                                  "255.255.255.255",
                                  "::",
                                  "::1",
                                  "fc00::1",
                                  "fd12:3456::1",
                                  "fe80::1",
                                  "fec0::1",
                                  "ff02::1",
                                  "100::1",
                                  "2001:2::1",
                                  "::ffff:192.168.1.1",
                                  "2002:c0a8:0101::1",
                                  "64:ff9b::10.0.0.1"}) {
        CAPTURE(text);
        CHECK(is_internal_address(*parse_ip(text)));
    }
    for (std::string_view text :
         {"1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.255",
          "192.0.2.1", "198.51.100.111", "203.0.113.77", "198.17.255.255", "223.255.255.255",
          "2001:db8::1", "2a00:1450::1", "2002:cb00:714d::1"}) {
        CAPTURE(text);
        CHECK_FALSE(is_internal_address(*parse_ip(text)));
    }
}

TEST_CASE("reduce_client reduces host names to their registrable domain") {
    CHECK(client_text("in24.inetnebr.com") == "inetnebr.com");
    CHECK(client_text("piweba4y.prodigy.com") == "prodigy.com");
    CHECK(client_text("www.example.co.uk") == "example.co.uk");
    CHECK(client_text("WWW.Example.CO.UK") == "example.co.uk");
    CHECK(client_text("example.com") == "example.com");
    CHECK(client_text("dial-up-7.pool.example.com.") == "example.com");
    CHECK(client_text("localhost") == "invalid");
    CHECK(client_text("monitoring-server") == "invalid");
    CHECK(client_text("com") == "invalid");
    CHECK(client_text("co.uk") == "invalid");
}

TEST_CASE("reduce_client takes the registrable domain from the ICANN section only") {
    // Dynamic-DNS and cloud names are private-section suffixes: the person or the machine is
    // the label left of them.
    CHECK(client_text("alice.dyndns.org") == "dyndns.org");
    CHECK(client_text("johnsmith.no-ip.org") == "no-ip.org");
    CHECK(client_text("ec2-203-0-113-78.us-west-2.compute.amazonaws.com") == "amazonaws.com");
    CHECK(client_text("alice.github.io") == "github.io");
    CHECK(client_text("c-73-15-1-2.hsd1.ca.comcast.net") == "comcast.net");
    // A registrable domain that still holds an address, and names with none, are invalid.
    CHECK(client_text("pool.203-0-113-78.com") == "invalid");
    CHECK(client_text("a.3405803853.net") == "invalid");
    CHECK(client_text("x.cb00714d.net") == "invalid");
    CHECK(client_text("nas.internal") == "invalid");
    CHECK(client_text("host-203-0-113-78.isp.example") == "invalid");
    CHECK(client_text("dyndns.org") == "dyndns.org");
}

TEST_CASE("reduce_client gives invalid for anything else") {
    for (std::string_view text :
         {"", "-", "unix:", "1.2.3", "1.2.3.4.5", "256.1.1.1", "2a02:cf40::::::::4e36",
          "[2a02:cf40::::::::4e36]:500000000", "exa mple.com", "example..com", ".example.com",
          "user@example.com", "example.com/x", "caf\xc3\xa9.example.com", "a_b.example.com"}) {
        CAPTURE(text);
        CHECK(client_text(text) == "invalid");
    }
    CHECK(client_text(std::string(300, 'a') + ".com") == "invalid");
}

TEST_CASE("forwarded_client picks the right-most untrusted address") {
    const std::vector<Cidr> trusted = cidrs({"10.0.0.0/8", "2001:db8:ffff::/48"});
    CHECK(forwarded_text("203.0.113.7", trusted) == "203.0.113.7/32");
    CHECK(forwarded_text("198.51.100.1, 203.0.113.7, 10.0.0.2", trusted) == "203.0.113.7/32");
    CHECK(forwarded_text("198.51.100.1,203.0.113.7,10.0.0.2", trusted) == "203.0.113.7/32");
    CHECK(forwarded_text("198.51.100.1, 10.0.0.3, 10.0.0.2", trusted) == "198.51.100.1/32");
    CHECK(forwarded_text("10.0.0.9, 10.0.0.3, 10.0.0.2", trusted) == "10.0.0.9/32");
    CHECK(forwarded_text("203.0.113.7, unknown, 10.0.0.2", trusted) == "203.0.113.7/32");
    CHECK(forwarded_text("unknown, 10.0.0.3", trusted) == "10.0.0.3/32");
    CHECK(forwarded_text("2001:db8::1, 2001:db8:ffff::2", trusted) == "2001:db8::1/128");
    CHECK(forwarded_text("[2001:db8::1]:5000, 10.1.1.1:80", trusted) == "2001:db8::1/128");
    CHECK(forwarded_text("198.51.100.1, 203.0.113.7", {}) == "203.0.113.7/32");
    CHECK(forwarded_text("", trusted) == "none");
    CHECK(forwarded_text("-", trusted) == "none");
    CHECK(forwarded_text("unknown, , -", trusted) == "none");
}

TEST_CASE("reduce_resource keeps the path") {
    CHECK(reduce_resource("/download/file.tar.gz?token=secret", false) == "/download/file.tar.gz");
    CHECK(reduce_resource("/download/file.tar.gz?token=secret", true) ==
          "/download/file.tar.gz?token=secret");
    CHECK(reduce_resource("/page#section", false) == "/page");
    CHECK(reduce_resource("/page?a=b#section", true) == "/page?a=b");
    CHECK(reduce_resource("/a%20b?q", false) == "/a%20b");
    CHECK(reduce_resource("/", false) == "/");
    CHECK(reduce_resource("", false) == "");
    CHECK(reduce_resource("http://host:80/p?q", false) == "/p");
    CHECK(reduce_resource("http://host:80/p?q", true) == "/p?q");
    CHECK(reduce_resource("HTTPS://user:pw@host/a/b#f", false) == "/a/b");
    CHECK(reduce_resource("http://host", false) == "/");
    CHECK(reduce_resource("http://host?q=1", true) == "/");
    CHECK(reduce_resource("*", false) == "*");
    CHECK(reduce_resource("foo.com:25", false) == "foo.com:25");
    CHECK(reduce_resource("[2001:db8::1]:443", false) == "[2001:db8::1]:443");

    // The result is a view into the target, not a copy.
    std::string_view target = "/x?y";
    CHECK(reduce_resource(target, false).data() == target.data());
}

TEST_CASE("reduce_resource finds the query wherever it falls among bytes compared in bulk") {
    // Bytes are compared eight at a time; the bytes next to the cut are near misses ('>' and
    // '@' around '?', '"' and '$' around '#') and a byte >= 0x80.
    for (std::size_t at = 1; at < 26; ++at) {
        CAPTURE(at);
        std::string target(26, 'p');
        target[0] = '/';
        target[at - 1] = at % 2 ? '>' : '\xbf';
        if (at + 1 < target.size()) target[at + 1] = at % 2 ? '@' : '$';
        std::string fragment = target;
        target[at] = '?';
        fragment[at] = '#';
        CHECK(reduce_resource(target, false) == target.substr(0, at));
        CHECK(reduce_resource(fragment, false) == fragment.substr(0, at));
        CHECK(reduce_resource(fragment, true) == fragment.substr(0, at));
        CHECK(reduce_resource("http://h" + target.substr(at), false) == "/");
        CHECK(reduce_resource("http://host.example" + std::string(at, 'x') + "/p?q", false) ==
              "/p");
    }
    CHECK(reduce_resource("/abcdefgh\"\">>@@$$\xbf\xbf", false) == "/abcdefgh\"\">>@@$$\xbf\xbf");
}
