// Unit tests for the format stage: compiling nginx and Apache format strings, scanning lines,
// the presets file and format detection. Every expected value here is worked out by hand.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "logsift/format/format.hpp"

using logsift::detect_format;
using logsift::Detection;
using logsift::Error;
using logsift::FieldKind;
using logsift::Fields;
using logsift::LogFormat;
using logsift::Preset;
using logsift::ScanError;
using logsift::Syntax;
using logsift::TimeSyntax;

namespace {

using StepType = LogFormat::StepType;

LogFormat compile_ok(std::string_view text) {
    auto result = LogFormat::compile(text);
    if (!result) FAIL_CHECK(show_format_error(result.error(), text));
    REQUIRE(result);
    return std::move(result).value();
}

Error compile_error(std::string_view text) {
    auto result = LogFormat::compile(text);
    REQUIRE_FALSE(result);
    CHECK(result.error().fault == logsift::Fault::usage);
    return std::move(result).error();
}

std::vector<FieldKind> kinds(const LogFormat& format) {
    std::vector<FieldKind> out;
    for (const LogFormat::Step& step : format.steps()) {
        if (step.type == StepType::field) out.push_back(step.kind);
    }
    return out;
}

std::vector<std::string> literals(const LogFormat& format) {
    std::vector<std::string> out;
    for (const LogFormat::Step& step : format.steps()) {
        if (step.type == StepType::literal) out.push_back(step.literal);
    }
    return out;
}

// The kind of a format made of one field.
FieldKind only_kind(std::string_view text) {
    LogFormat format = compile_ok(text);
    std::vector<FieldKind> found = kinds(format);
    REQUIRE(found.size() == 1);
    return found[0];
}

Fields scan_ok(const LogFormat& format, std::string_view line) {
    Fields fields;
    std::optional<ScanError> error = format.scan(line, fields);
    if (error) FAIL_CHECK(error->reason << " at column " << error->column);
    REQUIRE_FALSE(error.has_value());
    return fields;
}

ScanError scan_error(const LogFormat& format, std::string_view line) {
    Fields fields;
    std::optional<ScanError> error = format.scan(line, fields);
    REQUIRE(error.has_value());
    return *error;
}

}  // namespace

TEST_CASE("nginx variables compile to their field kinds") {
    const std::vector<std::pair<std::string, FieldKind>> table = {
        {"remote_addr", FieldKind::client},
        {"realip_remote_addr", FieldKind::client},
        {"binary_remote_addr", FieldKind::opaque},
        {"remote_user", FieldKind::remote_user},
        {"time_local", FieldKind::time},
        {"time_iso8601", FieldKind::time},
        {"msec", FieldKind::time},
        {"request", FieldKind::request},
        {"request_method", FieldKind::method},
        {"request_uri", FieldKind::target},
        {"uri", FieldKind::path},
        {"document_uri", FieldKind::path},
        {"args", FieldKind::query},
        {"query_string", FieldKind::query},
        {"server_protocol", FieldKind::protocol},
        {"status", FieldKind::status},
        {"body_bytes_sent", FieldKind::bytes},
        {"bytes_sent", FieldKind::bytes},
        {"http_referer", FieldKind::referrer},
        {"http_user_agent", FieldKind::user_agent},
        {"host", FieldKind::vhost},
        {"server_name", FieldKind::vhost},
        {"http_host", FieldKind::vhost},
        {"server_port", FieldKind::port},
        {"http_x_forwarded_for", FieldKind::forwarded_for},
        {"request_time", FieldKind::opaque},
        {"upstream_addr", FieldKind::opaque},
        {"is_args", FieldKind::opaque},
    };
    for (const auto& [name, kind] : table) {
        CAPTURE(name);
        CHECK(only_kind("$" + name) == kind);
        CHECK(only_kind("${" + name + "}") == kind);
    }
    CHECK(compile_ok("$remote_addr").syntax() == Syntax::nginx);
}

TEST_CASE("nginx time variables set the time syntax") {
    CHECK(compile_ok("[$time_local]").time_syntax() == TimeSyntax::clf);
    CHECK(compile_ok("$time_iso8601").time_syntax() == TimeSyntax::iso8601);
    CHECK(compile_ok("$msec").time_syntax() == TimeSyntax::msec);
}

TEST_CASE("braced nginx variables end the name where text would otherwise run on") {
    LogFormat format = compile_ok("${remote_addr}x${status}");
    CHECK(kinds(format) == std::vector<FieldKind>{FieldKind::client, FieldKind::status});
    CHECK(literals(format) == std::vector<std::string>{"x"});
    Fields fields = scan_ok(format, "192.0.2.1x200");
    CHECK(fields.get(FieldKind::client) == "192.0.2.1");
    CHECK(fields.get(FieldKind::status) == "200");
}

TEST_CASE("Apache directives compile to their field kinds") {
    const std::vector<std::pair<std::string, FieldKind>> table = {
        {"%h", FieldKind::client},
        {"%a", FieldKind::client},
        {"%{c}a", FieldKind::client},
        {"%l", FieldKind::opaque},
        {"%u", FieldKind::remote_user},
        {"%r", FieldKind::request},
        {"%m", FieldKind::method},
        {"%U", FieldKind::path},
        {"%q", FieldKind::query},
        {"%H", FieldKind::protocol},
        {"%s", FieldKind::status},
        {"%>s", FieldKind::status},
        {"%<s", FieldKind::status},
        {"%b", FieldKind::bytes},
        {"%B", FieldKind::bytes},
        {"%O", FieldKind::bytes},
        {"%I", FieldKind::bytes},
        {"%S", FieldKind::bytes},
        {"%{Referer}i", FieldKind::referrer},
        {"%{referer}i", FieldKind::referrer},
        {"%{User-Agent}i", FieldKind::user_agent},
        {"%{user-agent}i", FieldKind::user_agent},
        {"%{X-Forwarded-For}i", FieldKind::forwarded_for},
        {"%{Host}i", FieldKind::vhost},
        {"%{Accept}i", FieldKind::opaque},
        {"%v", FieldKind::vhost},
        {"%V", FieldKind::vhost},
        {"%p", FieldKind::port},
        {"%{canonical}p", FieldKind::port},
        {"%{local}p", FieldKind::port},
        {"%{remote}p", FieldKind::port},
        {"%400,501{User-agent}i", FieldKind::user_agent},
        {"%!200r", FieldKind::request},
        {"%{sec}t", FieldKind::time},
        {"%{msec}t", FieldKind::time},
        {"%{usec}t", FieldKind::time},
        {"%{msec_frac}t", FieldKind::opaque},
        {"%{usec_frac}t", FieldKind::opaque},
        {"%{%Y-%m-%dT%H:%M:%S}t", FieldKind::time},
        {"%{SSL_PROTOCOL}x", FieldKind::opaque},
        {"%{UNIQUE_ID}e", FieldKind::opaque},
        {"%{note}n", FieldKind::opaque},
        {"%{session}C", FieldKind::opaque},
        {"%{Location}o", FieldKind::opaque},
        {"%{Trailer}^ti", FieldKind::opaque},
        {"%{Trailer}^to", FieldKind::opaque},
    };
    for (const auto& [directive, kind] : table) {
        CAPTURE(directive);
        CHECK(only_kind(directive) == kind);
    }
    for (char letter : std::string("ACDefkLnoPRTX")) {
        std::string directive = std::string("%") + letter;
        CAPTURE(directive);
        CHECK(only_kind(directive) == FieldKind::opaque);
    }
    CHECK(compile_ok("%h").syntax() == Syntax::apache);
}

TEST_CASE("Apache time directives pick the time syntax and the plain one brings brackets") {
    LogFormat plain = compile_ok("%h %t");
    CHECK(literals(plain) == std::vector<std::string>{" [", "]"});
    CHECK(plain.time_syntax() == TimeSyntax::clf);

    CHECK(compile_ok("%{sec}t").time_syntax() == TimeSyntax::sec);
    CHECK(compile_ok("%{msec}t").time_syntax() == TimeSyntax::millis);
    CHECK(compile_ok("%{usec}t").time_syntax() == TimeSyntax::micros);
    CHECK(compile_ok("%{begin:msec}t").time_syntax() == TimeSyntax::millis);

    LogFormat custom = compile_ok("%{end:%d/%b/%Y %T}t|%h");
    CHECK(custom.time_syntax() == TimeSyntax::strftime);
    CHECK(custom.time_pattern() == "%d/%b/%Y %T");
    Fields fields = scan_ok(custom, "10/Oct/2026 13:55:36|192.0.2.1");
    CHECK(fields.get(FieldKind::time) == "10/Oct/2026 13:55:36");
    CHECK(fields.get(FieldKind::client) == "192.0.2.1");
}

TEST_CASE("the first response byte count is bytes and the others stay opaque numbers") {
    LogFormat io = compile_ok("%b %I %O");
    CHECK(kinds(io) ==
          std::vector<FieldKind>{FieldKind::bytes, FieldKind::opaque, FieldKind::opaque});
    for (const LogFormat::Step& step : io.steps()) {
        if (step.type == StepType::field) CHECK(step.numeric);
    }
    Fields fields = scan_ok(io, "- 512 2781");
    CHECK(fields.get(FieldKind::bytes) == "-");
    CHECK(scan_error(io, "100 x 2781").reason == std::string("bytes is not a number"));

    // %I (bytes received) only counts when nothing else says what was sent.
    CHECK(kinds(compile_ok("%I %O")) ==
          std::vector<FieldKind>{FieldKind::opaque, FieldKind::bytes});
    CHECK(kinds(compile_ok("%I %S")) ==
          std::vector<FieldKind>{FieldKind::bytes, FieldKind::opaque});
    CHECK(kinds(compile_ok("$bytes_sent $body_bytes_sent")) ==
          std::vector<FieldKind>{FieldKind::bytes, FieldKind::opaque});
}

TEST_CASE("a doubled percent sign is a literal") {
    LogFormat format = compile_ok("%h 100%% %u");
    CHECK(literals(format) == std::vector<std::string>{" 100% "});
    Fields fields = scan_ok(format, "192.0.2.1 100% bob");
    CHECK(fields.get(FieldKind::remote_user) == "bob");
}

TEST_CASE("present lists the kinds the format has but not opaque") {
    LogFormat format = compile_ok("%h %l %>s");
    std::uint32_t expected = (1u << static_cast<unsigned>(FieldKind::client)) |
                             (1u << static_cast<unsigned>(FieldKind::status));
    CHECK(format.present() == expected);
    CHECK(format.field_count() == 3);
    Fields fields = scan_ok(format, "192.0.2.1 - 200");
    CHECK(fields.present == expected);
    CHECK(fields.has(FieldKind::client));
    CHECK_FALSE(fields.has(FieldKind::bytes));
}

TEST_CASE("a bare Apache string undoes backslash escapes as a config would") {
    LogFormat format = compile_ok(R"(%h\t\"%r\" \\ %>s\n)");
    CHECK(literals(format) == std::vector<std::string>{"\t\"", "\" \\ ", "\n"});
    CHECK(format.text() == R"(%h\t\"%r\" \\ %>s\n)");
    CHECK(format.steps()[2].quoted);
}

TEST_CASE("a pasted Apache LogFormat directive with a nickname") {
    LogFormat pasted = compile_ok(
        R"(LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined)");
    LogFormat bare = compile_ok(R"(%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\")");
    CHECK(pasted.syntax() == Syntax::apache);
    CHECK(kinds(pasted) == kinds(bare));
    CHECK(literals(pasted) == literals(bare));
    CHECK(literals(bare) ==
          std::vector<std::string>{" ", " ", " [", "] \"", "\" ", " ", " \"", "\" \"", "\""});

    CHECK(literals(compile_ok(R"(LogFormat "%h \\ %u" odd)")) == std::vector<std::string>{" \\ "});
    CHECK(kinds(compile_ok("LogFormat %h")) == std::vector<FieldKind>{FieldKind::client});
}

TEST_CASE("a pasted nginx log_format directive with parts and escape=json") {
    LogFormat format = compile_ok(
        "log_format json escape=json '{\"ip\":\"$remote_addr\",'\n"
        "    '\"req\":\"$request\",\"status\":$status}';");
    CHECK(format.syntax() == Syntax::nginx);
    CHECK(kinds(format) ==
          std::vector<FieldKind>{FieldKind::client, FieldKind::request, FieldKind::status});
    CHECK(literals(format) ==
          std::vector<std::string>{"{\"ip\":\"", "\",\"req\":\"", "\",\"status\":", "}"});
    CHECK(format.steps()[3].quoted);        // $request
    CHECK_FALSE(format.steps()[5].quoted);  // $status

    Fields fields =
        scan_ok(format, R"({"ip":"192.0.2.1","req":"GET /q?x=\"1\" HTTP/1.1","status":200})");
    CHECK(fields.get(FieldKind::client) == "192.0.2.1");
    CHECK(fields.get(FieldKind::request) == R"(GET /q?x=\"1\" HTTP/1.1)");
    CHECK(fields.get(FieldKind::status) == "200");

    LogFormat doubled = compile_ok(R"(log_format x "$remote_addr \"$request\"")");
    CHECK(literals(doubled) == std::vector<std::string>{" \"", "\""});
    CHECK(kinds(compile_ok("log_format x $remote_addr;")) ==
          std::vector<FieldKind>{FieldKind::client});
}

TEST_CASE("compile errors render with the text and a caret under the spot") {
    Error unknown = compile_error("%h %Q %u");
    CHECK(unknown.reason == "unknown Apache directive '%Q'");
    CHECK(unknown.column == 4);
    CHECK(show_format_error(unknown, "%h %Q %u") ==
          "unknown Apache directive '%Q'\n  %h %Q %u\n     ^");

    // Columns count in what the user wrote, before \" is undone.
    Error escaped = compile_error(R"(%h \"%Q\")");
    CHECK(escaped.column == 6);
    CHECK(show_format_error(escaped, R"(%h \"%Q\")") ==
          "unknown Apache directive '%Q'\n  %h \\\"%Q\\\"\n       ^");

    Error pasted = compile_error(R"(LogFormat "%h %Q" nick)");
    CHECK(pasted.column == 15);

    Error adjacent = compile_error("%h%u");
    CHECK(show_format_error(adjacent, "%h%u") ==
          "fields need a separator between them\n  %h%u\n    ^");
    CHECK(compile_error("$remote_addr$remote_user").column == 13);

    Error dollar = compile_error("$remote_addr ${request");
    CHECK(dollar.reason == "unterminated '${'");
    CHECK(dollar.column == 14);

    Error brace = compile_error("%h %{Referer");
    CHECK(brace.reason == "unterminated '%{'");
    CHECK(brace.column == 4);

    CHECK(compile_error("").reason == "empty format");
    CHECK(compile_error("   ").reason == "empty format");
    CHECK(compile_error("just text").reason ==
          "no fields: an nginx format needs $variables, an Apache one %directives");
    CHECK(compile_error("100%%").reason == "the format has no fields");
    CHECK(compile_error("log_format x 'plain';").reason == "the format has no fields");
    CHECK(compile_error("%h %").reason ==
          "incomplete Apache directive (write %% for a literal '%')");
    CHECK(compile_error("log_format x escape=xml '$status';").reason ==
          "escape must be default, json or none");
    CHECK(compile_error("log_format x '$status").reason == "unterminated quoted string");
}

TEST_CASE("path and query may touch because the question mark separates them") {
    LogFormat nginx = compile_ok("$request_method $uri$is_args$args $server_protocol $status");
    CHECK(kinds(nginx) == std::vector<FieldKind>{FieldKind::method, FieldKind::path,
                                                 FieldKind::query, FieldKind::protocol,
                                                 FieldKind::status});
    Fields with = scan_ok(nginx, "GET /a/b?x=1&y=2 HTTP/1.1 200");
    CHECK(with.get(FieldKind::method) == "GET");
    CHECK(with.get(FieldKind::path) == "/a/b");
    CHECK(with.get(FieldKind::query) == "?x=1&y=2");
    CHECK(with.get(FieldKind::protocol) == "HTTP/1.1");
    Fields without = scan_ok(nginx, "GET /a/b HTTP/1.1 200");
    CHECK(without.get(FieldKind::path) == "/a/b");
    CHECK(without.get(FieldKind::query) == "");

    LogFormat apache = compile_ok(R"(%h \"%m %U%q %H\" %>s)");
    Fields fields = scan_ok(apache, R"(192.0.2.1 "GET /dl/x.zip?v=2 HTTP/1.1" 200)");
    CHECK(fields.get(FieldKind::path) == "/dl/x.zip");
    CHECK(fields.get(FieldKind::query) == "?v=2");
    CHECK(fields.get(FieldKind::protocol) == "HTTP/1.1");

    LogFormat last = compile_ok("%h %U%q");
    Fields at_end = scan_ok(last, "192.0.2.1 /x?y=1 more");
    CHECK(at_end.get(FieldKind::path) == "/x");
    CHECK(at_end.get(FieldKind::query) == "?y=1");

    CHECK(compile_error("$uri$args").reason == "fields need a separator between them");
    CHECK(compile_error("%q%U").reason == "fields need a separator between them");
}

TEST_CASE("target and query by themselves") {
    LogFormat format = compile_ok("$request_uri $args|$query_string");
    Fields fields = scan_ok(format, "/a?b=1 b=1|b=1");
    CHECK(fields.get(FieldKind::target) == "/a?b=1");
    CHECK(fields.get(FieldKind::query) == "b=1");
}

TEST_CASE("quoted fields skip escapes and only end at their full separator") {
    LogFormat apache = compile_ok(R"(%h \"%r\" %>s)");
    CHECK(scan_ok(apache, R"(192.0.2.1 "GET /a\"b HTTP/1.1" 200)").get(FieldKind::request) ==
          R"(GET /a\"b HTTP/1.1)");
    CHECK(scan_ok(apache, R"(192.0.2.1 "GET /a\\" 200)").get(FieldKind::request) == R"(GET /a\\)");
    // Several escapes, one of them a quote right before the real closing quote.
    CHECK(scan_ok(apache, R"(192.0.2.1 "GET /\"a\\b\"" 200)").get(FieldKind::request) ==
          R"(GET /\"a\\b\")");
    // A bare quote that is not followed by the rest of the separator is part of the field.
    CHECK(scan_ok(apache, R"(192.0.2.1 "GET /a"b HTTP/1.1" 200)").get(FieldKind::request) ==
          R"(GET /a"b HTTP/1.1)");

    LogFormat nginx = compile_ok(R"($remote_addr "$request" $status)");
    CHECK(scan_ok(nginx, R"(192.0.2.1 "GET /\x22 HTTP/1.1" 200)").get(FieldKind::request) ==
          R"(GET /\x22 HTTP/1.1)");
}

TEST_CASE("a quoted field full of escapes is crossed in linear time") {
    // Found in review: each escape searched again for the same closing quote, so the time grew
    // with the square of the field: 2.4 s for this megabyte of escapes, per line.
    LogFormat format = compile_ok(R"(%h \"%r\" %>s)");
    std::string escapes;
    while (escapes.size() < (1 << 20))
        escapes += "\\x";
    const std::string line = "192.0.2.1 \"GET /" + escapes + " HTTP/1.1\" 200";
    const auto started = std::chrono::steady_clock::now();
    CHECK(scan_ok(format, line).get(FieldKind::request).size() == escapes.size() + 14);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
}

TEST_CASE("escapes and quotes are found wherever they fall in the blocks the scan reads") {
    // The scan looks at 16 bytes at a time, and at the end of the line at one block that
    // overlaps bytes already read: every offset of an escape or a bare quote must count once.
    LogFormat format = compile_ok(R"(%h \"%r\" \"%{User-Agent}i\")");
    for (std::size_t n = 0; n < 40; ++n) {
        CAPTURE(n);
        const std::string lead(n, 'a');
        const std::string bare = lead + R"("c)";
        const std::string escaped = lead + R"(\"b)";
        const std::string line = "192.0.2.1 \"" + bare + "\" \"" + escaped + "\"";
        Fields fields = scan_ok(format, line);
        CHECK(fields.get(FieldKind::request) == bare);
        CHECK(fields.get(FieldKind::user_agent) == escaped);
        // An escaped closing quote as the line's last byte leaves the field open.
        CHECK(scan_error(format, "192.0.2.1 \"" + lead + "\" \"" + lead + "\\\"").reason ==
              std::string("unterminated quoted field"));
        CHECK(scan_error(format, "192.0.2.1 \"" + lead + "\" \"" + lead + "\\").reason ==
              std::string("unterminated quoted field"));
    }
}

TEST_CASE("a single-word field ends at its separator or fails at the space before it") {
    LogFormat format = compile_ok("$remote_addr - $remote_user [$time_local] $status");
    const std::string rest = " - - [10/Oct/2026:13:55:36 +0000] 200";
    for (std::size_t n = 1; n < 40; ++n) {
        CAPTURE(n);
        const std::string client(n, '1');
        CHECK(scan_ok(format, client + rest).get(FieldKind::client) == client);
        // The separator begins with a space, so the first space is tried as the separator.
        ScanError spaced = scan_error(format, client + " x" + rest);
        CHECK(spaced.reason == std::string("space inside a single-word field"));
        CHECK(spaced.column == 1);
        ScanError missing = scan_error(format, client + " x - y");
        CHECK(missing.reason == std::string("space inside a single-word field"));
        CHECK(scan_error(format, client + " x").reason == std::string("missing separator"));
        CHECK(scan_error(format, client + " -").reason == std::string("missing separator"));
    }
    // A separator that does not begin with a space: the first space still ends the search.
    LogFormat port = compile_ok("%v:%p %h");
    CHECK(scan_ok(port, "www.example.com:443 192.0.2.1").get(FieldKind::vhost) ==
          "www.example.com");
    CHECK(scan_error(port, "www example.com:443 192.0.2.1").reason ==
          std::string("space inside a single-word field"));
    CHECK(scan_error(port, "www example.com 443 192.0.2.1").reason ==
          std::string("missing separator"));
    // The first byte of the separator where the rest does not follow is not its end.
    LogFormat dash = compile_ok("%h -- %u");
    CHECK(scan_ok(dash, "a-b-c -- user").get(FieldKind::client) == "a-b-c");
}

TEST_CASE("requests are returned whole even when HTTP/0.9 or empty or with spaces") {
    LogFormat format = compile_ok(R"(%h \"%r\" %>s)");
    CHECK(scan_ok(format, R"(192.0.2.1 "GET /" 200)").get(FieldKind::request) == "GET /");
    CHECK(scan_ok(format, R"(192.0.2.1 "" 400)").get(FieldKind::request) == "");
    CHECK(scan_ok(format, R"(192.0.2.1 "GET /a b c HTTP/1.1" 404)").get(FieldKind::request) ==
          "GET /a b c HTTP/1.1");
}

TEST_CASE("scan errors have fixed reasons and 1-based columns") {
    LogFormat format = compile_ok(R"($remote_addr "$request" $status)");
    Fields fields;
    std::optional<ScanError> empty = format.scan("", fields);
    REQUIRE(empty);
    CHECK(empty->reason == std::string("empty line"));
    CHECK(empty->column == 1);

    // Unterminated quoted fields point at the field's first byte, just after the quote.
    ScanError open = scan_error(format, R"(192.0.2.1 "GET / HTTP/1.1)");
    CHECK(open.reason == std::string("unterminated quoted field"));
    CHECK(open.column == 12);

    ScanError cut = scan_error(format, R"(192.0.2.1 "GET / HTTP/1.1")");
    CHECK(cut.reason == std::string("line ends early"));
    CHECK(cut.column == 12);

    ScanError status = scan_error(format, R"(192.0.2.1 "GET / HTTP/1.1" 2000)");
    CHECK(status.reason == std::string("status is not a number"));
    CHECK(status.column == 28);
    CHECK(scan_error(format, R"(192.0.2.1 "GET / HTTP/1.1" abc)").reason ==
          std::string("status is not a number"));

    LogFormat common = compile_ok(R"(%h %l %u %t \"%r\" %>s %b)");
    ScanError bytes = scan_error(
        common, R"(192.0.2.10 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 12k)");
    CHECK(bytes.reason == std::string("bytes is not a number"));
    CHECK(bytes.column == 66);
    Fields dash =
        scan_ok(common, R"(192.0.2.10 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 304 -)");
    CHECK(dash.get(FieldKind::bytes) == "-");

    LogFormat prefix = compile_ok("$remote_addr - $remote_user [$time_local]");
    ScanError tabs = scan_error(prefix, "192.0.2.1\t-\t-\t[10/Oct/2026:13:55:36 +0000]");
    CHECK(tabs.reason == std::string("missing separator"));
    CHECK(tabs.column == 1);
    ScanError early = scan_error(prefix, "192.0.2.1 - ");
    CHECK(early.reason == std::string("line ends early"));
    CHECK(early.column == 13);

    LogFormat bracket = compile_ok("%t %h");
    ScanError literal = scan_error(bracket, "10/Oct/2026:13:55:36 +0000 192.0.2.1");
    CHECK(literal.reason == std::string("missing separator"));
    CHECK(literal.column == 1);

    LogFormat port = compile_ok("%v:%p %h");
    ScanError not_port = scan_error(port, "www.example.com:https 192.0.2.1");
    CHECK(not_port.reason == std::string("port is not a number"));
    CHECK(not_port.column == 17);
}

TEST_CASE("text after the last step is ignored and the last field ends at a space") {
    LogFormat combined = compile_ok(
        R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent")");
    Fields fields = scan_ok(
        combined,
        R"(192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0" "203.0.113.9" 0.004)");
    CHECK(fields.get(FieldKind::user_agent) == "curl/8.5.0");
    CHECK(fields.get(FieldKind::time) == "10/Oct/2026:13:55:36 +0000");

    LogFormat common = compile_ok(R"(%h %l %u %t \"%r\" %>s %b)");
    CHECK(
        scan_ok(common, R"(192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-")")
            .get(FieldKind::bytes) == "5");
}

TEST_CASE("a carriage return in the text after the last field makes the line bad") {
    // A log with "\r" line ends alone arrives as one line; its first record must not pass for
    // the whole of it.
    LogFormat common = compile_ok(R"(%h %l %u %t \"%r\")");
    const std::string first = R"(192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1")";
    Fields fields;
    std::optional<ScanError> error = common.scan(first + " 200\r" + first, fields);
    REQUIRE(error);
    CHECK(std::string(error->reason) == "carriage return inside the line");
    CHECK(error->column == first.size() + 5);
    CHECK_FALSE(common.scan(first + " 200 5", fields));
}

TEST_CASE("a later field of the same kind overwrites an earlier one") {
    LogFormat format = compile_ok("%a %h");
    Fields fields = scan_ok(format, "192.0.2.1 host.example.com");
    CHECK(fields.get(FieldKind::client) == "host.example.com");
}

TEST_CASE("the real presets file loads with every preset passing its own samples") {
    auto loaded = logsift::load_presets(std::string(LOGSIFT_PATTERNS_DIR) + "/formats");
    if (!loaded) FAIL(loaded.error().message());
    const std::vector<Preset>& presets = *loaded;
    std::vector<std::string> names;
    for (const Preset& preset : presets) {
        names.push_back(preset.name);
        CHECK_FALSE(preset.description.empty());
    }
    for (const char* required :
         {"combined", "main", "common", "combinedio", "vhost_combined", "vhost_common",
          "vhost_combined_noport", "logsift", "logsift_jsonl"}) {
        CAPTURE(required);
        CHECK(std::find(names.begin(), names.end(), required) != names.end());
    }
    for (const Preset& preset : presets) {
        // logsift's own records are described with nginx variables ($logsift_network, ...).
        bool nginx = preset.name == "combined" || preset.name == "main" ||
                     preset.name == "logsift" || preset.name == "logsift_jsonl";
        CHECK(preset.format.syntax() == (nginx ? Syntax::nginx : Syntax::apache));
    }
    CHECK_FALSE(logsift::load_presets("/nonexistent/formats").has_value());
}

namespace {

Error preset_error(std::string_view text) {
    auto result = logsift::parse_presets(text, "formats");
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().fault == logsift::Fault::usage);
    return std::move(result).error();
}

}  // namespace

TEST_CASE("parse_presets reads entries and checks samples") {
    auto result = logsift::parse_presets(
        "# comment\n"
        "\n"
        "[tiny]\n"
        "description = client and status\n"
        "format = $remote_addr $status\n"
        "sample = 192.0.2.1 200\n"
        "expect client = 192.0.2.1\n"
        "expect status = 200\n",
        "formats");
    REQUIRE(result.has_value());
    const std::vector<Preset>& presets = *result;
    REQUIRE(presets.size() == 1);
    CHECK(presets[0].name == "tiny");
    CHECK(presets[0].description == "client and status");
    CHECK(presets[0].format.text() == "$remote_addr $status");
}

TEST_CASE("a broken preset entry names the file and the line and the reason") {
    const std::string head = "[tiny]\ndescription = d\nformat = $remote_addr $status\n";

    Error no_match = preset_error(head + "sample = 192.0.2.1 abc\nexpect status = 200\n");
    CHECK(no_match.file == "formats");
    CHECK(no_match.line == 4);
    CHECK(no_match.reason ==
          "preset 'tiny': sample does not match: status is not a number at column 11");

    Error wrong = preset_error(head + "sample = 192.0.2.1 404\nexpect status = 200\n");
    CHECK(wrong.line == 5);
    CHECK(wrong.reason == "preset 'tiny': expected status '200', scanned '404'");

    Error absent = preset_error(head + "sample = 192.0.2.1 404\nexpect port = 80\n");
    CHECK(absent.line == 5);
    CHECK(absent.reason == "preset 'tiny': the format has no field 'port'");

    Error unknown_field = preset_error(head + "sample = 192.0.2.1 404\nexpect colour = 1\n");
    CHECK(unknown_field.reason == "preset 'tiny': unknown field 'colour'");

    Error bad_format =
        preset_error("[x]\ndescription = d\nformat = %h %Q\nsample = a\nexpect client = a\n");
    CHECK(bad_format.line == 3);
    CHECK(bad_format.reason == "preset 'x': bad format: unknown Apache directive '%Q' at column 4");

    Error duplicate =
        preset_error(head + "sample = 192.0.2.1 200\nexpect status = 200\n" + "[tiny]\n");
    CHECK(duplicate.line == 6);
    CHECK(duplicate.reason == "duplicate preset 'tiny' (first at line 1)");

    Error no_sample = preset_error(head);
    CHECK(no_sample.line == 1);
    CHECK(no_sample.reason == "preset 'tiny': has no sample");

    Error no_expect = preset_error(head + "sample = 192.0.2.1 200\n");
    CHECK(no_expect.line == 4);
    CHECK(no_expect.reason == "preset 'tiny': sample has no expect lines");

    Error no_description = preset_error("[x]\nformat = %h\nsample = a\nexpect client = a\n");
    CHECK(no_description.line == 1);
    CHECK(no_description.reason == "preset 'x': has no description");

    Error unknown_key = preset_error("[x]\ncolour = red\n");
    CHECK(unknown_key.line == 2);
    CHECK(unknown_key.reason ==
          "unknown key 'colour' (keys: description, format, sample, expect FIELD)");

    Error no_equals = preset_error("[x]\njust words\n");
    CHECK(no_equals.line == 2);
    CHECK(no_equals.reason == "expected 'key = value'");

    Error outside = preset_error("format = %h\n");
    CHECK(outside.line == 1);
    CHECK(outside.reason == "a [name] line must come before 'format'");

    Error empty = preset_error("# nothing\n");
    CHECK(empty.line == 0);
    CHECK(empty.reason == "no presets in the file");
}

namespace {

// The same formats, in the same order, as patterns/formats.
std::vector<Preset> detection_presets() {
    const std::vector<std::pair<std::string, std::string>> formats = {
        {"combined",
         R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent")"},
        {"main",
         R"($remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for")"},
        {"common", R"(%h %l %u %t \"%r\" %>s %b)"},
        {"combinedio", R"(%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" %I %O)"},
        {"vhost_combined", R"(%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\")"},
        {"vhost_common", R"(%v %h %l %u %t \"%r\" %>s %b)"},
        {"vhost_combined_noport",
         R"(%v %h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\")"},
    };
    std::vector<Preset> presets;
    for (const auto& [name, text] : formats)
        presets.push_back({name, "", compile_ok(text)});
    return presets;
}

std::string detected(const std::vector<Preset>& presets, std::string_view sample) {
    Detection detection = detect_format(presets, sample, 100);
    REQUIRE(detection.best() != nullptr);
    CHECK(detection.clear());
    return detection.best()->name;
}

}  // namespace

TEST_CASE("detection picks the preset that explains the most") {
    const std::vector<Preset> presets = detection_presets();
    const std::string time = "[10/Oct/2026:13:55:36 +0000]";
    const std::string request = R"("GET /index.html HTTP/1.1")";
    const std::string agent =
        R"("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")";

    std::string combined = "192.0.2.1 - - " + time + " " + request + " 200 612 \"-\" " + agent +
                           "\n" + "2001:db8::7 - bob " + time + " \"GET / HTTP/2.0\" 304 0 " +
                           "\"https://example.com/\" \"curl/8.5.0\"\n";
    CHECK(detected(presets, combined) == "combined");

    std::string main = "192.0.2.1 - - " + time + " " + request + " 200 612 \"-\" " + agent +
                       " \"203.0.113.5, 198.51.100.2\"\n" + "192.0.2.2 - - " + time + " " +
                       request + " 404 0 \"-\" \"curl/8.5.0\" \"-\"\n";
    CHECK(detected(presets, main) == "main");

    std::string common = "192.0.2.1 - - " + time + " " + request + " 200 612\n" +
                         "host.example.com - frank " + time + " \"GET /\" 200 -\n";
    CHECK(detected(presets, common) == "common");

    std::string combinedio =
        "192.0.2.1 - - " + time + " " + request + " 200 612 \"-\" " + agent + " 431 2781\n";
    CHECK(detected(presets, combinedio) == "combinedio");

    std::string vhost_combined = "www.example.com:443 192.0.2.1 - - " + time + " " + request +
                                 " 200 612 \"-\" " + agent + "\n";
    CHECK(detected(presets, vhost_combined) == "vhost_combined");

    std::string vhost_common =
        "www.example.com 192.0.2.1 - - " + time + " " + request + " 200 612\n";
    CHECK(detected(presets, vhost_common) == "vhost_common");

    std::string noport =
        "www.example.com 192.0.2.1 - - " + time + " " + request + " 200 612 \"-\" " + agent + "\n";
    CHECK(detected(presets, noport) == "vhost_combined_noport");
}

TEST_CASE("detection counts non-empty lines and honours max_lines and CRLF") {
    const std::vector<Preset> presets = detection_presets();
    std::string line = "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5";
    std::string sample = line + "\r\n\n" + line + "\r\nnot a log line\n" + line;
    Detection all = detect_format(presets, sample, 100);
    CHECK(all.lines == 4);
    REQUIRE(all.best() != nullptr);
    CHECK(all.best()->name == "common");
    CHECK(all.candidates.front().parsed == 3);
    CHECK(all.candidates.size() == presets.size());
    CHECK(all.clear());

    Detection first_two = detect_format(presets, sample, 2);
    CHECK(first_two.lines == 2);
    CHECK(first_two.candidates.front().parsed == 2);

    Detection junk = detect_format(presets, "nothing\nto see\n" + line + "\n", 100);
    CHECK(junk.lines == 3);
    CHECK(junk.candidates.front().parsed == 1);
    CHECK_FALSE(junk.clear());

    Detection none = detect_format(presets, "\n\n", 100);
    CHECK(none.lines == 0);
    CHECK_FALSE(none.clear());
}

TEST_CASE("detection keeps the richer preset when a few lines only fit a shorter one") {
    const std::vector<Preset> presets = detection_presets();
    const std::string good =
        "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" "
        "\"curl/8.5.0\"\n";
    const std::string truncated_agent =
        "192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\n";
    std::string sample;
    for (int i = 0; i < 99; ++i)
        sample += good;
    sample += truncated_agent;
    // common scans all 100 lines and combined 99: within 2 %, so the fields decide.
    Detection one_bad = detect_format(presets, sample, 1000);
    REQUIRE(one_bad.best() != nullptr);
    CHECK(one_bad.best()->name == "combined");
    CHECK(one_bad.candidates.front().parsed == 99);

    // With 3 of 100 lines lacking a user agent, the shorter format explains the log better.
    std::string sample3;
    for (int i = 0; i < 97; ++i)
        sample3 += good;
    for (int i = 0; i < 3; ++i)
        sample3 += truncated_agent;
    Detection three_bad = detect_format(presets, sample3, 1000);
    REQUIRE(three_bad.best() != nullptr);
    CHECK(three_bad.best()->name == "common");
    CHECK(three_bad.candidates.front().parsed == 100);
}
