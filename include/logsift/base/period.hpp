// Periods and time windows: which day, ISO week or month a record belongs to, and the
// --since / --until bounds an operator types (ISO 8601, a time of day, or relative).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "logsift/base/error.hpp"
#include "logsift/base/timestamp.hpp"

namespace logsift {

enum class Period : std::uint8_t { day, week, month, all };

std::optional<Period> parse_period(std::string_view text);  // "day", "week", "month", "all"
std::string_view period_name(Period period);

// The label of the period holding time, in its logged offset (or UTC when utc):
// "2026-10-08", "2026-W41" (ISO 8601 week-numbering year and week), "2026-10", "all".
// out must hold at least 16 bytes; returns the length.
std::size_t format_period(Timestamp time, Period period, bool utc, char* out);

// One end of a time window as typed.
struct TimeBound {
    enum class Kind : std::uint8_t {
        instant,      // a fixed instant: seconds since the epoch (UTC)
        time_of_day,  // seconds after local midnight, on the day of the log's last record
    };
    Kind kind = Kind::instant;
    std::int64_t seconds = 0;
};

// Parses a bound:
// - ISO 8601: "2026-10-08", "2026-10-08T13:00", "2026-10-08T13:00:00", "2026-10-08 13:00",
//   with an optional offset ("Z", "+02:00", "+0200"); without one the time is UTC.
//   A date alone means its midnight.
// - a time of day: "13:00", "13:00:30" -> Kind::time_of_day
// - relative to now (now_seconds, UTC): "-2h", "-90m", "-45s", "-7d", "-1w" (now minus that),
//   "now", "today" (midnight UTC today), "yesterday" (midnight UTC yesterday).
// A bad bound is a usage error with a short reason that echoes none of the text.
Expected<TimeBound> parse_time_bound(std::string_view text, std::int64_t now_seconds);

// Turns a time-of-day bound into an instant on the day of reference (the log's last record),
// in reference's offset. Instants are returned unchanged.
std::int64_t resolve_time_bound(const TimeBound& bound, Timestamp reference);

}  // namespace logsift
