// Unit tests for timestamps: each time syntax, range checks, truncation in the logged offset and
// ISO 8601 output. Expected epochs were computed with `date -u -d '...' +%s`, not by this code.
#include <doctest/doctest.h>

#include <string>

#include "logsift/base/timestamp.hpp"

using namespace logsift;

namespace {

// "seconds offset" or "none", so a failed check shows both numbers.
std::string parsed(std::string_view text, TimeSyntax syntax, std::string_view pattern = {}) {
    std::optional<Timestamp> time = parse_timestamp(text, syntax, pattern);
    if (!time) return "none";
    return std::to_string(time->seconds) + " " + std::to_string(time->offset_minutes);
}

std::string formatted(Timestamp time, bool utc) {
    char out[32];
    return std::string(out, format_timestamp(time, utc, out));
}

// Parses CLF, truncates and prints in one step, as the reducer does.
std::string bucket(std::string_view clf, TimeResolution resolution, bool utc) {
    std::optional<Timestamp> time = parse_timestamp(clf, TimeSyntax::clf);
    REQUIRE(time);
    return formatted(truncate_timestamp(*time, resolution, utc), utc);
}

}  // namespace

TEST_CASE("clf") {
    // 2026-10-10 13:55:36 UTC is 1791640536.
    CHECK(parsed("10/Oct/2026:13:55:36 +0000", TimeSyntax::clf) == "1791640536 0");
    CHECK(parsed("10/Oct/2026:13:55:36 +0200", TimeSyntax::clf) == "1791633336 120");
    CHECK(parsed("10/Oct/2026:13:55:36 +0330", TimeSyntax::clf) == "1791627936 210");
    CHECK(parsed("10/Oct/2026:13:55:36 -0700", TimeSyntax::clf) == "1791665736 -420");
    CHECK(parsed("10/Oct/2026:13:55:36 +0545", TimeSyntax::clf) == "1791619836 345");
    CHECK(parsed("[10/Oct/2026:13:55:36 +0000]", TimeSyntax::clf) == "1791640536 0");
    CHECK(parsed("10/oct/2026:13:55:36 +0000", TimeSyntax::clf) == "1791640536 0");
    CHECK(parsed("10/OCT/2026:13:55:36 +0000", TimeSyntax::clf) == "1791640536 0");
    CHECK(parsed("10/Oct/2026:13:55:36", TimeSyntax::clf) == "1791640536 0");
    CHECK(parsed("01/Jan/2000:00:00:00 +0000", TimeSyntax::clf) == "946684800 0");
    CHECK(parsed("31/Dec/1969:23:00:00 +0000", TimeSyntax::clf) == "-3600 0");
}

TEST_CASE("iso8601") {
    CHECK(parsed("2026-10-10T13:55:36+02:00", TimeSyntax::iso8601) == "1791633336 120");
    CHECK(parsed("2026-10-10T13:55:36+0200", TimeSyntax::iso8601) == "1791633336 120");
    CHECK(parsed("2026-10-10T13:55:36Z", TimeSyntax::iso8601) == "1791640536 0");
    CHECK(parsed("2026-10-10T13:55:36", TimeSyntax::iso8601) == "1791640536 0");
    CHECK(parsed("2026-10-10T13:55:36.123456Z", TimeSyntax::iso8601) == "1791640536 0");
    CHECK(parsed("2026-10-10T13:55:36-07:00", TimeSyntax::iso8601) == "1791665736 -420");
    CHECK(parsed("2026-10-10 13:55:36+05:45", TimeSyntax::iso8601) == "1791619836 345");
}

TEST_CASE("epochs") {
    CHECK(parsed("1760104536.123", TimeSyntax::msec) == "1760104536 0");
    CHECK(parsed("1760104536", TimeSyntax::msec) == "1760104536 0");
    CHECK(parsed("1760104536", TimeSyntax::sec) == "1760104536 0");
    CHECK(parsed("1760104536123", TimeSyntax::millis) == "1760104536 0");
    CHECK(parsed("1760104536123456", TimeSyntax::micros) == "1760104536 0");
    for (std::string_view text : {"", "-1", "1760104536.", ".5", "17601x", "1760104536 ",
                                  "1234567890123456789", "+1760104536"}) {
        CAPTURE(text);
        CHECK(parsed(text, TimeSyntax::msec) == "none");
    }
    CHECK(parsed("1760104536.123", TimeSyntax::sec) == "none");
    CHECK(parsed("1760104536.123", TimeSyntax::millis) == "none");
}

TEST_CASE("strftime patterns") {
    CHECK(parsed("10/Oct/2026:13:55:36 +0200", TimeSyntax::strftime, "%d/%b/%Y:%H:%M:%S %z") ==
          "1791633336 120");
    CHECK(parsed("2026-10-10T13:55:36+02:00", TimeSyntax::strftime, "%Y-%m-%dT%H:%M:%S%z") ==
          "1791633336 120");
    CHECK(parsed("Sat, 10 Oct 2026 13:55:36 GMT", TimeSyntax::strftime, "%a, %d %b %Y %T %Z") ==
          "1791640536 0");
    CHECK(parsed("Saturday October 10 2026 13:55:36 UTC", TimeSyntax::strftime,
                 "%A %B %d %Y %T %Z") == "1791640536 0");
    CHECK(parsed("2026-10-10 13:55:36", TimeSyntax::strftime, "%F %T") == "1791640536 0");
    CHECK(parsed("10/10/26 01:55:36 PM", TimeSyntax::strftime, "%D %I:%M:%S %p") == "1791640536 0");
    CHECK(parsed("10/10/26 12:00:00 am", TimeSyntax::strftime, "%D %I:%M:%S %p") == "1791590400 0");
    CHECK(parsed("2026 283 13:55:36", TimeSyntax::strftime, "%Y %j %T") == "1791640536 0");
    CHECK(parsed("2024 366", TimeSyntax::strftime, "%Y %j") == "1735603200 0");
    CHECK(parsed("Oct  5 2026", TimeSyntax::strftime, "%b %e %Y") == "1791158400 0");
    CHECK(parsed("Oct 5 2026", TimeSyntax::strftime, "%b %e %Y") == "1791158400 0");
    CHECK(parsed("10   Oct\t2026", TimeSyntax::strftime, "%d %b %Y") == "1791590400 0");
    CHECK(parsed("1760104536", TimeSyntax::strftime, "%s") == "1760104536 0");
    CHECK(parsed("100% 2026-10-10", TimeSyntax::strftime, "100%% %F") == "1791590400 0");
    CHECK(parsed("99-01-01", TimeSyntax::strftime, "%y-%m-%d") == "915148800 0");

    // Pattern and text must agree to the end; unknown conversions and zone names fail.
    CHECK(parsed("2026-10-10 13:55:36x", TimeSyntax::strftime, "%F %T") == "none");
    CHECK(parsed("2026-10-10", TimeSyntax::strftime, "%F %T") == "none");
    CHECK(parsed("2026-10-1013:55:36", TimeSyntax::strftime, "%F %T") == "none");
    CHECK(parsed("2026-10-10 13:55:36 CEST", TimeSyntax::strftime, "%F %T %Z") == "none");
    CHECK(parsed("2026-10-10 13:55:36", TimeSyntax::strftime, "%F %k") == "none");
    CHECK(parsed("13:55:36", TimeSyntax::strftime, "%T") == "none");  // no date
    CHECK(parsed("2026 367", TimeSyntax::strftime, "%Y %j") == "none");
    CHECK(parsed("2025 366", TimeSyntax::strftime, "%Y %j") == "none");
    CHECK(parsed("10/10/26 13:55:36 PM", TimeSyntax::strftime, "%D %I:%M:%S %p") == "none");
    CHECK(parsed("2026-10-10", TimeSyntax::strftime, "%F %") == "none");
}

TEST_CASE("leap days and leap seconds") {
    CHECK(parsed("29/Feb/2024:12:00:00 +0000", TimeSyntax::clf) == "1709208000 0");
    CHECK(parsed("2000-02-29T00:00:00Z", TimeSyntax::iso8601) == "951782400 0");
    CHECK(parsed("29/Feb/2026:12:00:00 +0000", TimeSyntax::clf) == "none");
    CHECK(parsed("1900-02-29T00:00:00Z", TimeSyntax::iso8601) == "none");
    // 23:59:60 is kept in its minute as :59 (2026-10-10 13:55:59 is 1791640559).
    CHECK(parsed("10/Oct/2026:13:55:60 +0000", TimeSyntax::clf) == "1791640559 0");
}

TEST_CASE("invalid times are rejected") {
    for (std::string_view text :
         {"", "-", "32/Oct/2026:13:55:36 +0000", "00/Oct/2026:13:55:36 +0000",
          "31/Sep/2026:13:55:36 +0000", "10/Foo/2026:13:55:36 +0000", "10/Oct/2026:24:00:00 +0000",
          "10/Oct/2026:13:60:00 +0000", "10/Oct/2026:13:55:61 +0000", "10/Oct/2026:13:55:36 +1900",
          "10/Oct/2026:13:55:36 +0160", "10/Oct/2026:13:55:36 0200", "10/Oct/2026:13:55:36 +02",
          "10/Oct/2026:13:55:36 +0200x", "1/Oct/2026:13:55:36 +0000", "10/Oct/26:13:55:36 +0000",
          "10/Oct/2026 13:55:36 +0000", "10/Oct/2026:13:55:36 Z"}) {
        CAPTURE(text);
        CHECK(parsed(text, TimeSyntax::clf) == "none");
    }
    for (std::string_view text :
         {"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-10-10T13:55:36+18:01",
          "2026-10-10T13:55:36+", "2026-10-10T13:55:36.Z", "2026-10-10", "2026-10-10T13:55",
          "2026-10-10T13:55:36ZZ"}) {
        CAPTURE(text);
        CHECK(parsed(text, TimeSyntax::iso8601) == "none");
    }
    CHECK(parsed("2026-10-10T13:55:36+18:00", TimeSyntax::iso8601) != "none");
}

TEST_CASE("truncation happens in the logged offset") {
    const char* plus_0330 = "10/Oct/2026:13:55:36 +0330";
    CHECK(bucket(plus_0330, TimeResolution::second, false) == "2026-10-10T13:55:36+03:30");
    CHECK(bucket(plus_0330, TimeResolution::minute, false) == "2026-10-10T13:55:00+03:30");
    CHECK(bucket(plus_0330, TimeResolution::hour, false) == "2026-10-10T13:00:00+03:30");
    CHECK(bucket(plus_0330, TimeResolution::day, false) == "2026-10-10T00:00:00+03:30");

    const char* minus_0700 = "10/Oct/2026:13:55:36 -0700";
    CHECK(bucket(minus_0700, TimeResolution::minute, false) == "2026-10-10T13:55:00-07:00");
    CHECK(bucket(minus_0700, TimeResolution::hour, false) == "2026-10-10T13:00:00-07:00");
    CHECK(bucket(minus_0700, TimeResolution::day, false) == "2026-10-10T00:00:00-07:00");

    const char* plus_0545 = "10/Oct/2026:13:55:36 +0545";
    CHECK(bucket(plus_0545, TimeResolution::hour, false) == "2026-10-10T13:00:00+05:45");
    CHECK(bucket(plus_0545, TimeResolution::day, false) == "2026-10-10T00:00:00+05:45");

    // The same buckets as epochs (computed with date -u): local midnight at +05:45 is
    // 2026-10-09 18:15 UTC; 13:00 at +03:30 is 09:30 UTC; midnight at -07:00 is 07:00 UTC.
    const Timestamp t0545 = *parse_timestamp(plus_0545, TimeSyntax::clf);
    CHECK(truncate_timestamp(t0545, TimeResolution::day, false).seconds == 1791569700);
    CHECK(truncate_timestamp(t0545, TimeResolution::minute, false).seconds == 1791619800);
    const Timestamp t0330 = *parse_timestamp(plus_0330, TimeSyntax::clf);
    CHECK(truncate_timestamp(t0330, TimeResolution::hour, false).seconds == 1791624600);
    CHECK(truncate_timestamp(t0330, TimeResolution::hour, false).offset_minutes == 210);
    const Timestamp t0700 = *parse_timestamp(minus_0700, TimeSyntax::clf);
    CHECK(truncate_timestamp(t0700, TimeResolution::day, false).seconds == 1791615600);
}

TEST_CASE("truncation in UTC crosses the day boundary") {
    // 01:30 at +03:30 on the 10th is 22:00 UTC on the 9th.
    const char* early = "10/Oct/2026:01:30:00 +0330";
    CHECK(bucket(early, TimeResolution::second, true) == "2026-10-09T22:00:00Z");
    CHECK(bucket(early, TimeResolution::day, true) == "2026-10-09T00:00:00Z");
    CHECK(bucket(early, TimeResolution::day, false) == "2026-10-10T00:00:00+03:30");
    const Timestamp time = *parse_timestamp(early, TimeSyntax::clf);
    const Timestamp day = truncate_timestamp(time, TimeResolution::day, true);
    CHECK(day.seconds == 1791504000);
    CHECK(day.offset_minutes == 0);
    // 20:00 at -07:00 on the 10th is 03:00 UTC on the 11th.
    CHECK(bucket("10/Oct/2026:20:00:00 -0700", TimeResolution::hour, true) ==
          "2026-10-11T03:00:00Z");
}

TEST_CASE("format_timestamp") {
    CHECK(formatted({1791640536, 0}, true) == "2026-10-10T13:55:36Z");
    CHECK(formatted({1791640536, 0}, false) == "2026-10-10T13:55:36+00:00");
    CHECK(formatted({1791633336, 120}, false) == "2026-10-10T13:55:36+02:00");
    CHECK(formatted({1791633336, 120}, true) == "2026-10-10T11:55:36Z");
    CHECK(formatted({1791665736, -420}, false) == "2026-10-10T13:55:36-07:00");
    CHECK(formatted({0, 0}, true) == "1970-01-01T00:00:00Z");
    CHECK(formatted({-3600, 0}, true) == "1969-12-31T23:00:00Z");
    CHECK(formatted({-86400, 0}, true) == "1969-12-31T00:00:00Z");
    CHECK(formatted({1709208000, 0}, true) == "2024-02-29T12:00:00Z");
    CHECK(formatted({253402300799, 0}, true) == "9999-12-31T23:59:59Z");
    // Out of range values are clamped to what four-digit years can print.
    CHECK(formatted({253402300800, 0}, true) == "9999-12-31T23:59:59Z");
    CHECK(formatted({INT64_MAX, 0}, true) == "9999-12-31T23:59:59Z");
    CHECK(formatted({INT64_MIN, 0}, true) == "0000-01-01T00:00:00Z");
    CHECK(
        formatted(truncate_timestamp({INT64_MIN, 600}, TimeResolution::day, false), false).size() ==
        25);
}
