// End-to-end tests for the method and resource columns: --keep-path-tokens, and the operator
// templates of patterns/resources as a user installs, breaks and leaves them out.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "harness.hpp"

using namespace e2e;

namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const std::string log_lines =
    "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"GET /users/alice.canary@example.com HTTP/1.1\" "
    "200 1 \"-\" \"x\"\n"
    "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"GET /app;jsessionid=CNRYSESS01 HTTP/1.1\" 200 1 "
    "\"-\" \"x\"\n"
    "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"GET /account/alice/settings HTTP/1.1\" 200 1 "
    "\"-\" \"x\"\n"
    "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"CONNECT canary-host.example:443 HTTP/1.1\" 200 "
    "1 \"-\" \"x\"\n"
    "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"MGLNDD_198.51.100.7_443\" 400 1 \"-\" \"x\"\n";

// A patterns directory holding the shipped files, with resources replaced by text (or left out
// when text is empty).
void make_patterns(const TempDir& dir, const std::string& text) {
    fs::copy(fs::path(LOGSIFT_SOURCE_DIR) / "patterns", dir.path(),
             fs::copy_options::overwrite_existing | fs::copy_options::recursive);
    if (text.empty()) {
        fs::remove(dir / "resources");
    } else {
        write_file(dir / "resources", text);
    }
}

}  // namespace

TEST_CASE("resource: e-mail segments, path parameters and CONNECT targets leave reduce reduced") {
    Result result = logsift(
        {"reduce", "--quiet", "--format", "combined", "--fields", "method,resource"}, log_lines);
    CHECK(result.status == 0);
    CHECK(result.out ==
          "GET\t/users/{email}\nGET\t/app\nGET\t/account/alice/settings\nCONNECT\t\nOTHER\t\n");
}

TEST_CASE("resource: --keep-path-tokens keeps the segments and still drops path parameters") {
    Result result = logsift(
        {"reduce", "--quiet", "--format", "combined", "--keep-path-tokens", "--fields", "resource"},
        log_lines);
    CHECK(result.status == 0);
    CHECK(result.out == "/users/alice.canary@example.com\n/app\n/account/alice/settings\n\n\n");
}

TEST_CASE("resource: templates from the patterns directory hide the segments they name") {
    TempDir dir;
    make_patterns(dir,
                  "[account]\ntemplate = /account/{}\nsample = /account/bob/x\n"
                  "expect = /account/{}/x\n");
    for (const char* keep : {"--keep-query", "--keep-path-tokens"}) {
        Result result = logsift({"reduce", "--quiet", "--patterns-dir", dir.path().string(),
                                 "--format", "combined", keep, "--fields", "resource"},
                                log_lines);
        CHECK(result.status == 0);
        CHECK(has(result.out, "/account/{}/settings\n"));
        CHECK_FALSE(has(result.out, "alice/settings"));
    }
}

TEST_CASE("resource: a directory without a resources file applies no templates") {
    TempDir dir;
    make_patterns(dir, "");
    Result result = logsift({"reduce", "--quiet", "--patterns-dir", dir.path().string(), "--format",
                             "combined", "--fields", "resource"},
                            log_lines);
    CHECK(result.status == 0);
    CHECK(result.out == "/users/{email}\n/app\n/account/alice/settings\n\n\n");
}

TEST_CASE("resource: a broken resources file stops every command with status 2, naming the line") {
    TempDir dir;
    make_patterns(dir,
                  "# templates\n[account]\ntemplate = /account/{}\nsample = /account/bob\n"
                  "expect = /account/bob\n");
    const std::string where = (dir / "resources").string() + ":5: ";
    fs::path log = dir / "access.log";
    write_file(log, log_lines);
    for (std::string command : {"reduce", "summary", "downloads"}) {
        CAPTURE(command);
        Result result =
            logsift({command, "--quiet", "--patterns-dir", dir.path().string(), log.string()});
        CHECK(result.status == 2);
        CHECK(result.out == "");
        CHECK(has(result.err, where + "the sample gives '/account/{}', not '/account/bob'"));
    }
}
