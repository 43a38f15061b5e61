// Timestamps: parsing the time field in each of the syntaxes servers write, truncating it to
// a bucket, and printing the bucket as ISO 8601. Pure functions; no allocation, no locale.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace logsift {

// How the time field is written.
enum class TimeSyntax : std::uint8_t {
    clf,       // 10/Oct/2026:13:55:36 +0000 (the brackets are separators)
    iso8601,   // 2026-10-10T13:55:36+00:00 ($time_iso8601)
    msec,      // 1760104536.123 ($msec, %{msec_frac}t is not a time)
    sec,       // %{sec}t
    millis,    // %{msec}t
    micros,    // %{usec}t
    strftime,  // %{...}t with a strftime pattern (LogFormat::time_pattern)
};

struct Timestamp {
    std::int64_t seconds = 0;         // since the Unix epoch, UTC
    std::int32_t offset_minutes = 0;  // the offset the server logged (east positive); 0 if none
};

enum class TimeResolution : std::uint8_t { second, minute, hour, day };
constexpr std::size_t time_resolution_count = 4;
// "second", "minute", "hour", "day": the names options and JSON summaries use.
std::string_view time_resolution_name(TimeResolution resolution);
std::optional<TimeResolution> time_resolution_from_name(std::string_view name);

// Parses text written in syntax (pattern is the strftime pattern for TimeSyntax::strftime;
// it understands %d %m %Y %y %H %M %S %b %B %z %Z(UTC/GMT only) %T %F %D %e %j %s %p %I %a %A %%
// and literal text; whitespace matches one or more blanks). Returns nullopt when the text does
// not fit, or when a strftime pattern yields no date (year with month and day, or %j) and no %s.
// A time without an offset is taken as UTC.
std::optional<Timestamp> parse_timestamp(std::string_view text, TimeSyntax syntax,
                                         std::string_view pattern = {});

// Truncates to the start of its second/minute/hour/day in the logged offset (or in UTC when
// utc is set, which also sets the offset to 0).
Timestamp truncate_timestamp(Timestamp time, TimeResolution resolution, bool utc);

// Calendar arithmetic on the proleptic Gregorian calendar (Hinnant's algorithms), shared by
// everything that labels times, so that no code here depends on the C library's time zone.
struct CivilDate {
    std::int64_t year;
    unsigned month;  // 1-12
    unsigned day;    // 1-31
};
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);
CivilDate civil_from_days(std::int64_t days);
unsigned days_in_month(std::int64_t year, unsigned month);
// Division rounding toward negative infinity (times before 1970 stay on the right day).
std::int64_t floor_div(std::int64_t value, std::int64_t divisor);

// Writes "2026-10-10T13:00:00+02:00" (or "...Z" when utc) into out; returns the length used.
// out must hold at least 32 bytes.
std::size_t format_timestamp(Timestamp time, bool utc, char* out);

}  // namespace logsift
