// The incident filters (--status, --method, --path, --agent-class, --vhost, --since, --until,
// and --client as Record::client_selected): which records they keep, which they drop, and which
// option values they refuse. Expectations come from the options' documented meaning.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "logsift/reduce/filter.hpp"

using namespace logsift;

namespace {

RecordFilter built(const RecordFilter::Spec& spec) {
    auto result = RecordFilter::build(spec);
    INFO((result ? std::string() : result.error().message()));
    REQUIRE(result);
    return std::move(result).value();
}

std::string refusal(const RecordFilter::Spec& spec) {
    auto result = RecordFilter::build(spec);
    REQUIRE_FALSE(result);
    CHECK(result.error().fault == Fault::usage);
    return result.error().reason;
}

Record record_with_status(std::uint16_t status) {
    Record record;
    record.status = status;
    return record;
}

}  // namespace

TEST_CASE("filter: no option set accepts everything, and says it is empty") {
    RecordFilter filter = built({});
    CHECK(filter.empty());
    CHECK_FALSE(filter.needs_agent());
    CHECK(filter.accepts(Record{}));
    CHECK(filter.accepts(record_with_status(500)));
}

TEST_CASE("filter: --status takes exact statuses and classes, and no others") {
    RecordFilter filter = built({.statuses = {"404", "5xx"}});
    CHECK_FALSE(filter.empty());
    CHECK(filter.accepts(record_with_status(404)));
    CHECK(filter.accepts(record_with_status(500)));
    CHECK(filter.accepts(record_with_status(599)));
    CHECK_FALSE(filter.accepts(record_with_status(403)));
    CHECK_FALSE(filter.accepts(record_with_status(405)));
    CHECK_FALSE(filter.accepts(record_with_status(499)));
    CHECK_FALSE(filter.accepts(record_with_status(200)));
    // A line without a status cannot be the status asked for.
    CHECK_FALSE(filter.accepts(Record{}));
    // Upper-case classes are accepted as written.
    CHECK(built({.statuses = {"2XX"}}).accepts(record_with_status(204)));
}

TEST_CASE("filter: --status refuses what is neither a status nor a class, naming the option") {
    for (const char* bad : {"6xx", "0xx", "abc", "99", "1000", "40", "4x", "+404", "404 "}) {
        CAPTURE(bad);
        std::string message = refusal({.statuses = {bad}});
        CHECK(message.starts_with("--status: '"));
        CHECK(message.find(bad) != std::string::npos);
    }
}

TEST_CASE("filter: --method matches the logged method exactly") {
    RecordFilter filter = built({.methods = {"POST", "PUT"}});
    Record record;
    record.method = "POST";
    CHECK(filter.accepts(record));
    record.method = "PUT";
    CHECK(filter.accepts(record));
    record.method = "GET";
    CHECK_FALSE(filter.accepts(record));
    // Methods are compared as logged (upper case): "post" is another token.
    record.method = "post";
    CHECK_FALSE(filter.accepts(record));
}

TEST_CASE("filter: --path is an unanchored RE2 over the reduced resource") {
    RecordFilter filter = built({.path = "^/download/.*\\.iso$"});
    Record record;
    record.resource = "/download/debian-12.iso";
    CHECK(filter.accepts(record));
    record.resource = "/download/debian-12.iso.sig";
    CHECK_FALSE(filter.accepts(record));
    record.resource = "/mirror/download/debian-12.iso";
    CHECK_FALSE(filter.accepts(record));
    // Unanchored: a pattern without ^ or $ matches anywhere in the resource.
    RecordFilter anywhere = built({.path = "admin"});
    record.resource = "/wp-admin/setup.php";
    CHECK(anywhere.accepts(record));
    record.resource = "/index.html";
    CHECK_FALSE(anywhere.accepts(record));
}

TEST_CASE("filter: --path refuses an expression RE2 cannot compile") {
    std::string message = refusal({.path = "(unclosed"});
    CHECK(message.starts_with("--path: "));
}

TEST_CASE("filter: --agent-class takes the four class names only") {
    RecordFilter filter = built({.agent_classes = {"bot", "tool"}});
    CHECK(filter.needs_agent());
    Record record;
    record.agent_class = "bot";
    CHECK(filter.accepts(record));
    record.agent_class = "tool";
    CHECK(filter.accepts(record));
    record.agent_class = "browser";
    CHECK_FALSE(filter.accepts(record));
    record.agent_class = "";
    CHECK_FALSE(filter.accepts(record));
    CHECK(refusal({.agent_classes = {"crawler"}}).starts_with("--agent-class: 'crawler'"));
    CHECK(refusal({.agent_classes = {"Bot"}}).starts_with("--agent-class: 'Bot'"));
}

TEST_CASE("filter: --vhost compares host names without regard to case") {
    RecordFilter filter = built({.vhosts = {"www.example.org"}});
    Record record;
    record.vhost = "WWW.Example.ORG";
    CHECK(filter.accepts(record));
    record.vhost = "example.org";
    CHECK_FALSE(filter.accepts(record));
    record.vhost = "www.example.org.evil.test";
    CHECK_FALSE(filter.accepts(record));
}

TEST_CASE("filter: --since is inclusive, --until exclusive, and a record without time is out") {
    // 2026-10-08T13:00:00Z and 14:00:00Z: 20734 days after the epoch, plus 13 and 14 hours.
    const std::int64_t thirteen = 20734LL * 86400 + 13 * 3600;
    const std::int64_t fourteen = thirteen + 3600;
    RecordFilter filter = built({});
    filter.since = thirteen;
    filter.until = fourteen;
    CHECK_FALSE(filter.empty());
    Record record;
    CHECK_FALSE(filter.accepts(record));
    for (auto [seconds, inside] : {std::pair{thirteen - 1, false},
                                   {thirteen, true},
                                   {fourteen - 1, true},
                                   {fourteen, false}}) {
        CAPTURE(seconds);
        // The logged offset does not move the instant: seconds are UTC already.
        record.logged_time = Timestamp{seconds, 120};
        CHECK(filter.accepts(record) == inside);
    }
}

TEST_CASE("filter: a client outside --client is dropped whatever else matches") {
    RecordFilter filter = built({});
    Record record;
    record.client_selected = false;
    CHECK_FALSE(filter.accepts(record));
}

TEST_CASE("filter: every option set must hold at once") {
    RecordFilter filter =
        built({.statuses = {"4xx"}, .methods = {"GET"}, .path = "^/api/", .vhosts = {"a.test"}});
    Record record = record_with_status(404);
    record.method = "GET";
    record.resource = "/api/v1/items";
    record.vhost = "a.test";
    CHECK(filter.accepts(record));
    SUBCASE("status") {
        record.status = 200;
    }
    SUBCASE("method") {
        record.method = "HEAD";
    }
    SUBCASE("path") {
        record.resource = "/static/api/x";
    }
    SUBCASE("vhost") {
        record.vhost = "b.test";
    }
    CHECK_FALSE(filter.accepts(record));
}
