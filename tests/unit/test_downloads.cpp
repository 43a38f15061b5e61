// Unit tests for download rules: the shipped patterns/downloads and what each of its rules gives,
// first-rule-wins, the exact errors for broken rule files, and matching from several threads.
#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "logsift/aggregate/downloads.hpp"

using logsift::DownloadMatch;
using logsift::DownloadRules;
using logsift::Error;

namespace {

std::unique_ptr<DownloadRules> parse_ok(std::string_view text) {
    auto result = DownloadRules::parse(text, "rules");
    if (!result) FAIL_CHECK(result.error().message());
    REQUIRE(result.has_value());
    return std::move(*result);
}

Error parse_error(std::string_view text) {
    auto result = DownloadRules::parse(text, "rules");
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().fault == logsift::Fault::usage);
    return std::move(result).error();
}

const DownloadRules& shipped() {
    static const std::unique_ptr<DownloadRules> rules = [] {
        auto result = DownloadRules::load(std::string(LOGSIFT_PATTERNS_DIR) + "/downloads");
        if (!result) FAIL(result.error().message());
        return std::move(*result);
    }();
    return *rules;
}

struct Expected {
    std::string resource;
    std::string product;
    std::string version;
};

void check_download(const DownloadRules& rules, const Expected& expected) {
    CAPTURE(expected.resource);
    std::optional<DownloadMatch> match = rules.match(expected.resource);
    REQUIRE(match.has_value());
    CHECK(match->product == expected.product);
    CHECK(match->version == expected.version);
}

// A one-rule file around a pattern, with a sample the pattern counts.
std::string one_rule(std::string_view pattern, std::string_view sample) {
    return "[r]\npattern = " + std::string(pattern) + "\nsample = " + std::string(sample) + "\n";
}

}  // namespace

TEST_CASE("the shipped download rules load") {
    CHECK(shipped().size() == 4);
}

TEST_CASE("shipped rules: Debian and RPM package names") {
    for (const Expected& e : std::vector<Expected>{
             {"/dl/foo_2.0.1-1_amd64.deb", "foo", "2.0.1-1"},
             {"/pool/main/c/curl/curl_7.88.1-10+deb12u5_amd64.deb", "curl", "7.88.1-10+deb12u5"},
             {"/debian/pool/main/h/hello/hello_2.10-3_arm64.deb", "hello", "2.10-3"},
             {"/d-i/udebs/foo-udeb_1.2_all.udeb", "foo-udeb", "1.2"},
             {"/el9/x86_64/curl-7.76.1-26.el9.x86_64.rpm", "curl", "7.76.1-26.el9"},
             {"/repo/lib-3d-1.0-1.fc39.aarch64.rpm", "lib-3d", "1.0-1.fc39"},
         }) {
        check_download(shipped(), e);
    }
}

TEST_CASE("shipped rules: name-version archives and installers") {
    for (const Expected& e : std::vector<Expected>{
             {"/releases/tool-1.2.3.tar.gz", "tool", "1.2.3"},
             {"/releases/tool-v1.2.3.tar.gz", "tool", "1.2.3"},
             {"/releases/tool_1.2.3.tar.bz2", "tool", "1.2.3"},
             {"/releases/Tool-V1.2.TAR.XZ", "Tool", "1.2"},
             {"/r/tool-1.2.3.tgz", "tool", "1.2.3"},
             {"/r/tool-1.2.3.tar.zst", "tool", "1.2.3"},
             {"/r/tool-1.2.3.7z", "tool", "1.2.3"},
             {"/r/tool-1.2.3-win64.msi", "tool", "1.2.3"},
             {"/r/Tool-1.2.3.dmg", "Tool", "1.2.3"},
             {"/r/tool-1.2.3.pkg", "tool", "1.2.3"},
             {"/r/tool-1.2.3-amd64.iso", "tool", "1.2.3"},
             {"/r/tool-1.2.3.img", "tool", "1.2.3"},
             {"/r/tool-1.2.3.jar", "tool", "1.2.3"},
             {"/r/tool-1.2.3.apk", "tool", "1.2.3"},
             {"/r/tool_1.2.3_amd64.snap", "tool", "1.2.3"},
             {"/r/tool-1.2.3.flatpak", "tool", "1.2.3"},
             {"/r/tool-1.2.3.zip", "tool", "1.2.3"},
             {"/dl/foo_2.0.1.zip", "foo", "2.0.1"},
             {"/packages/requests-2.31.0-py3-none-any.whl", "requests", "2.31.0"},
             {"/packages/typing_extensions-4.8.0-py3-none-any.whl", "typing_extensions", "4.8.0"},
             {"/files/App-3.4.AppImage", "App", "3.4"},
             {"/files/App-3.4-x86_64.AppImage", "App", "3.4"},
             {"/dist/node-v20.10.0-linux-x64.tar.xz", "node", "20.10.0"},
             {"/files/python-dateutil-2.8.2.tar.gz", "python-dateutil", "2.8.2"},
             {"/files/log4j-core-2.17.1.jar", "log4j-core", "2.17.1"},
             {"/files/logstash/logstash-1.1.1-rc2-monolithic.jar", "logstash", "1.1.1-rc2"},
             {"/files/logstash/logstash-1.1.0beta6-monolithic.jar", "logstash", "1.1.0beta6"},
             {"/files/fex/fex-20070729.tar.gz", "fex", "20070729"},
             {"/r/tool-2.0-beta.tar.gz", "tool", "2.0-beta"},
             {"/r/tool-1.2.3.linux-amd64.tar.gz", "tool", "1.2.3"},
             {"/r/tool-1.0.debian.tar", "tool", "1.0"},
             // A build number after a dash is a revision, but a word that merely starts with
             // digits is a platform.
             {"/r/VirtualBox-7.0.12-159484-Win.exe", "VirtualBox", "7.0.12-159484"},
             {"/r/tool-1.2.3-64bit.exe", "tool", "1.2.3"},
             // A Debian-looking name with a .tar.gz is not a Debian package.
             {"/r/tool_1.2_src.tar.gz", "tool", "1.2"},
         }) {
        check_download(shipped(), e);
    }
}

TEST_CASE("shipped rules: archives without a version are counted without captures") {
    for (const char* resource : {"/projects/java-chatclient/imchat.tar.gz", "/tool.tar.gz",
                                 "/go/go1.21.5.linux-amd64.tar.gz", "/win/Setup.EXE",
                                 "/img/2023-05-03-raspios-bookworm-arm64.img.xz", "/a/b.tar",
                                 "/a/7-zip-x64.msi", "/snaps/tool.snap"}) {
        check_download(shipped(), {resource, "", ""});
    }
}

TEST_CASE("shipped rules: what is not a download") {
    for (const char* resource :
         {"/index.html", "/tool.tar.gz.sig", "/tool-1.0.tar.gz.sha256", "/tool-1.0.zip.asc",
          "/downloads/", "/downloads/product_1", "/", "", "/tar.gz/readme", "/tool-1.0.tar.gz/",
          "/zip", "/tool.exe.html", "/tool-1.0.tar.gz\n"}) {
        CAPTURE(resource);
        CHECK_FALSE(shipped().match(resource).has_value());
    }
}

TEST_CASE("matches are views into the resource") {
    std::string resource = "/releases/tool-1.2.3.tar.gz";
    std::optional<DownloadMatch> match = shipped().match(resource);
    REQUIRE(match.has_value());
    CHECK(match->product.data() == resource.data() + 10);
    CHECK(match->version.data() == resource.data() + 15);
}

TEST_CASE("bytes that are not UTF-8 still match") {
    check_download(shipped(), {"/r/t\xff\xfe-1.0.zip", "t\xff\xfe", "1.0"});
    check_download(shipped(), {"/r/\xc3(.zip", "", ""});
}

TEST_CASE("patterns match the whole resource") {
    auto rules = parse_ok(one_rule(R"(/dl/.*\.zip)", "/dl/a.zip"));
    CHECK(rules->match("/dl/a.zip").has_value());
    CHECK_FALSE(rules->match("/x/dl/a.zip").has_value());
    CHECK_FALSE(rules->match("/dl/a.zip.sig").has_value());
    CHECK_FALSE(rules->match("/dl/a.ZIP").has_value());
}

TEST_CASE("the first matching rule wins") {
    auto rules = parse_ok(R"(
[special]
pattern = /special/(?P<product>[a-z0-9.-]+)\.zip
sample = /special/tool.zip
expect product = tool
[versioned]
pattern = .*/(?P<product>[a-z]+)-(?P<version>[0-9.]+)\.zip
sample = /x/tool-1.0.zip
expect product = tool
expect version = 1.0
[any]
pattern = .*\.zip
sample = /special/Tool.zip
sample = /x/tool.zip
)");
    CHECK(rules->size() == 3);
    check_download(*rules, {"/special/tool.zip", "tool", ""});
    check_download(*rules, {"/x/tool-1.0.zip", "tool", "1.0"});
    check_download(*rules, {"/x/tool.zip", "", ""});
    // Matches a later rule too, but the earlier one wins even though it captures less.
    check_download(*rules, {"/special/tool-1.0.zip", "tool-1.0", ""});
    CHECK_FALSE(rules->match("/x/tool.tar").has_value());
}

TEST_CASE("a capture that does not take part gives an empty view") {
    auto rules = parse_ok(R"(
[r]
pattern = .*/(?P<product>[a-z]+)(?:-(?P<version>[0-9.]+))?\.zip
sample = /a/tool.zip
expect product = tool
expect version =
sample = /a/tool-2.zip
expect product = tool
expect version = 2
)");
    check_download(*rules, {"/a/tool.zip", "tool", ""});
    check_download(*rules, {"/a/tool-2.zip", "tool", "2"});
}

TEST_CASE("syntax: comments, blank lines and spacing") {
    auto rules = parse_ok(
        "# comment\n\n  [r]  \npattern=.*\\.zip   \n  sample=/a.zip\n"
        "sample = /a.txt\nexpect   none\n");
    CHECK(rules->size() == 1);
    CHECK(rules->match("/a.zip").has_value());
}

TEST_CASE("broken rule files name the line and the reason") {
    struct Case {
        std::string text;
        std::size_t line;
        std::string reason;
    };
    for (const Case& c : std::vector<Case>{
             {"", 0, "no rules in the file"},
             {"# only a comment\n\n", 0, "no rules in the file"},
             {"[r]\npattern = .*(\\.zip\nsample = /a.zip\n", 2,
              "rule 'r': invalid pattern: missing ): .*(\\.zip"},
             {"[r]\npattern = .*\\.zip\nsample = /a.zip\n[r]\npattern = .*\\.7z\nsample = /a.7z\n",
              4, "duplicate rule 'r' (first at line 1)"},
             {"[r]\npattern = .*/(?P<name>[a-z]+)\\.zip\nsample = /a.zip\n", 2,
              "rule 'r': the group (?P<name>...) is neither product nor version"},
             {"[r]\npattern = .*/([a-z]+)\\.zip\nsample = /a.zip\n", 2,
              "rule 'r': a group without a name captures; write (?:...) to group, or name it "
              "(?P<product>...) or (?P<version>...)"},
             {"[r]\npattern = .*\\.zip\nsample = /a.zip\nsample = /a.tar\n", 4,
              "rule 'r': sample '/a.tar' does not match the pattern"},
             {"[r]\npattern = .*/(?P<product>[a-z]+)\\.zip\nsample = /a.zip\nexpect product = b\n",
              4, "rule 'r': sample '/a.zip' gives product 'a', expected 'b'"},
             {"[r]\npattern = .*/(?P<product>[a-z]+)\\.zip\nsample = /a.zip\n", 3,
              "rule 'r': sample '/a.zip' needs an 'expect product' line: the pattern captures it"},
             {"[r]\npattern = .*\\.zip\nsample = /a.zip\nexpect version = 1\n", 4,
              "rule 'r': the pattern has no (?P<version>...) group to expect"},
             {"[r]\npattern = .*\\.zip\nsample = /a.zip\nsample = /b.zip\nexpect none\n", 4,
              "rule 'r': sample '/b.zip' must not be a download, but rule 'r' (line 1) counts it"},
             {"[a]\npattern = .*\\.zip\nsample = /a.zip\n"
              "[b]\npattern = /dl/.*\\.zip\nsample = /dl/a.zip\n",
              6, "rule 'b': sample '/dl/a.zip' is taken by the earlier rule 'a' (line 1)"},
             // A rule added later may not swallow an earlier rule's negative sample.
             {"[a]\npattern = .*\\.zip\nsample = /a.zip\nsample = /a.zip.sig\nexpect none\n"
              "[b]\npattern = .*\\.sig\nsample = /a.sig\n",
              4,
              "rule 'a': sample '/a.zip.sig' must not be a download, but rule 'b' (line 6) "
              "counts it"},
             {"[r]\nsample = /a.zip\n", 1, "rule 'r': has no 'pattern' line"},
             {"[r]\npattern =\nsample = /a.zip\n", 2, "rule 'r': the pattern is empty"},
             {"[r]\npattern = .*\\.zip\n", 1, "rule 'r': has no sample it counts"},
             {"[r]\npattern = .*\\.zip\nsample = /a\nexpect none\n", 1,
              "rule 'r': has no sample it counts"},
             {"[r]\npattern = a\npattern = b\n", 3, "'pattern' given twice (first at line 2)"},
             {"pattern = .*\n", 1, "a [name] line must come before 'pattern'"},
             {"[r\n", 1, "a section header ends with ']'"},
             {"[a b]\n", 1, "a rule name uses letters, digits, '_', '-' and '.'"},
             {"[r]\nfoo = bar\n", 2,
              "unknown key 'foo' (keys: pattern, sample, expect product, expect version, "
              "expect none)"},
             {"[r]\njust words\n", 2, "expected 'key = value' or 'expect none'"},
             {"[r]\npattern = .*\nexpect product = a\n", 3, "'expect' must follow a 'sample' line"},
             {"[r]\npattern = .*\nsample = /a\nexpect colour = red\n", 4,
              "unknown expectation 'colour' (expect product, expect version or expect none)"},
             {"[r]\npattern = .*\nsample = /a\nexpect none = yes\n", 4,
              "'expect none' takes no value"},
             {"[r]\npattern = (?P<product>.*)\nsample = /a\nexpect product = /a\n"
              "expect product = /a\n",
              5, "'expect product' given twice for this sample"},
             {"[r]\npattern = (?P<product>.*)\nsample = /a\nexpect none\nexpect product = /a\n", 5,
              "'expect none' must be the only expect line of its sample"},
             {"[r]\npattern = .*\nsample =\n", 3, "a sample needs a resource"},
         }) {
        CAPTURE(c.text);
        Error error = parse_error(c.text);
        CHECK(error.file == "rules");
        CHECK(error.line == c.line);
        CHECK(error.reason == c.reason);
    }
}

TEST_CASE("a file that cannot be read") {
    auto result = DownloadRules::load("/nonexistent/logsift/downloads");
    REQUIRE_FALSE(result.has_value());
    const Error& error = result.error();
    CHECK(error.file == "/nonexistent/logsift/downloads");
    CHECK(error.line == 0);
    CHECK(error.reason == "cannot read: No such file or directory");
}

TEST_CASE("matching from several threads gives the same answers") {
    const DownloadRules& rules = shipped();
    struct Case {
        std::string resource;
        std::optional<Expected> download;
    };
    const std::vector<Case> cases = {
        {"/releases/tool-1.2.3.tar.gz", Expected{"", "tool", "1.2.3"}},
        {"/dl/foo_2.0.1-1_amd64.deb", Expected{"", "foo", "2.0.1-1"}},
        {"/x/imchat.tar.gz", Expected{"", "", ""}},
        {"/index.html", std::nullopt},
    };
    auto work = [&](std::size_t offset, std::size_t& failures) {
        for (std::size_t i = 0; i < 20000; ++i) {
            const Case& c = cases[(i + offset) % cases.size()];
            std::optional<DownloadMatch> match = rules.match(c.resource);
            if (match.has_value() != c.download.has_value() ||
                (match && (match->product != c.download->product ||
                           match->version != c.download->version))) {
                ++failures;
            }
        }
    };
    std::size_t failures_a = 0;
    std::size_t failures_b = 0;
    std::thread a(work, 0, std::ref(failures_a));
    std::thread b(work, 1, std::ref(failures_b));
    a.join();
    b.join();
    CHECK(failures_a == 0);
    CHECK(failures_b == 0);
}
