// The command line: suggestions, enum errors, options refused per subcommand, help, lists and
// the help width, through the cli stage's own API (no process is started).
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "logsift/cli/cli.hpp"
#include "logsift/cli/help.hpp"

namespace {

using logsift::cli::CommandLine;

// The reason of the usage error a command line gives, or "" when it parses.
std::string error_of(const std::vector<std::string>& args) {
    CommandLine line(80);
    auto parsed = line.parse(args);
    if (parsed) return "";
    CHECK(parsed.error().fault == logsift::Fault::usage);
    CHECK(logsift::exit_status(parsed.error().fault) == logsift::ExitCode::usage);
    return parsed.error().message();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("cli: a mistyped subcommand or option gets a suggestion") {
    CHECK(contains(error_of({"sumary"}), "unknown command 'sumary'; did you mean 'summary'?"));
    CHECK(contains(error_of({"help", "sumary"}), "did you mean 'summary'?"));
    CHECK(contains(error_of({"sources", "--stauts", "404"}), "did you mean '--status'?"));
    CHECK(contains(error_of({"reduce", "--feilds", "time"}), "did you mean '--fields'?"));
    CHECK_FALSE(contains(error_of({"reduce", "--zzzzzzzz"}), "did you mean"));
    CHECK(logsift::cli::edit_distance("stauts", "status") == 1);
    CHECK(logsift::cli::edit_distance("sumary", "summary") == 1);
}

TEST_CASE("cli: a bad enum value names the option and the values it takes") {
    CHECK(error_of({"summary", "--period", "weak"}) ==
          "--period: must be one of day, week, month, all, not 'weak'");
    CHECK(contains(error_of({"reduce", "--time-resolution", "week"}),
                   "must be one of second, minute, hour, day"));
    CHECK(contains(error_of({"reduce", "--output-format", "xml"}), "tsv, csv, jsonl"));
    CHECK(contains(error_of({"downloads", "--by", "size"}), "resource, product, version"));
    CHECK(contains(error_of({"reduce", "--client-ip", "header"}), "remote, forwarded"));

    CommandLine line(80);
    REQUIRE(line.parse({"summary", "--period", "week", "--by", "version", "--output-format", "json",
                        "--time-resolution", "minute"}));
    CHECK(line.bindings().summary.period == logsift::Period::week);
    CHECK(line.bindings().summary.by == logsift::DownloadGrouping::version);
    CHECK(line.bindings().summary.output_format == logsift::ReportFormat::json);
    CHECK(line.bindings().summary.output_format_given);
    CHECK(line.bindings().summary.input.time_resolution == logsift::TimeResolution::minute);
}

TEST_CASE("cli: options a subcommand would ignore are refused") {
    CHECK(contains(error_of({"sources", "--include-bots"}), "sources takes no --include-bots"));
    CHECK(contains(error_of({"sources", "--downloads", "rules"}), "sources takes no --downloads"));
    CHECK(contains(error_of({"sources", "--time-resolution", "day"}), "takes no"));
    CHECK(contains(error_of({"downloads", "--time-resolution", "day"}), "takes no"));
    CHECK(contains(error_of({"downloads", "--geoip", "c.mmdb"}), "downloads takes no --geoip"));
    CHECK(contains(error_of({"downloads", "--no-geoip"}), "downloads takes no --no-geoip"));
    CHECK(error_of({"sources", "--no-geoip"}) == "");
    CHECK(contains(error_of({"sources", "--keep-query"}), "--keep-query requires --path"));
    CHECK(error_of({"sources", "--keep-query", "--path", "^/a"}) == "");
    CHECK(contains(error_of({"merge", "--format", "combined"}), "merge takes no --format"));
    CHECK(contains(error_of({"formats", "-v"}), "requires --detect"));
    CHECK(error_of({"formats", "-v", "--detect", "-"}) == "");
    CHECK(error_of({"summary", "--time-resolution", "day", "--include-bots"}) == "");
    CHECK(contains(error_of({"summary", "--from", "a.json", "--period", "week"}),
                   "--period shapes a summary when it is made from logs"));
    CHECK(error_of({"summary", "--from", "a.json", "--by", "product", "--top", "3"}) == "");
}

TEST_CASE("cli: help CMD is CMD --help; help of nothing is the top level") {
    CommandLine by_help(80);
    auto help = by_help.parse({"help", "sources"});
    REQUIRE(help);
    CHECK_FALSE(help->run);
    CommandLine by_option(80);
    auto option = by_option.parse({"sources", "--help"});
    REQUIRE(option);
    CHECK(help->text == option->text);
    CHECK(contains(help->text, "--dimension"));

    CommandLine top(80);
    auto all = top.parse({"help"});
    REQUIRE(all);
    CHECK(contains(all->text, "summary"));
    CHECK(contains(all->text, "merge"));
    CHECK(contains(error_of({"help", "nosuch"}), "unknown command 'nosuch'"));
}

TEST_CASE("cli: comma lists are split by CLI11, an empty one is an error") {
    CommandLine line(80);
    REQUIRE(line.parse(
        {"reduce", "--fields", "status,time", "--status", "404,5xx", "--status", "200"}));
    CHECK(line.bindings().reduce.fields ==
          std::vector<logsift::Column>{logsift::Column::status, logsift::Column::time});
    CHECK(line.bindings().reduce.input.statuses == std::vector<std::string>{"404", "5xx", "200"});
    CHECK(contains(error_of({"reduce", "--fields", ""}), "--fields: must be one of"));
    CHECK(contains(error_of({"reduce", "--fields", "time,ip"}), "not 'ip'"));
    CHECK(contains(error_of({"reduce", "--status", ""}), "--status"));
    CHECK(contains(error_of({"sources", "--dimension", "network,nope"}), "not 'nope'"));
}

TEST_CASE("cli: help is wrapped to COLUMNS") {
    ::setenv("COLUMNS", "60", 1);
    CHECK(logsift::cli::terminal_width() == 60);
    ::setenv("COLUMNS", "junk", 1);
    CHECK(logsift::cli::terminal_width() > 0);
    ::unsetenv("COLUMNS");

    for (std::size_t width : {60, 100}) {
        CommandLine line(width);
        auto help = line.parse({"help", "reduce"});
        REQUIRE(help);
        std::size_t start = 0;
        while (start < help->text.size()) {
            std::size_t end = help->text.find('\n', start);
            if (end == std::string::npos) end = help->text.size();
            std::string row = help->text.substr(start, end - start);
            // Option names may overflow their column, and a word longer than the room stays
            // whole; otherwise a description never overflows the width.
            bool one_word = row.find(' ', row.find_first_not_of(' ')) == std::string::npos;
            if (row.find("  --") == std::string::npos && !one_word) CHECK(row.size() <= width);
            start = end + 1;
        }
    }
    CHECK(logsift::cli::wrap("aa bb cc", 5) == "aa bb\ncc");
}
