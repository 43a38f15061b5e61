// Unit tests for agent_grammar: which captured names are product names, which versions are
// kept, which rules capture free text; and through the parser, that the text uap-core's rules
// copy from a user agent (an e-mail address, a password, a personal bot name, a formula) never
// reaches a family, a version or the keys summaries count by.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>

#include "logsift/reduce/agent_grammar.hpp"
#include "logsift/reduce/useragent.hpp"

using namespace logsift;

namespace {

const AgentParser& parser() {
    static const std::unique_ptr<AgentParser> loaded = [] {
        auto result = AgentParser::load("/usr/share/uap-core/regexes.yaml",
                                        std::string(LOGSIFT_PATTERNS_DIR) + "/agents.yaml");
        REQUIRE(result.has_value());
        return std::move(*result);
    }();
    return *loaded;
}

}  // namespace

TEST_CASE("agent grammar: product names pass") {
    for (const char* name : {"Googlebot",
                             "bingbot",
                             "AhrefsBot",
                             "YandexBot",
                             "SemrushBot",
                             "MJ12bot",
                             "DotBot",
                             "PetalBot",
                             "Bytespider",
                             "python-requests",
                             "Go-http-client",
                             "okhttp",
                             "Apache-HttpClient",
                             "facebookexternalhit",
                             "Slackbot-LinkExpanding",
                             "360Spider",
                             "Site24x7",
                             "S3Gof3r",
                             "Mail.RU_Bot",
                             "Yahoo! Slurp",
                             "Y!J-BRW",
                             "Sogou web spider",
                             "Bing for iPad",
                             "1470.net crawler",
                             "facade",
                             "deadbeef"}) {
        INFO(std::string(name));
        CHECK(is_product_token(name, CaptureKind::product));
        CHECK(is_product_token(name, CaptureKind::free_text));
    }
    // Up to 6 words where the rule picks the name, 3 where the client does.
    CHECK(is_product_token("Microsoft Bing Mobile SocialStreams Bot", CaptureKind::product));
    CHECK(is_product_token("aws-sdk-dotnet-45", CaptureKind::product));
    CHECK_FALSE(is_product_token("aws-sdk-dotnet-45", CaptureKind::free_text));
    CHECK(is_product_token("Screaming Frog SEO Spider", CaptureKind::product));
    CHECK_FALSE(is_product_token("Screaming Frog SEO Spider", CaptureKind::free_text));
    CHECK_FALSE(is_product_token("a b c d e f g", CaptureKind::product));
    // 40 bytes, not 41.
    CHECK(is_product_token(std::string(40, 'a'), CaptureKind::product));
    CHECK_FALSE(is_product_token(std::string(41, 'a'), CaptureKind::product));
}

TEST_CASE("agent grammar: personal and hostile names are refused") {
    for (const char* name : {
             "alice.smith@example.com password=hunter2 CNRYUA01",  // @ = and too long
             "JohnDoeSecret123bot",       // 19 bytes mixing letters and digits
             "Alice1990bot",              // 4 digits in a mixed word
             "=HYPERLINK(\"http://x\")",  // a formula
             "+cmd",
             "-cmd",
             "@SUM",
             "!x",  // a spreadsheet would evaluate these
             "alice:secret",
             "a/b",
             "a;b",
             "a=b",
             "a@b",
             "a\tb",
             "caf\xc3\xa9",
             "app 123456",  // a run of 6 digits
             "deadbeef01",
             "cafe1234",  // hexadecimal tokens
             "a  b",
             "a-.b",
             "Lycos_Spider_",
             " a",
             "",
         }) {
        INFO(std::string(name));
        CHECK_FALSE(is_product_token(name, CaptureKind::product));
        CHECK_FALSE(is_product_token(name, CaptureKind::free_text));
    }
    CHECK(is_product_token("app 12345 6", CaptureKind::product));         // no run of 6 digits
    CHECK(is_product_token("secret-token-abc", CaptureKind::free_text));  // 3 words
    CHECK_FALSE(is_product_token("secret-token-abc Crawler", CaptureKind::free_text));
}

TEST_CASE("agent grammar: versions are 1 to 6 digits a part") {
    CHECK(is_version_component("0"));
    CHECK(is_version_component("123456"));
    CHECK_FALSE(is_version_component("1234567"));
    CHECK_FALSE(is_version_component(""));
    CHECK_FALSE(is_version_component("b4"));
    CHECK_FALSE(is_version_component("CNRYUA04-user=alice"));
}

TEST_CASE("agent grammar: which captures are the client's free text") {
    // uap-core's app-name rule before CFNetwork and its generic crawler rules.
    CHECK(capture_is_free_text("^(.{0,200})/(\\d+)(?:\\.(\\d+)|) CFNetwork", 1));
    CHECK(
        capture_is_free_text("^.{0,200}?(?:\\/[A-Za-z0-9\\.]{0,50}|) {0,2}([A-Za-z0-9 "
                             "\\-_\\!\\[\\]:]{0,50}(?:[Bb]ot|[Ss]pider))[/ ](\\d+)",
                             1));
    CHECK(
        capture_is_free_text("^.{0,200}?((?:[A-Za-z][A-Za-z0-9 -]{0,50}|)[^C][^Uu][Bb]ot)\\b", 1));
    CHECK(capture_is_free_text("(?P<name>\\w+)", 1));
    CHECK(capture_is_free_text("[(](.*)", 1));    // a `(` in a class opens no group
    CHECK(capture_is_free_text("\\((\\S+)", 1));  // nor an escaped one
    // The rule names the product, the client at most adds to it.
    CHECK_FALSE(capture_is_free_text("(Chromium|Chrome)/(\\d+)", 1));
    CHECK_FALSE(capture_is_free_text("/((?:Ant-|)Nutch|[A-z]+[Bb]ot|fetchurl)[ \\-](\\d+)", 1));
    CHECK_FALSE(capture_is_free_text("(?i)(Yandex\\w{1,30})", 1));
    CHECK_FALSE(capture_is_free_text("(?:[A-Z]|)x(a)", 1));
    CHECK_FALSE(capture_is_free_text("(a)", 2));  // no such group
}

TEST_CASE("agent grammar: names_a_bot") {
    CHECK(names_a_bot("JohnDoeSecret123bot"));
    CHECK(names_a_bot("secret-token-abc Crawler"));
    CHECK(names_a_bot("X SPIDER"));
    CHECK_FALSE(names_a_bot("alice.smith@example.com password=hunter2 CNRYUA01"));
}

TEST_CASE("agent grammar: uap-core's leaks become Other, Other bot and empty versions") {
    struct Case {
        const char* ua;
        const char* family;
        const char* version;
        AgentClass agent_class;
    };
    const Case cases[] = {
        // The app-name rule before CFNetwork takes up to 200 bytes.
        {"alice.smith@example.com password=hunter2 CNRYUA01/1.0 CFNetwork/1240.0.4 "
         "Darwin/20.0.0",
         "Other", "", AgentClass::other},
        {"=HYPERLINK(\"http://203.0.113.9/\")/1.0 CFNetwork/1240.0.4 Darwin/20.0.0", "Other", "",
         AgentClass::other},
        // The generic crawler rules take any name before bot, spider or crawl.
        {"JohnDoeSecret123bot/1.0", "Other bot", "", AgentClass::bot},
        {"Mozilla/5.0 (compatible; JohnDoeSecret123bot/2.1; +http://example.com/)", "Other bot", "",
         AgentClass::bot},
        {"secret-token-abc Crawler/1.0", "Other bot", "", AgentClass::bot},
        {"secret-token-abc Crawler", "Other bot", "", AgentClass::bot},
        // Here the rule takes only the word before the version: no formula either.
        {"=HYPERLINK(\"http://x/\") bot/1.0", "bot", "1.0", AgentClass::bot},
        // Versions: a part that is no short number drops the whole version.
        {"ArcGIS Pro 3.1.CNRYUA04-user=alice", "ArcGIS Pro", "", AgentClass::browser},
        {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/8.123456789.987654 Safari/537.36",
         "Chrome", "", AgentClass::browser},
        {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.123456.0 Safari/537.36",
         "Chrome", "120.123456.0", AgentClass::browser},
    };
    for (const Case& c : cases) {
        INFO(std::string(c.ua));
        const AgentInfo info = parser().parse(c.ua);
        CHECK(info.family == c.family);
        CHECK(info.version == c.version);
        CHECK(agent_class_name(info.agent_class) == agent_class_name(c.agent_class));
        if (std::string_view(c.version).empty()) {
            CHECK(info.major.empty());
            CHECK(info.minor.empty());
            CHECK(info.patch.empty());
        }
        // The keys summaries count by hold only the checked values.
        const std::string family = c.family;
        const std::string version = c.version;
        CHECK(info.with_version == (version.empty() ? family : family + " " + version));
        CHECK(info.client_part == std::string(1, '\0') + family + std::string(1, '\0') + version);
    }
}

TEST_CASE("agent grammar: real crawlers, tools and browsers keep their names") {
    struct Case {
        const char* ua;
        const char* family;
        const char* version;
    };
    const Case cases[] = {
        {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot",
         "2.1"},
        {"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "bingbot",
         "2.0"},
        {"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "AhrefsBot", "7.0"},
        {"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "YandexBot", "3.0"},
        {"Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)", "MJ12bot", "1.4.8"},
        {"Mozilla/5.0 (compatible; DotBot/1.2; +https://opensiteexplorer.org/dotbot; "
         "help@moz.com)",
         "DotBot", "1.2"},
        {"Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile "
         "Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
         "PetalBot", ""},
        {"Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
         "Sogou web spider", "4.0"},
        {"Mozilla/5.0 (compatible; 360Spider)", "360Spider", ""},
        {"Go-http-client/1.1", "Go-http-client", "1.1"},
        {"okhttp/4.12.0", "okhttp", "4.12.0"},
        {"Apache-HttpClient/4.5.13 (Java/17.0.2)", "Apache-HttpClient", "4.5.13"},
        {"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "FacebookBot",
         "1.1"},  // uap-core's own name
        {"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Slackbot-LinkExpanding",
         "1.0"},
        {"Podcasts/1.0 CFNetwork/1240.0.4 Darwin/20.0.0", "Podcasts", "1.0"},
        {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0.6099.71 Safari/537.36",
         "Chrome", "120.0.6099"},
    };
    for (const Case& c : cases) {
        INFO(std::string(c.ua));
        const AgentInfo info = parser().parse(c.ua);
        CHECK(info.family == c.family);
        CHECK(info.version == c.version);
    }
}
