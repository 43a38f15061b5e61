#include <doctest/doctest.h>

#include <array>
#include <string>

#include "logsift/reduce/reread.hpp"

using namespace logsift;

namespace {

std::string network(std::string_view text, unsigned v4, unsigned v6) {
    std::array<char, 256> out{};
    bool selected = false;
    return std::string(out.data(), reread_network(text, v4, v6, {}, selected, out.data()));
}

}  // namespace

TEST_CASE("reread_network keeps the shorter of the logged and the run's prefix") {
    CHECK(network("203.0.113.0/24", 24, 48) == "203.0.113.0/24");
    CHECK(network("203.0.113.0/24", 28, 48) == "203.0.113.0/24");
    CHECK(network("203.0.113.0/24", 16, 48) == "203.0.0.0/16");
    CHECK(network("2001:db8:1::/48", 24, 64) == "2001:db8:1::/48");
    CHECK(network("2001:db8:1::/48", 24, 32) == "2001:db8::/32");
    CHECK(network("203.0.113.77", 24, 48) == "203.0.113.0/24");  // a whole address: cut
    CHECK(network("203.0.113.77/32", 24, 48) == "203.0.113.0/24");
    CHECK(network("inetnebr.com", 24, 48) == "inetnebr.com");
    CHECK(network("in24.inetnebr.com", 24, 48) == "inetnebr.com");
    CHECK(network("invalid", 24, 48) == "invalid");
    CHECK(network("", 24, 48) == "invalid");
}

TEST_CASE("reread_network selects a network only when --client holds all of it") {
    std::array<char, 256> out{};
    std::vector<Cidr> filter = {*parse_cidr("203.0.113.0/24")};
    bool selected = false;
    reread_network("203.0.113.0/24", 24, 48, filter, selected, out.data());
    CHECK(selected);
    reread_network("203.0.0.0/16", 24, 48, filter, selected, out.data());
    CHECK_FALSE(selected);
    reread_network("198.51.100.0/24", 24, 48, filter, selected, out.data());
    CHECK_FALSE(selected);
    reread_network("example.com", 24, 48, filter, selected, out.data());
    CHECK_FALSE(selected);
}

TEST_CASE("reread agent columns pass product names and short versions only") {
    CHECK(reread_agent_family("Firefox") == "Firefox");
    CHECK(reread_agent_family("Debian APT-HTTP") == "Debian APT-HTTP");
    CHECK(reread_agent_family("Mobile Safari UI/WKWebView") == "Mobile Safari UI/WKWebView");
    CHECK(reread_agent_family("") == "");
    CHECK(reread_agent_family("alice@example.com") == "Other");
    CHECK(reread_agent_family("a=b") == "Other");
    CHECK(reread_agent_family("Bot 5551234567") == "Other");
    CHECK(reread_agent_family(std::string(65, 'a')) == "Other");
    CHECK(reread_agent_family("JohnDoeSecret123bot") == "Other");
    CHECK(reread_agent_family("JohnDoeSecret123bot (x)") == "Other");
    CHECK(reread_agent_family("Swiftfin%20tvOS") == "Other");
    CHECK(reread_agent_version("128.0") == "128.0");
    CHECK(reread_agent_version("32.0.1700") == "32.0.1700");
    CHECK(reread_agent_version("") == "");
    CHECK(reread_agent_version("3.1.user=alice") == "");
    CHECK(reread_agent_version("1..2") == "");
    CHECK(reread_agent_version("1.2.3.4.5") == "");
    CHECK(reread_agent_class("bot") == "bot");
    CHECK(reread_agent_class("") == "");
    CHECK(reread_agent_class("wizard") == "other");
}

TEST_CASE("reread country and referrer host") {
    CHECK(reread_country("DE") == "DE");
    CHECK(reread_country("de") == "");
    CHECK(reread_country("DEU") == "");
    CHECK(reread_country("(other)") == "(other)");  // --k-anonymity's
    CHECK(reread_country("(OTHER)") == "");
    std::array<char, 256> out{};
    auto host = [&](std::string_view text) {
        return std::string(out.data(), reread_referrer_host(text, 24, 48, out.data()));
    };
    CHECK(host("www.example.com") == "www.example.com");
    CHECK(host("WWW.Example.COM") == "www.example.com");
    CHECK(host("alice:pw@example.org") == "example.org");
    CHECK(host("") == "");
    CHECK(host("a b") == "");
    // Values today's reduce writes stay as they are.
    CHECK(host("(internal)") == "(internal)");
    CHECK(host("android-app") == "android-app");
    CHECK(host("203.0.113.0/24") == "203.0.113.0/24");
    CHECK(host("2001:db8:1::/48") == "2001:db8:1::/48");
    // Older reduced logs: address literals and intranet names get today's values.
    CHECK(host("192.168.9.212") == "(internal)");
    CHECK(host("198.51.100.111") == "198.51.100.0/24");
    CHECK(host("localhost") == "(internal)");
    CHECK(host("wikicanary") == "(internal)");
    CHECK(host("203.0.113.77.nip.io") == "nip.io");
    CHECK(host("203.0.113.77/32") == "203.0.113.0/24");
    CHECK(host("(Evil text)") == "");
}

TEST_CASE("reread_network unwraps an IPv4 address an older reduce left inside an IPv6 network") {
    CHECK(network("2002:cb00:714d::/48", 24, 48) == "203.0.113.0/24");
    CHECK(network("2002:cb00::/32", 24, 48) == "203.0.0.0/16");
    CHECK(network("64:ff9b::cb00:714d/128", 24, 48) == "203.0.113.0/24");
    CHECK(network("64:ff9b::/48", 24, 48) == "64:ff9b::/48");  // no IPv4 bits left
    CHECK(network("2001:db8:1::/48", 24, 48) == "2001:db8:1::/48");
}
