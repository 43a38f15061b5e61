// Unit tests for useragent: agreement with uap-core's own test cases (read from the installed
// package), logsift's agents.yaml and its load-time checks, the cache, and parsing from several
// threads at once.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <yaml-cpp/yaml.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "logsift/reduce/useragent.hpp"

using namespace logsift;

namespace {

const std::string uap_regexes = "/usr/share/uap-core/regexes.yaml";
const std::string uap_tests = "/usr/share/uap-core/tests/";
const std::string agents_yaml = std::string(LOGSIFT_PATTERNS_DIR) + "/agents.yaml";

// Patterns of the installed uap-core (1:0.16.0) that RE2 cannot compile. A new uap-core that
// changes this number must be looked at: its skipped rules are disagreements waiting to happen.
constexpr std::size_t expected_skipped = 0;

// test_ua.yaml cases (by index in the file) on which logsift knowingly disagrees with
// uap-core: what logsift gives instead, and why. For uap-core 1:0.16.0, all come from the
// family and version grammar (agent_grammar.hpp): a version with a part that is not 1 to 6
// digits is dropped whole, and a crawler whose captured name is no product name is `Other bot`.
struct Disagreement {
    const char* family;
    const char* version;
    const char* reason;
};
const std::map<std::size_t, Disagreement> expected_ua_disagreements = {
    // 15 versions dropped, the family kept.
    {14, {"Amazon Silk", "", "patch 0-80"}},
    {66, {"Firefox (Shiretoko)", "", "patch 1pre"}},
    {67, {"Firefox Beta", "", "patch b4"}},
    {68, {"Firefox Beta", "", "patch b8pre"}},
    {93, {"Lightning", "", "patch b3pre"}},
    {105, {"MozillaDeveloperPreview", "", "patch a1"}},
    {1252, {"Evolution", "", "patch 2.1"}},
    {1254, {"RCM CardDAV plugin", "", "patch 2-dev"}},
    {1283, {"Basilisk", "", "patch 20171113 has 8 digits"}},
    {1325, {"Google", "", "patch 169645775 has 9 digits"}},
    {1352, {"FME", "", "major 2018.7"}},
    {1362, {"Collector for ArcGIS", "", "major 6212016 has 7 digits"}},
    {1384, {"CloudFoundry", "", "patch 0+2acd15650.2020-04-07"}},
    {1385, {"HTTPClient", "", "patch 3E"}},
    {1391, {"go-cli", "", "patch 0+29d6257f1.2019-07-09"}},
    // 18 crawler names refused: `Other bot`, no version.
    {393, {"Other bot", "", "Comodo HTTP(S) Crawler: ( )"}},
    {451, {"Other bot", "", "Nutch; http: (a misparse): ; :"}},
    {500, {"Other bot", "", "Xenu's Link Sleuth: '"}},
    {539, {"Other bot", "", "ichiro/mobile: /"}},
    {616, {"Other bot", "", "Hatena::Crawler: :"}},
    {680, {"Other bot", "", "Screaming Frog SEO Spider: 4 words of free text"}},
    {681, {"Other bot", "", "Screaming Frog SEO Spider: 4 words of free text"}},
    {744, {"Other bot", "", "envolk[ITS]spider: [ ]"}},
    {795, {"Other bot", "", "Using Fast Enterprise Crawler: 4 words of free text"}},
    {805, {"Other bot", "", "123metaspider-Bot: 13 bytes mixing letters and digits"}},
    {836, {"Other bot", "", "CFG_SPIDER_USER_AGENT: 4 words of free text"}},
    {844, {"Other bot", "", "Computer_and_Automation_Research_Institute_Crawler: 50 bytes"}},
    {906, {"Other bot", "", "Lycos_Spider_: ends in a separator"}},
    {937, {"Other bot", "", "ProjectWF-java-test-crawler: 4 words of free text"}},
    {980, {"Other bot", "", "TAMU_CS_IRL_CRAWLER: 4 words of free text"}},
    {983, {"Other bot", "", "TelemetrySpider2: 16 bytes mixing letters and digits"}},
    {1029, {"Other bot", "", "cis455crawler: 13 bytes mixing letters and digits"}},
    {1057, {"Other bot", "", "parallelContextFocusCrawler1: 28 bytes mixing letters, digits"}},
};

// The same for test_device.yaml's `Spider` cases (index among all cases of the file).
const std::map<std::size_t, const char*> expected_bot_disagreements = {};

const AgentParser& uap_only() {
    static const std::unique_ptr<AgentParser> parser = [] {
        auto loaded = AgentParser::load(uap_regexes, "");
        REQUIRE(loaded.has_value());
        return std::move(*loaded);
    }();
    return *parser;
}

const AgentParser& with_extras() {
    static const std::unique_ptr<AgentParser> parser = [] {
        auto loaded = AgentParser::load(uap_regexes, agents_yaml);
        if (!loaded) FAIL(loaded.error().message());
        return std::move(*loaded);
    }();
    return *parser;
}

std::string text(const YAML::Node& node) {
    return node && node.IsScalar() ? node.Scalar() : std::string();
}

const std::vector<std::string>& corpus() {
    static const std::vector<std::string> agents = [] {
        std::vector<std::string> all;
        for (const YAML::Node& test_case :
             YAML::LoadFile(uap_tests + "test_ua.yaml")["test_cases"]) {
            all.push_back(text(test_case["user_agent_string"]));
        }
        return all;
    }();
    return agents;
}

// Writes `content` to a fresh file and returns its path; removed at the end of the test.
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& content) {
        static int counter = 0;
        path =
            (std::filesystem::temp_directory_path() / ("logsift-ua-" + std::to_string(::getpid()) +
                                                       "-" + std::to_string(counter++) + ".yaml"))
                .string();
        std::ofstream(path) << content;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

Error load_error(const std::string& extra_content) {
    TempFile file(extra_content);
    auto loaded = AgentParser::load(uap_regexes, file.path);
    REQUIRE_FALSE(loaded.has_value());
    Error error = std::move(loaded).error();
    CHECK(error.fault == logsift::Fault::usage);
    CHECK(error.file == file.path);
    return error;
}

}  // namespace

TEST_CASE("useragent: every case of uap-core's test_ua.yaml") {
    const AgentParser& parser = uap_only();
    CHECK(parser.skipped_patterns().size() == expected_skipped);
    const YAML::Node cases = YAML::LoadFile(uap_tests + "test_ua.yaml")["test_cases"];
    std::size_t agree = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const YAML::Node& test_case = cases[i];
        const AgentInfo info = parser.parse(text(test_case["user_agent_string"]));
        const bool same =
            info.family == text(test_case["family"]) && info.major == text(test_case["major"]) &&
            info.minor == text(test_case["minor"]) && info.patch == text(test_case["patch"]);
        agree += same ? 1 : 0;
        const auto listed = expected_ua_disagreements.find(i);
        INFO("test_ua.yaml case " << i << ": got " << info.family << " " << info.major << "."
                                  << info.minor << "." << info.patch);
        CHECK(same == (listed == expected_ua_disagreements.end()));
        if (listed != expected_ua_disagreements.end()) {
            INFO(listed->second.reason);
            CHECK(info.family == listed->second.family);
            CHECK(info.version == listed->second.version);
            if (info.family == "Other bot") CHECK(info.agent_class == AgentClass::bot);
        }
    }
    MESSAGE("test_ua.yaml agreement: " << agree << "/" << cases.size());
    CHECK(cases.size() > 1000);
    CHECK(agree + expected_ua_disagreements.size() == cases.size());
}

TEST_CASE("useragent: test_device.yaml's Spider cases are bots, and only they") {
    const AgentParser& parser = uap_only();
    const YAML::Node cases = YAML::LoadFile(uap_tests + "test_device.yaml")["test_cases"];
    std::size_t spiders = 0, agree = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const YAML::Node& test_case = cases[i];
        const bool spider = text(test_case["family"]) == "Spider";
        const bool bot =
            parser.parse(text(test_case["user_agent_string"])).agent_class == AgentClass::bot;
        INFO("test_device.yaml case " << i);
        if (spider) {
            ++spiders;
            agree += bot ? 1 : 0;
            CHECK(bot != (expected_bot_disagreements.count(i) != 0));
        } else {
            CHECK_FALSE(bot);  // the first matching device rule decides, exactly
        }
    }
    MESSAGE("test_device.yaml Spider -> bot: " << agree << "/" << spiders << " (of " << cases.size()
                                               << " device cases)");
    CHECK(spiders > 50);
}

TEST_CASE("useragent: known agents with logsift's rules") {
    const AgentParser& parser = with_extras();
    struct Case {
        const char* ua;
        const char* family;
        const char* version;
        AgentClass agent_class;
    };
    const Case cases[] = {
        {"Debian APT-HTTP/1.3 (2.6.1)", "Debian APT-HTTP", "1.3", AgentClass::tool},
        {"pip/24.0 {\"ci\":null,\"cpu\":\"x86_64\",\"installer\":{\"name\":\"pip\"}}", "pip",
         "24.0", AgentClass::tool},
        {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot",
         "2.1", AgentClass::bot},
        {"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", "Firefox",
         "120.0", AgentClass::browser},
        {"curl/8.4.0", "curl", "8.4.0", AgentClass::tool},
        {"Wget/1.21.3", "Wget", "1.21.3", AgentClass::tool},
        {"Go-http-client/1.1", "Go-http-client", "1.1", AgentClass::tool},
        {"Apache-Maven/3.9.5 (Java 17.0.9; Linux 6.5.0-14-generic)", "Maven", "3.9.5",
         AgentClass::tool},
        {"-", "Other", "", AgentClass::other},
        {"", "Other", "", AgentClass::other},
        {"no product here", "Other", "", AgentClass::other},
    };
    for (const Case& c : cases) {
        INFO(c.ua);
        const AgentInfo info = parser.parse(c.ua);
        CHECK(info.family == c.family);
        CHECK(info.version == c.version);
        CHECK(agent_class_name(info.agent_class) == agent_class_name(c.agent_class));
        // The keys summaries count by, made once per agent.
        const std::string family = c.family;
        const std::string version = c.version;
        CHECK(info.with_version == (version.empty() ? family : family + " " + version));
        CHECK(info.client_part == std::string(1, '\0') + family + std::string(1, '\0') + version);
    }
    const AgentInfo apt = parser.parse("Debian APT-HTTP/1.3 (2.6.1)");
    CHECK(apt.major == "1");
    CHECK(apt.minor == "3");
    CHECK(apt.patch.empty());
}

TEST_CASE("useragent: agents.yaml loads, its samples checked") {
    CHECK(with_extras().skipped_patterns().size() == expected_skipped);
    // The same rule with and without the extras: logsift's rules only add, before uap-core's.
    CHECK(with_extras().parse("okhttp/4.12.0").family == "okhttp");
    CHECK(uap_only().parse("okhttp/4.12.0").agent_class == AgentClass::browser);
    CHECK(with_extras().parse("okhttp/4.12.0").agent_class == AgentClass::tool);
}

TEST_CASE("useragent: agents.yaml errors name file, line and reason") {
    SUBCASE("a sample that gives another answer") {
        const Error error = load_error(
            "user_agent_parsers:\n"
            "  - regex: '^(pip)/(\\d+)\\.(\\d+)'\n"
            "    samples:\n"
            "      - ua: 'pip/24.0 secret-host-name'\n"
            "        family: pip\n"
            "        version: '24.1'\n");
        CHECK(error.line == 4);
        CHECK(error.reason ==
              "sample gives family 'pip' version '24.0', expected 'pip' version "
              "'24.1'");
        CHECK(error.reason.find("secret-host-name") == std::string::npos);
    }
    SUBCASE("a sample decided by an earlier entry") {
        const Error error = load_error(
            "user_agent_parsers:\n"
            "  - regex: '^(pip)/'\n"
            "    samples:\n"
            "      - {ua: 'pip/1', family: pip, version: ''}\n"
            "  - regex: '^(pip)/(\\d+)'\n"
            "    samples:\n"
            "      - {ua: 'pip/2', family: pip, version: '2'}\n");
        CHECK(error.line == 7);
        CHECK(error.reason == "sample is decided by the entry at line 2, not by its own entry");
    }
    SUBCASE("a sample with the wrong class") {
        const Error error = load_error(
            "user_agent_parsers:\n"
            "  - regex: '^(pip)/(\\d+)'\n"
            "    samples:\n"
            "      - {ua: 'pip/2', family: pip, version: '2', class: tool}\n");
        CHECK(error.line == 4);
        CHECK(error.reason == "sample gives class 'browser', expected 'tool'");
    }
    SUBCASE("an entry without samples") {
        const Error error = load_error(
            "user_agent_parsers:\n"
            "  - regex: '^(pip)/(\\d+)'\n");
        CHECK(error.line == 2);
        CHECK(error.reason == "entry without samples");
    }
    SUBCASE("a regex RE2 cannot compile") {
        const Error error = load_error(
            "user_agent_parsers:\n"
            "  - regex: '^(pip)/(?=\\d)'\n"
            "    samples:\n"
            "      - {ua: 'pip/2', family: pip, version: ''}\n");
        CHECK(error.line == 2);
        CHECK(error.reason.rfind("RE2 cannot compile the regex: ", 0) == 0);
    }
    SUBCASE("broken YAML") {
        const Error error = load_error("user_agent_parsers:\n  - regex: '^(pip\n");
        CHECK(error.line == 2);
        CHECK_FALSE(error.reason.empty());
    }
    SUBCASE("no rule list") {
        const Error error = load_error("tool_families: [curl]\n");
        CHECK(error.line == 0);
        CHECK(error.reason == "user_agent_parsers list missing");
    }
}

TEST_CASE("useragent: a missing regexes.yaml says how to get it") {
    auto loaded = AgentParser::load("/nonexistent/regexes.yaml", "");
    REQUIRE_FALSE(loaded.has_value());
    const Error& error = loaded.error();
    CHECK(error.file == "/nonexistent/regexes.yaml");
    CHECK(error.line == 0);
    CHECK(error.reason ==
          "cannot read uap-core's user-agent rules; install them with `apt-get install uap-core`, "
          "or pass --ua-regexes FILE");
}

TEST_CASE("useragent: replacements substitute $1..$9 and trim") {
    TempFile regexes(
        "user_agent_parsers:\n"
        "  - regex: '^(\\w+) (\\w+)/(\\d+)'\n"
        "    family_replacement: ' $2 of $1 '\n"
        "    v1_replacement: '$3'\n"
        "    v2_replacement: '  '\n"
        "  - regex: '^(Fam)(?:/(\\d+)|)(?:\\.(\\d+)|)(?:-(\\d+)|)'\n"
        "  - regex: '(?:Case)/(\\d+)'\n"
        "    regex_flag: 'i'\n"
        "    family_replacement: 'Cased'\n"
        "device_parsers:\n"
        "  - regex: 'Crawly'\n"
        "    device_replacement: 'Spider'\n"
        "  - regex: '(Spider)Man'\n");
    auto loaded = AgentParser::load(regexes.path, "");
    REQUIRE(loaded.has_value());
    const AgentParser& parser = **loaded;

    AgentInfo info = parser.parse("Big Thing/7 and more");
    CHECK(info.family == "Thing of Big");
    CHECK(info.major == "7");
    CHECK(info.minor.empty());  // blank after trimming counts as missing
    CHECK(info.version == "7");
    info = parser.parse("Fam/1-3");  // minor missing: the version stops before the patch
    CHECK(info.family == "Fam");
    CHECK(info.patch == "3");
    CHECK(info.version == "1");
    info = parser.parse("Fam");
    CHECK(info.version.empty());
    CHECK(parser.parse("xx-cASE/4").family == "Cased");
    CHECK(parser.parse("Fam Crawly").agent_class == AgentClass::bot);
    CHECK(parser.parse("Fam SpiderMan").agent_class == AgentClass::bot);  // family from $1
    CHECK(parser.parse("Fam spiderMan").agent_class == AgentClass::browser);
}

TEST_CASE("useragent: cache counts, stays bounded, agrees with parse") {
    const AgentParser& parser = with_extras();
    AgentCache cache(parser, 2);
    CHECK(cache.lookup("curl/8.4.0").family == "curl");
    CHECK(cache.lookup("curl/8.4.0").version == "8.4.0");
    CHECK(cache.hits() == 1);
    CHECK(cache.misses() == 1);
    cache.lookup("Wget/1.21.3");
    cache.lookup("pip/24.0");  // full: forgets both, then holds this one
    CHECK(cache.size() == 1);
    cache.lookup("curl/8.4.0");
    CHECK(cache.misses() == 4);
    CHECK(cache.hits() == 1);

    AgentCache big(parser, 100);
    for (const std::string& agent : corpus()) {
        const AgentInfo& cached = big.lookup(agent);
        const AgentInfo parsed = parser.parse(agent);
        CHECK(cached.family == parsed.family);
        CHECK(cached.version == parsed.version);
        CHECK(cached.agent_class == parsed.agent_class);
        CHECK(big.size() <= 100);
    }
    CHECK(big.misses() + big.hits() == corpus().size());
}

TEST_CASE("useragent: a hostile megabyte-long agent is parsed by its first bytes only") {
    // Found while hardening: every candidate rule ran over the whole string, about 2 s for a
    // 1 MiB agent of bot words, and the cache kept each distinct long agent in full.
    const AgentParser& parser = with_extras();
    std::string bots;
    while (bots.size() < (1 << 20))
        bots += "bot crawler spider Googlebot/2.1 ";
    const std::string_view head(bots.data(), AgentParser::max_agent_bytes);
    const AgentInfo whole = parser.parse(bots);
    const AgentInfo cut = parser.parse(head);
    CHECK(whole.family == cut.family);
    CHECK(whole.version == cut.version);
    CHECK(whole.agent_class == AgentClass::bot);
    // What decides the answer past the cut is not read.
    CHECK(parser.parse(std::string(2000, ' ') + "curl/8.4.0").family == "Other");
    CHECK(parser.parse(std::string(1000, ' ') + "curl/8.4.0").family == "curl");

    // Agents that differ only past the cut are one cache entry, kept at the cut's length.
    AgentCache cache(parser, 16);
    cache.lookup(bots);
    cache.lookup(bots + "different tail");
    CHECK(cache.size() == 1);
    CHECK(cache.hits() == 1);
}

TEST_CASE("useragent: parse and parse_shared from two threads give the same answers") {
    const AgentParser& parser = with_extras();
    const std::vector<std::string> agents = corpus();
    std::vector<std::string> expected;
    for (const std::string& agent : agents) {
        const AgentInfo info = parser.parse(agent);
        expected.push_back(info.family + "/" + info.version + "/" +
                           std::string(agent_class_name(info.agent_class)));
    }
    std::vector<std::string> results[2];
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
            // Each thread walks the corpus from a different end, so they race on fresh strings
            // and on the shared table, which one fills while the other reads it.
            for (std::size_t i = 0; i < agents.size(); ++i) {
                const std::size_t k = t == 0 ? i : agents.size() - 1 - i;
                const AgentInfo info = parser.parse_shared(agents[k]);
                results[t].push_back(info.family + "/" + info.version + "/" +
                                     std::string(agent_class_name(info.agent_class)));
            }
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    std::reverse(results[1].begin(), results[1].end());
    CHECK(results[0] == expected);
    CHECK(results[1] == expected);
    // Once remembered, the answers are still the parser's own.
    for (std::size_t i = 0; i < agents.size(); ++i) {
        const AgentInfo info = parser.parse_shared(agents[i]);
        CHECK(info.family + "/" + info.version + "/" +
                  std::string(agent_class_name(info.agent_class)) ==
              expected[i]);
    }
}

TEST_CASE("useragent: find_ua_regexes prefers the option, then the environment") {
    const char* saved = std::getenv("LOGSIFT_UA_REGEXES");
    const std::string saved_value = saved != nullptr ? saved : "";
    ::setenv("LOGSIFT_UA_REGEXES", "/env/regexes.yaml", 1);
    CHECK(find_ua_regexes("/opt/regexes.yaml") == "/opt/regexes.yaml");
    CHECK(find_ua_regexes("") == "/env/regexes.yaml");
    ::unsetenv("LOGSIFT_UA_REGEXES");
    CHECK(find_ua_regexes("") == "/usr/share/uap-core/regexes.yaml");
    if (saved != nullptr) ::setenv("LOGSIFT_UA_REGEXES", saved_value.c_str(), 1);
}
