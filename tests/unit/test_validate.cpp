// Unit tests for validate: each column grammar takes what the reducers write and refuses the
// near misses (a longer prefix, host bits, non-canonical text, free text, control bytes).
#include <doctest/doctest.h>

#include <string>

#include "logsift/aggregate/validate.hpp"

using namespace logsift;

TEST_CASE("validate: networks have the declared prefix, zero host bits and canonical text") {
    CHECK(valid_network("203.0.113.0/24", 24, 48));
    CHECK(valid_network("2001:db8:1::/48", 24, 48));
    CHECK(valid_network("0.0.0.0/0", 0, 0));
    CHECK(valid_network("::/0", 0, 0));
    CHECK(valid_network("203.0.113.77/32", 32, 128));
    CHECK(valid_network("2001:db8::1/128", 32, 128));
    CHECK(valid_network("invalid", 24, 48));
    CHECK(valid_network("example.co.uk", 24, 48));

    CHECK_FALSE(valid_network("203.0.113.77/32", 24, 48));  // longer than declared
    CHECK_FALSE(valid_network("203.0.0.0/16", 24, 48));     // shorter than declared
    CHECK_FALSE(valid_network("203.0.113.77/24", 24, 48));  // host bits
    CHECK_FALSE(valid_network("203.0.113.77", 24, 48));     // a whole address
    CHECK_FALSE(valid_network("203.000.113.0/24", 24, 48));
    CHECK_FALSE(valid_network("203.0.113.0/024", 24, 48));
    CHECK_FALSE(valid_network("2001:DB8:1::/48", 24, 48));
    CHECK_FALSE(valid_network("2001:db8:1:0::/48", 24, 48));
    CHECK_FALSE(valid_network("2001:db8:1::1/48", 24, 48));
    CHECK_FALSE(valid_network("::ffff:203.0.113.0/120", 24, 48));
    CHECK_FALSE(valid_network("localhost", 24, 48));  // one label: no registrable domain
    CHECK_FALSE(valid_network("Example.org", 24, 48));
    CHECK_FALSE(valid_network("my_host.example.org", 24, 48));
    CHECK_FALSE(valid_network("alice@example.org", 24, 48));
    CHECK_FALSE(valid_network("", 24, 48));
    CHECK_FALSE(valid_network("invalid ", 24, 48));
}

TEST_CASE("validate: referrer hosts") {
    CHECK(valid_referrer_host("news.example.net", 24, 48));
    CHECK(valid_referrer_host("xn--bcher-kva.example", 24, 48));
    CHECK(valid_referrer_host("android-app", 24, 48));
    CHECK(valid_referrer_host("(internal)", 24, 48));
    CHECK(valid_referrer_host("198.51.100.0/24", 24, 48));
    CHECK(valid_referrer_host("2001:db8::/48", 24, 48));

    CHECK_FALSE(valid_referrer_host("198.51.100.111", 24, 48));
    CHECK_FALSE(valid_referrer_host("3405803853", 24, 48));
    CHECK_FALSE(valid_referrer_host("198.51.100.111/32", 24, 48));
    CHECK_FALSE(valid_referrer_host("[2001:db8::1]", 24, 48));
    CHECK_FALSE(valid_referrer_host("News.example.net", 24, 48));
    CHECK_FALSE(valid_referrer_host("news.example.net.", 24, 48));
    CHECK_FALSE(valid_referrer_host("news..example.net", 24, 48));
    CHECK_FALSE(valid_referrer_host("news example.net", 24, 48));
    CHECK_FALSE(valid_referrer_host("user@news.example.net", 24, 48));
    CHECK_FALSE(valid_referrer_host("(a=b)", 24, 48));
    CHECK_FALSE(valid_referrer_host("()", 24, 48));
    CHECK_FALSE(valid_referrer_host(std::string(254, 'a'), 24, 48));
}

TEST_CASE("validate: agents, classes, countries, status classes and resources") {
    CHECK(valid_agent("Firefox 120.0"));
    CHECK(valid_agent("Mobile Safari UI/WKWebView"));
    CHECK(valid_agent("Other bot"));
    // The agent grammar gives "Other bot" for Hatena::Crawler and "Other" for Swiftfin%20tvOS.
    CHECK_FALSE(valid_agent("Hatena::Crawler 0.01"));
    CHECK_FALSE(valid_agent("Swiftfin%20tvOS 70"));
    CHECK_FALSE(valid_agent("Nutch; http:"));
    CHECK_FALSE(valid_agent("alice.smith@example.com password=hunter2 CNRYUA01"));
    CHECK_FALSE(valid_agent("ArcGIS 3.1.CNRYUA04-user=alice"));
    CHECK_FALSE(valid_agent("curl\n8.4"));
    CHECK_FALSE(valid_agent(std::string("curl\0", 5)));
    CHECK_FALSE(valid_agent(" curl"));
    CHECK_FALSE(valid_agent("curl "));
    CHECK_FALSE(valid_agent(""));
    CHECK_FALSE(valid_agent(std::string(161, 'a')));

    CHECK(valid_agent_class("browser"));
    CHECK(valid_agent_class("other"));
    CHECK_FALSE(valid_agent_class("Bot"));
    CHECK(valid_country("DE"));
    CHECK_FALSE(valid_country("de"));
    CHECK_FALSE(valid_country("DEU"));
    CHECK(valid_country("(other)"));
    CHECK(valid_status_class("4xx"));
    CHECK_FALSE(valid_status_class("404"));
    CHECK_FALSE(valid_status_class("4XX"));

    CHECK(valid_resource("/releases/tool-1.2.3.tar.gz"));
    CHECK(valid_resource(std::string("/a\0\x01b", 5)));  // logged bytes, kept as they are
    CHECK_FALSE(valid_resource("/a\nb"));
    CHECK_FALSE(valid_resource("/a\rb"));
    CHECK_FALSE(valid_resource(""));
}

TEST_CASE("validate: period labels of each period") {
    CHECK(valid_period_label("2026-10-08", Period::day));
    CHECK(valid_period_label("2024-02-29", Period::day));
    CHECK(valid_period_label("unknown", Period::day));
    CHECK_FALSE(valid_period_label("2026-02-29", Period::day));
    CHECK_FALSE(valid_period_label("2026-13-01", Period::day));
    CHECK_FALSE(valid_period_label("2026-10-8", Period::day));
    CHECK_FALSE(valid_period_label("2026-10", Period::day));
    CHECK_FALSE(valid_period_label("all", Period::day));

    CHECK(valid_period_label("2026-W41", Period::week));
    CHECK(valid_period_label("0000-W52", Period::week));
    CHECK_FALSE(valid_period_label("2026-W54", Period::week));
    CHECK_FALSE(valid_period_label("2026-W00", Period::week));
    CHECK_FALSE(valid_period_label("2026-10-08", Period::week));

    CHECK(valid_period_label("2026-10", Period::month));
    CHECK_FALSE(valid_period_label("2026-00", Period::month));
    CHECK_FALSE(valid_period_label("2026-W41", Period::month));

    CHECK(valid_period_label("all", Period::all));
    CHECK_FALSE(valid_period_label("unknown", Period::all));
    CHECK_FALSE(valid_period_label("2026-10-08", Period::all));
}
