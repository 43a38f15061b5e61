// Unit tests for the method and resource columns: the registered methods pass and nothing else
// does; path segments that identify a person or a session become fixed words, and download
// file names, slugs and version directories stay as they are.
#include <doctest/doctest.h>

#include <array>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>

#include "logsift/format/format.hpp"
#include "logsift/reduce/method.hpp"
#include "logsift/reduce/reduce.hpp"
#include "logsift/reduce/resource.hpp"

using namespace logsift;

namespace {

std::string reduced(std::string_view path, bool keep_tokens = false,
                    const ResourceTemplates* templates = nullptr) {
    std::array<char, 4096> out{};
    return std::string(reduce_path(path, PathRules{keep_tokens, templates}, out));
}

std::shared_ptr<const ResourceTemplates> templates_from(std::string_view text) {
    auto parsed = ResourceTemplates::parse(text, "resources");
    if (!parsed) FAIL(parsed.error().message());
    return *parsed;
}

std::string template_error(std::string_view text) {
    auto parsed = ResourceTemplates::parse(text, "resources");
    return parsed ? std::string("no error") : parsed.error().message();
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_CASE("method: every method of the IANA registry passes as written") {
    for (std::string_view method : {"GET",
                                    "HEAD",
                                    "POST",
                                    "PUT",
                                    "DELETE",
                                    "CONNECT",
                                    "OPTIONS",
                                    "TRACE",
                                    "PATCH",
                                    "ACL",
                                    "BASELINE-CONTROL",
                                    "BIND",
                                    "CHECKIN",
                                    "CHECKOUT",
                                    "COPY",
                                    "LABEL",
                                    "LINK",
                                    "LOCK",
                                    "MERGE",
                                    "MKACTIVITY",
                                    "MKCALENDAR",
                                    "MKCOL",
                                    "MKREDIRECTREF",
                                    "MKWORKSPACE",
                                    "MOVE",
                                    "ORDERPATCH",
                                    "PRI",
                                    "PROPFIND",
                                    "PROPPATCH",
                                    "QUERY",
                                    "REBIND",
                                    "REPORT",
                                    "SEARCH",
                                    "UNBIND",
                                    "UNCHECKOUT",
                                    "UNLINK",
                                    "UNLOCK",
                                    "UPDATE",
                                    "UPDATEREDIRECTREF",
                                    "VERSION-CONTROL"}) {
        CAPTURE(method);
        std::string copy(method);  // the value must not be a view into the line
        std::string_view result = reduce_method(copy);
        CHECK(result == method);
        CHECK(result.data() != copy.data());
    }
}

TEST_CASE("method: any other token is OTHER, '-' and junk are empty") {
    for (std::string_view method :
         {"get", "Get", "SSH-2.0-Go", "MGLNDD_203.0.113.1_443", "batman", "*", "GETS", "PATCHp",
          "SSTP_DUPLEX_POST", "HELP", "GE", "SSH-2.0-CanaryClient", "MGLNDD_198.51.100.7_443"}) {
        CAPTURE(method);
        CHECK(reduce_method(method) == "OTHER");
    }
    for (std::string_view method :
         {"", "-", "G\\x00T", "\x16\x03\x01", "{\"id\":", "A234567890123456789012345678901234"}) {
        CAPTURE(method);
        CHECK(reduce_method(method).empty());
    }
}

TEST_CASE("resource: ';' path parameters are dropped in every segment") {
    CHECK(reduced("/app;jsessionid=ABC/x") == "/app/x");
    CHECK(reduced("/app;jsessionid=CNRYSESS01") == "/app");
    CHECK(reduced("/a;k=v/b;x/c;p=1;q=2") == "/a/b/c");
    CHECK(reduced("/cart;PHPSESSID=0123") == "/cart");
    CHECK(reduced("/;x") == "/");
    CHECK(reduced("/shop/item.html;jsessionid=1F2E3D") == "/shop/item.html");
    // Parameters go with --keep-path-tokens too: a session id is a credential.
    CHECK(reduced("/app;jsessionid=ABC/x", true) == "/app/x");
}

TEST_CASE("resource: e-mail address segments become {email}") {
    CHECK(reduced("/users/alice.canary@example.com") == "/users/{email}");
    CHECK(reduced("/users/alice%40example.com/profile") == "/users/{email}/profile");
    CHECK(reduced("/u/a@b.co") == "/u/{email}");
    CHECK(reduced("/@alice@mastodon.example") == "/{email}");
    CHECK(reduced("/users/alice.canary@example.com", true) == "/users/alice.canary@example.com");
    // Not addresses: a scoped package, a handle, a version pin, an '@' with no dotted domain.
    CHECK(reduced("/npm/@types/node") == "/npm/@types/node");
    CHECK(reduced("/@alice") == "/@alice");
    CHECK(reduced("/pkg/lodash@4") == "/pkg/lodash@4");
    CHECK(reduced("/a@.") == "/a@.");
    CHECK(reduced("/a%20b") == "/a%20b");
}

TEST_CASE("resource: UUID segments become {uuid}") {
    CHECK(reduced("/orders/123e4567-e89b-12d3-a456-426614174000") == "/orders/{uuid}");
    CHECK(reduced("/orders/123E4567-E89B-12D3-A456-426614174000/items") == "/orders/{uuid}/items");
    CHECK(reduced("/f/123e4567-e89b-12d3-a456-426614174000.png") ==
          "/f/123e4567-e89b-12d3-a456-426614174000.png");
    CHECK(reduced("/orders/123e4567-e89b-12d3-a456-426614174000", true) ==
          "/orders/123e4567-e89b-12d3-a456-426614174000");
}

TEST_CASE("resource: long hex and base64url token segments become {token}") {
    CHECK(reduced("/reset/CNRYTOKEN0123456789abcdef") == "/reset/{token}");
    CHECK(reduced("/commit/0a1b2c3d4e5f60718293a4b5c6d7e8f901234567") == "/commit/{token}");
    CHECK(reduced("/x/fbef2493eb1b8191acf97cd81af4992f") == "/x/{token}");
    CHECK(reduced("/ipfs/DQmsSefA_6FnspqD5_Yudj4CNAgEsa4SJcNjfNA4jFH") == "/ipfs/{token}");
    CHECK(reduced("/t/crowdsec-test-NtktlJHV4TfBSK3wvlhiOBnl") == "/t/{token}");
    CHECK(reduced("/s/k3j4h5g6f7d8s9a0") == "/s/{token}");
    CHECK(reduced("/a/JBSWY3DPEHPK3PXP/b") == "/a/{token}/b");
    CHECK(reduced("/reset/CNRYTOKEN0123456789abcdef", true) == "/reset/CNRYTOKEN0123456789abcdef");
    // Short, letters only, digits only, dotted, or slugs whose runs change class once or twice.
    CHECK(reduced("/x/0123456789abcdef") == "/x/{token}");
    CHECK(reduced("/x/0123456789abcde") == "/x/0123456789abcde");
    CHECK(reduced("/blog/logstash-puppetconf-2012") == "/blog/logstash-puppetconf-2012");
    CHECK(reduced("/installing-fedora-linux-via-pxe-x86-64") ==
          "/installing-fedora-linux-via-pxe-x86-64");
    CHECK(reduced("/dist/x86_64-unknown-linux-gnu/tool") == "/dist/x86_64-unknown-linux-gnu/tool");
    CHECK(reduced("/barcamprochester3") == "/barcamprochester3");
    CHECK(reduced("/WindowsServer2019") == "/WindowsServer2019");
    CHECK(reduced("/making-bootable-usb-from-windows-10-iso") ==
          "/making-bootable-usb-from-windows-10-iso");
    CHECK(reduced("/ids/12345678901234567890") == "/ids/12345678901234567890");
    CHECK(reduced("/abcdefghijklmnopqrstuvwxyz") == "/abcdefghijklmnopqrstuvwxyz");
    CHECK(reduced("/a/0a1b2c3d4e5f60718293.tar.gz") == "/a/0a1b2c3d4e5f60718293.tar.gz");
}

TEST_CASE("resource: paths with nothing to change are returned as they are, not copied") {
    std::array<char, 4096> out{};
    for (std::string_view path : {"/", "", "*", "/index.html", "//a//", "/a/b/c/", "/%7Ealice/"}) {
        CAPTURE(path);
        std::string_view result = reduce_path(path, PathRules{}, out);
        CHECK(result == path);
        CHECK(result.data() == path.data());
    }
}

TEST_CASE("resource: a rewritten path that does not fit the buffer gives nothing") {
    std::array<char, 8> out{};
    CHECK(reduce_path("/a;x/bcdefghij", PathRules{}, out).empty());
    CHECK(reduce_path("/a;x/b", PathRules{}, out) == "/a/b");
}

TEST_CASE("resource: download file names stay as they are") {
    for (std::string_view path :
         {"/dl/tool-1.2.3.tar.gz", "/dl/tool-1.2.3-x86_64-unknown-linux-gnu.tar.gz",
          "/dl/tool_1.2.3_amd64.deb", "/dl/tool-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567.tar.gz",
          "/releases/download/v1.2.3/tool-v1.2.3-aarch64-apple-darwin.zip",
          "/pool/main/c/curl/curl_7.88.1-10+deb12u5_amd64.deb"}) {
        CAPTURE(path);
        CHECK(reduced(path) == path);
    }
    // Every sample of the shipped downloads rules.
    std::string rules = read_text(std::string(LOGSIFT_PATTERNS_DIR) + "/downloads");
    std::istringstream lines(rules);
    std::size_t samples = 0;
    for (std::string line; std::getline(lines, line);) {
        if (!line.starts_with("sample")) continue;
        std::string sample = line.substr(line.find('=') + 1);
        sample.erase(0, sample.find_first_not_of(' '));
        CAPTURE(sample);
        CHECK(reduced(sample) == sample);
        ++samples;
    }
    CHECK(samples >= 30);
}

TEST_CASE("resource templates: {} hides one segment, the rest of the path stays") {
    auto templates = templates_from(R"(
[users]
template = /users/{}
sample = /users/alice
expect = /users/{}
[repo]
template = /{}/repos/{}
sample = /org/repos/x/y
expect = /{}/repos/{}/y
)");
    CHECK(templates->size() == 2);
    CHECK(reduced("/users/alice", false, templates.get()) == "/users/{}");
    CHECK(reduced("/users/alice/photos/a.jpg", false, templates.get()) == "/users/{}/photos/a.jpg");
    CHECK(reduced("/users/alice;s=1/x", false, templates.get()) == "/users/{}/x");
    CHECK(reduced("/users/", false, templates.get()) == "/users/");
    CHECK(reduced("/users", false, templates.get()) == "/users");
    CHECK(reduced("/Users/alice", false, templates.get()) == "/Users/alice");
    CHECK(reduced("/acme/repos/tool/issues", false, templates.get()) == "/{}/repos/{}/issues");
    // The rules still apply after the template's segments, and templates with --keep-path-tokens.
    CHECK(reduced("/users/bob/bob@example.org", false, templates.get()) == "/users/{}/{email}");
    CHECK(reduced("/users/bob/bob@example.org", true, templates.get()) ==
          "/users/{}/bob@example.org");
}

TEST_CASE("resource templates: the first matching template in file order wins") {
    auto templates = templates_from(R"(
[any]
template = /{}/edit
sample = /page/edit
expect = /{}/edit
[users]
template = /users/{}
sample = /users/alice
expect = /users/{}
)");
    CHECK(reduced("/users/edit", false, templates.get()) == "/{}/edit");
    CHECK(reduced("/users/alice/edit", false, templates.get()) == "/users/{}/edit");
}

TEST_CASE("resource templates: mistakes name the line") {
    CHECK(template_error("[a]\ntemplate = users/{}\nsample = /users/x\nexpect = /users/{}\n") ==
          "resources:2: a template starts with '/'");
    CHECK(template_error("[a]\ntemplate = /users\nsample = /users\nexpect = /users\n") ==
          "resources:2: a template needs at least one '{}' segment");
    CHECK(template_error("[a]\ntemplate = /u/{}x\n") ==
          "resources:2: segment '{}x' is neither '{}' nor literal text (no '{', '}', ';', '?', "
          "'#' or blanks)");
    CHECK(template_error("[a]\ntemplate = /u//{}\n") ==
          "resources:2: a template has no empty segments ('//' or a trailing '/')");
    CHECK(template_error("[a]\ntemplate = /u/{}\n") ==
          "resources:1: a template needs at least one 'sample'");
    CHECK(template_error("[a]\nsample = /u/x\nexpect = /u/{}\n") ==
          "resources:1: the template has no 'template' line");
    CHECK(template_error("[a]\ntemplate = /u/{}\nsample = /u/x\n") ==
          "resources:3: the sample has no 'expect' line after it");
    CHECK(template_error("[a]\ntemplate = /u/{}\nsample = /v/x\nexpect = /v/x\n") ==
          "resources:3: the template does not match this sample");
    CHECK(template_error("[a]\ntemplate = /u/{}\nsample = /u/x\nexpect = /u/x\n") ==
          "resources:4: the sample gives '/u/{}', not '/u/x'");
    CHECK(template_error("[a]\ntemplate = /u/{}\nsample = /u/x\nexpect = /u/{}\n"
                         "[b]\ntemplate = /u/{}/v\nsample = /u/x/v\nexpect = /u/{}/v\n") ==
          "resources:7: the sample is taken by the earlier template 'a' (line 1)");
    CHECK(template_error("[a]\ntemplate = /u/{}\ncolour = red\n") ==
          "resources:3: unknown key 'colour' (keys: template, sample, expect)");
    CHECK(template_error("[a]\ntemplate = /u/{}\ntemplate = /v/{}\n") ==
          "resources:3: 'template' given twice (first at line 2)");
    CHECK(template_error("[a]\nexpect = /u\n") ==
          "resources:2: 'expect' must follow a 'sample' line");
    CHECK(template_error("template = /u/{}\n") ==
          "resources:1: a [name] line must come before 'template'");
    // Comments only: no templates, no error.
    CHECK(template_error("# [a]\n# template = /u/{}\n") == "no error");
}

TEST_CASE("resource templates: the shipped file loads and hides reset and unsubscribe links") {
    auto loaded = ResourceTemplates::load(std::string(LOGSIFT_PATTERNS_DIR) + "/resources");
    REQUIRE(loaded.has_value());
    const ResourceTemplates* templates = loaded->get();
    CHECK(reduced("/reset/CNRYTOKEN0123456789abcdef", true, templates) == "/reset/{}");
    CHECK(reduced("/unsubscribe/alice", false, templates) == "/unsubscribe/{}");
    CHECK(reduced("/index.html", false, templates) == "/index.html");
}

TEST_CASE("reduce: method and resource columns from whole lines") {
    auto compiled = LogFormat::compile(R"($remote_addr [$time_local] "$request" $status)");
    REQUIRE(compiled);
    const LogFormat& format = *compiled;
    ReduceOptions options;
    Reducer reducer(options, format, nullptr);
    ReduceOptions keep_query_options;
    keep_query_options.keep_query = true;
    Reducer keep_query(keep_query_options, format, nullptr);
    struct Case {
        const char* request;
        const char* method;
        const char* resource;
        const char* with_query;
    };
    for (const Case& c : {
             Case{"GET /a;jsessionid=X/b?q=1 HTTP/1.1", "GET", "/a/b", "/a/b?q=1"},
             Case{"GET /a/b?q=1 HTTP/1.1", "GET", "/a/b", "/a/b?q=1"},
             Case{"CONNECT canary-host.example:443 HTTP/1.1", "CONNECT", "", ""},
             Case{"CONNECT /x HTTP/1.1", "CONNECT", "", ""},
             Case{"PRI * HTTP/2.0", "PRI", "*", "*"},
             Case{"OPTIONS * HTTP/1.1", "OPTIONS", "*", "*"},
             Case{"batman /users/a@b.example HTTP/1.1", "OTHER", "/users/{email}",
                  "/users/{email}"},
             Case{"get / HTTP/1.1", "OTHER", "/", "/"},
             Case{"MGLNDD_198.51.100.7_443", "OTHER", "", ""},
             Case{"SSH-2.0-CanaryClient", "OTHER", "", ""},
             Case{"-", "", "", ""},
             Case{"\\x16\\x03\\x01 /x HTTP/1.1", "", "", ""},
             Case{"GET http://h.example/u/alice%40example.com?x HTTP/1.1", "GET", "/u/{email}",
                  "/u/{email}?x"},
         }) {
        const std::string line =
            std::string("192.0.2.1 [10/Oct/2026:13:55:36 +0000] \"") + c.request + "\" 200";
        CAPTURE(line);
        Fields fields;
        REQUIRE_FALSE(format.scan(line, fields));
        Record record;
        REQUIRE_FALSE(reducer.reduce(line, fields, record));
        CHECK(record.method == c.method);
        CHECK(record.resource == c.resource);
        REQUIRE_FALSE(keep_query.reduce(line, fields, record));
        CHECK(record.resource == c.with_query);
    }
}

TEST_CASE("reduce: separate path and query fields go through the same rules") {
    auto compiled = LogFormat::compile(R"($remote_addr "$request_method" "$uri" "$args" $status)");
    REQUIRE(compiled);
    const LogFormat& format = *compiled;
    ReduceOptions options;
    options.keep_query = true;
    Reducer reducer(options, format, nullptr);
    for (auto [text, method, resource] :
         {std::tuple{R"(192.0.2.1 "GET" "/app;jsessionid=CNRYSESS01" "a=1" 200)", "GET",
                     "/app?a=1"},
          std::tuple{R"(192.0.2.1 "PUT" "/x/y" "a=1" 200)", "PUT", "/x/y?a=1"},
          std::tuple{R"(192.0.2.1 "batman" "/x" "-" 200)", "OTHER", "/x"}}) {
        const std::string line = text;
        CAPTURE(line);
        Fields fields;
        REQUIRE_FALSE(format.scan(line, fields));
        Record record;
        REQUIRE_FALSE(reducer.reduce(line, fields, record));
        CHECK(record.method == method);
        CHECK(record.resource == resource);
    }
}
