#include <doctest/doctest.h>

#include <string>

#include "logsift/base/error.hpp"

using namespace logsift;

TEST_CASE("error: each fault has the exit status the man page documents") {
    CHECK(exit_status(Fault::usage) == ExitCode::usage);
    CHECK(static_cast<int>(exit_status(Fault::usage)) == 2);
    CHECK(static_cast<int>(exit_status(Fault::input)) == 1);
    CHECK(static_cast<int>(exit_status(Fault::output)) == 1);
}

TEST_CASE("error: the message names file, line and column, leaving out what is unknown") {
    CHECK(usage_error("patterns/formats", "unknown field", 12, 7).message() ==
          "patterns/formats:12: unknown field at column 7");
    CHECK(input_error("access.log", "not a gzip stream").message() ==
          "access.log: not a gzip stream");
    CHECK(usage_error("", "no input given").message() == "no input given");
}

TEST_CASE("error: Expected holds a value or an error") {
    Expected<std::string> good = std::string("x");
    REQUIRE(good.has_value());
    CHECK(*good == "x");
    Expected<std::string> bad = output_error("out.tsv", "cannot write");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().fault == Fault::output);
    Expected<void> done;
    CHECK(done.has_value());
    Expected<void> failed = input_error("a.log", "gone");
    CHECK_FALSE(failed.has_value());
    CHECK(failed.error().file == "a.log");
}
