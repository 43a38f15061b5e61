// Unit tests for periods and time bounds: labels in the logged offset (ISO weeks included) and
// every --since / --until form. Expected epochs and week labels were computed with
// `date -u -d '...' +%s` and `date -d ... +%G-W%V`, not by this code.
#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "logsift/base/period.hpp"

using namespace logsift;

namespace {

std::string label(std::int64_t seconds, std::int32_t offset_minutes, Period period,
                  bool utc = false) {
    char out[16];
    return std::string(out, format_period(Timestamp{seconds, offset_minutes}, period, utc, out));
}

// "instant N", "time_of_day N" or "error: reason", so a failed check shows everything.
std::string bound(std::string_view text, std::int64_t now = 1791464400) {
    Expected<TimeBound> result = parse_time_bound(text, now);
    if (!result) return "error: " + result.error().reason;
    const char* kind = result->kind == TimeBound::Kind::instant ? "instant " : "time_of_day ";
    return kind + std::to_string(result->seconds);
}

const std::string syntax_error =
    "error: not an ISO 8601 time, a time of day (13:00) or a relative time (-2h, today)";

}  // namespace

TEST_CASE("period names round trip") {
    for (Period period : {Period::day, Period::week, Period::month, Period::all}) {
        CHECK(parse_period(period_name(period)) == period);
    }
    CHECK_FALSE(parse_period("year"));
    CHECK_FALSE(parse_period("Day"));
    CHECK_FALSE(parse_period(""));
}

TEST_CASE("period labels") {
    // 2026-10-08T13:00:00Z
    CHECK(label(1791464400, 0, Period::day) == "2026-10-08");
    CHECK(label(1791464400, 0, Period::week) == "2026-W41");
    CHECK(label(1791464400, 0, Period::month) == "2026-10");
    CHECK(label(1791464400, 0, Period::all) == "all");
    CHECK(label(1791464400, 120, Period::all, true) == "all");
    CHECK(label(0, 0, Period::day) == "1970-01-01");
    CHECK(label(-3600, 0, Period::day) == "1969-12-31");  // floor, not truncation
}

TEST_CASE("ISO week boundaries") {
    CHECK(label(1767268800, 0, Period::week) == "2026-W01");  // 2026-01-01, a Thursday
    CHECK(label(1798804800, 0, Period::week) == "2026-W53");  // 2027-01-01, a Friday
    CHECK(label(1735516800, 0, Period::week) == "2025-W01");  // 2024-12-30, a Monday
    CHECK(label(1735516799, 0, Period::week) == "2024-W52");  // a second earlier, Sunday
    CHECK(label(1799020799, 0, Period::week) == "2026-W53");  // 2027-01-03 23:59:59
    CHECK(label(1799020800, 0, Period::week) == "2027-W01");  // 2027-01-04 00:00
    CHECK(label(1766923200, 0, Period::week) == "2025-W52");  // 2025-12-28
    CHECK(label(1609416000, 0, Period::week) == "2020-W53");  // 2020-12-31
    CHECK(label(1609675200, 0, Period::week) == "2020-W53");  // 2021-01-03
    CHECK(label(1609718400, 0, Period::week) == "2021-W01");  // 2021-01-04
    // Week changes at local Monday midnight: 2026-10-11T22:30Z is Monday 00:30 in +0200.
    CHECK(label(1791757800, 0, Period::week) == "2026-W41");
    CHECK(label(1791757800, 120, Period::week) == "2026-W42");
    CHECK(label(1791757800, 120, Period::week, true) == "2026-W41");
    // 2024-12-29T23:59:59Z is already Monday 2024-12-30 in +0200.
    CHECK(label(1735516799, 120, Period::week) == "2025-W01");
}

TEST_CASE("day and month labels around midnight in the logged offset") {
    // 2026-10-08T20:29:59Z / 20:30:00Z: midnight of the 9th in +0330.
    CHECK(label(1791491399, 210, Period::day) == "2026-10-08");
    CHECK(label(1791491400, 210, Period::day) == "2026-10-09");
    CHECK(label(1791491400, 210, Period::day, true) == "2026-10-08");
    // 2026-10-09T06:59:59Z / 07:00:00Z: midnight of the 9th in -0700.
    CHECK(label(1791529199, -420, Period::day) == "2026-10-08");
    CHECK(label(1791529200, -420, Period::day) == "2026-10-09");
    // 2026-10-07T22:00Z: already the 8th in +0330, still the 7th in -0700.
    CHECK(label(1791410400, 210, Period::day) == "2026-10-08");
    CHECK(label(1791410400, -420, Period::day) == "2026-10-07");
    // 2026-09-30T21:00Z is October in +0330; 2026-10-31T23:30Z is November there.
    CHECK(label(1790802000, 210, Period::month) == "2026-10");
    CHECK(label(1790802000, -420, Period::month) == "2026-09");
    CHECK(label(1793489400, 210, Period::month) == "2026-11");
    CHECK(label(1793489400, -420, Period::month) == "2026-10");
    CHECK(label(1793489400, 210, Period::month, true) == "2026-10");
    // New year: 2027-01-01T00:00Z is still 2026 in -0700.
    CHECK(label(1798761600, -420, Period::month) == "2026-12");
    CHECK(label(1798761600, -420, Period::day) == "2026-12-31");
    CHECK(label(1798761600, 0, Period::month) == "2027-01");
    CHECK(label(1798758000, 210, Period::day) == "2027-01-01");  // 2026-12-31T23:00Z
}

TEST_CASE("labels stay four-digit years for absurd times") {
    CHECK(label(std::int64_t{1} << 62, 0, Period::day) == "9999-12-31");
    CHECK(label(-(std::int64_t{1} << 62), 0, Period::month) == "0000-01");
    CHECK(label(std::int64_t{1} << 62, 0, Period::week).size() == 8);
    CHECK(label(-(std::int64_t{1} << 62), 0, Period::week).size() == 8);
}

TEST_CASE("ISO 8601 bounds") {
    CHECK(bound("2026-10-08") == "instant 1791417600");
    CHECK(bound("2026-10-08T13:00") == "instant 1791464400");
    CHECK(bound("2026-10-08 13:00") == "instant 1791464400");
    CHECK(bound("2026-10-08T13:00:30") == "instant 1791464430");
    CHECK(bound("2026-10-08T13:00Z") == "instant 1791464400");
    CHECK(bound("2026-10-08T13:00:00Z") == "instant 1791464400");
    CHECK(bound("2026-10-08T13:00+02:00") == "instant 1791457200");
    CHECK(bound("2026-10-08T13:00+0200") == "instant 1791457200");
    CHECK(bound("2026-10-08 13:00:00-07:00") == "instant 1791489600");
    CHECK(bound("2026-10-08T13:00+05:30") == "instant 1791444600");
    CHECK(bound("2024-02-29") == "instant 1709164800");
    CHECK(bound("2000-02-29T23:59:59") == "instant 951868799");
    CHECK(bound("1969-12-31T23:00") == "instant -3600");
}

TEST_CASE("invalid dates and times are rejected with a reason") {
    CHECK(bound("2026-13-01") == "error: month out of range (01-12)");
    CHECK(bound("2026-00-01") == "error: month out of range (01-12)");
    CHECK(bound("2026-02-29") == "error: day out of range for its month");
    CHECK(bound("1900-02-29") == "error: day out of range for its month");
    CHECK(bound("2026-04-31") == "error: day out of range for its month");
    CHECK(bound("2026-10-00") == "error: day out of range for its month");
    CHECK(bound("2026-10-08T24:00") == "error: hour out of range (00-23)");
    CHECK(bound("2026-10-08T13:60") == "error: minute out of range (00-59)");
    CHECK(bound("2026-10-08T13:00:60") == "error: second out of range (00-59)");
    CHECK(bound("2026-10-08T13:00+19:00") == "error: UTC offset out of range (-18:00 to +18:00)");
    CHECK(bound("2026-10-08T13:00+02:60") == "error: UTC offset out of range (-18:00 to +18:00)");
    CHECK(bound("25:00") == "error: hour out of range (00-23)");
    CHECK(bound("13:61") == "error: minute out of range (00-59)");
}

TEST_CASE("malformed bounds are syntax errors") {
    for (const char* text : {"",
                             "x",
                             "2026",
                             "2026-10",
                             "2026-1-08",
                             "2026-10-8",
                             "26-10-08",
                             "2026/10/08",
                             "2026-10-08T",
                             "2026-10-08T13",
                             "2026-10-08T13:0",
                             "2026-10-08T13:00:",
                             "2026-10-08X13:00",
                             "2026-10-08T13:00+2",
                             "2026-10-08T13:00+02:0",
                             "2026-10-08T13:00 ",
                             "2026-10-08T13:00:00.5",
                             "2026-10-08Z",
                             " 2026-10-08",
                             "13",
                             "1:00",
                             "13:00Z",
                             "13:00:00:00",
                             "13:0",
                             "-",
                             "-h",
                             "-2",
                             "-2y",
                             "-2hh",
                             "-h2",
                             "-+2h",
                             "--2h",
                             "-2 h",
                             "Now",
                             "tomorrow"}) {
        CAPTURE(text);
        CHECK(bound(text) == syntax_error);
    }
}

TEST_CASE("times of day") {
    CHECK(bound("13:00") == "time_of_day 46800");
    CHECK(bound("13:00:30") == "time_of_day 46830");
    CHECK(bound("00:00") == "time_of_day 0");
    CHECK(bound("23:59:59") == "time_of_day 86399");
}

TEST_CASE("relative bounds") {
    // now = 2026-10-08T13:00:00Z
    CHECK(bound("now") == "instant 1791464400");
    CHECK(bound("-2h") == "instant 1791457200");
    CHECK(bound("-90m") == "instant 1791459000");
    CHECK(bound("-45s") == "instant 1791464355");
    CHECK(bound("-7d") == "instant 1790859600");
    CHECK(bound("-1w") == "instant 1790859600");
    CHECK(bound("today") == "instant 1791417600");
    CHECK(bound("yesterday") == "instant 1791331200");
    // Midnight itself is today; before the epoch still floors.
    CHECK(bound("today", 1791417600) == "instant 1791417600");
    CHECK(bound("today", 1791417599) == "instant 1791331200");
    CHECK(bound("today", -1) == "instant -86400");
    CHECK(bound("-999999999w") == "instant " + std::to_string(1791464400 - 999999999LL * 604800));
}

TEST_CASE("relative bounds are bounded") {
    const std::string range = "error: relative time must be between -1 and -999999999 units";
    CHECK(bound("-0h") == range);
    CHECK(bound("-000s") == range);
    CHECK(bound("-1000000000s") == range);
    CHECK(bound("-99999999999999999999999w") == range);
    constexpr std::int64_t earliest = std::numeric_limits<std::int64_t>::min();
    CHECK(bound("-1w", earliest + 10) == "error: relative time out of range");
    CHECK(bound("today", earliest) == "error: relative time out of range");
    CHECK(bound("yesterday", earliest + 86400) == "error: relative time out of range");
    CHECK(bound("now", earliest) == "instant " + std::to_string(earliest));
}

TEST_CASE("resolving a time of day against the log's last record") {
    const TimeBound one_pm = *parse_time_bound("13:00", 0);
    // Last record 2026-10-08T23:30+02:00 (21:30Z): 13:00 that day in +0200.
    CHECK(resolve_time_bound(one_pm, Timestamp{1791495000, 120}) == 1791457200);
    // Last record 2026-10-09T00:30+02:00 (still the 8th in UTC): the local day is the 9th.
    CHECK(resolve_time_bound(one_pm, Timestamp{1791498600, 120}) == 1791543600);
    // Local midnight in +0200 is 22:00Z the day before.
    const TimeBound midnight = *parse_time_bound("00:00", 0);
    CHECK(resolve_time_bound(midnight, Timestamp{1791495000, 120}) == 1791410400);
    // Last record 2026-10-08T02:00Z is the evening of the 7th in -0700.
    CHECK(resolve_time_bound(one_pm, Timestamp{1791424800, -420}) == 1791403200);
    // In UTC.
    CHECK(resolve_time_bound(one_pm, Timestamp{1791495000, 0}) == 1791464400);
    // An absurd reference does not overflow.
    CHECK(resolve_time_bound(one_pm, Timestamp{std::numeric_limits<std::int64_t>::max(), 120}) > 0);
    // Instants pass through.
    const TimeBound instant{TimeBound::Kind::instant, 12345};
    CHECK(resolve_time_bound(instant, Timestamp{1791495000, 120}) == 12345);
}
