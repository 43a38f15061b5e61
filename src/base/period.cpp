// Periods and time windows: period labels (day, ISO 8601 week, month) in the logged offset, and
// the --since / --until bounds as typed. Civil dates use Howard Hinnant's algorithms, like
// timestamp.cpp, because mktime/timegm/localtime read TZ and the locale.
#include "logsift/base/period.hpp"

#include <algorithm>
#include <limits>

namespace logsift {
namespace {

constexpr std::int64_t seconds_per_day = 86400;
// The years a four-digit label can show; format_timestamp clamps to the same range.
constexpr std::int64_t min_printable = -62167219200;  // 0000-01-01T00:00:00Z
constexpr std::int64_t max_printable = 253402300799;  // 9999-12-31T23:59:59Z

char* write_digits(unsigned value, int width, char* out) {
    for (int i = width - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return out + width;
}

// The ISO 8601 week-numbering year and week of a day: the week belongs to the year holding
// its Thursday, and week 1 is the one holding the year's first Thursday.
void iso_week(std::int64_t days, std::int64_t& year, unsigned& week) {
    // 1970-01-01 was a Thursday; ISO weekdays run Monday 1 .. Sunday 7.
    const std::int64_t weekday = days + 3 - floor_div(days + 3, 7) * 7 + 1;
    const std::int64_t thursday = days + 4 - weekday;
    year = civil_from_days(thursday).year;
    week = static_cast<unsigned>((thursday - days_from_civil(year, 1, 1)) / 7 + 1);
}

constexpr std::string_view syntax_error =
    "not an ISO 8601 time, a time of day (13:00) or a relative time (-2h, today)";

// The caller names the option and quotes the text: the reason alone says what is wrong.
Error bad_bound(std::string_view reason) {
    return usage_error({}, std::string(reason));
}

// A read position in the bound's text; readers advance it only on success.
struct Cursor {
    std::string_view text;
    std::size_t pos = 0;

    bool done() const { return pos == text.size(); }
    char peek() const { return done() ? '\0' : text[pos]; }
    bool take(char c) {
        if (peek() != c || done()) return false;
        ++pos;
        return true;
    }
    // Exactly width digits.
    bool digits(int width, int& value) {
        if (text.size() - pos < static_cast<std::size_t>(width)) return false;
        int result = 0;
        for (int i = 0; i < width; ++i) {
            const char c = text[pos + static_cast<std::size_t>(i)];
            if (c < '0' || c > '9') return false;
            result = result * 10 + (c - '0');
        }
        pos += static_cast<std::size_t>(width);
        value = result;
        return true;
    }
};

// "HH:MM" or "HH:MM:SS" as seconds after midnight.
Expected<std::int64_t> read_time_of_day(Cursor& in) {
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!in.digits(2, hour) || !in.take(':') || !in.digits(2, minute)) {
        return bad_bound(syntax_error);
    }
    if (in.take(':') && !in.digits(2, second)) return bad_bound(syntax_error);
    if (hour > 23) return bad_bound("hour out of range (00-23)");
    if (minute > 59) return bad_bound("minute out of range (00-59)");
    if (second > 59) return bad_bound("second out of range (00-59)");
    return std::int64_t{hour} * 3600 + minute * 60 + second;
}

// "Z", "+02:00" or "+0200" as minutes east; within +-18:00 like the log parser.
Expected<std::int32_t> read_offset(Cursor& in) {
    if (in.take('Z') || in.take('z')) return 0;
    int sign = 0;
    if (in.take('+')) {
        sign = 1;
    } else if (in.take('-')) {
        sign = -1;
    } else {
        return bad_bound(syntax_error);
    }
    int hours = 0;
    int minutes = 0;
    if (!in.digits(2, hours)) return bad_bound(syntax_error);
    in.take(':');
    if (!in.digits(2, minutes)) return bad_bound(syntax_error);
    if (minutes > 59 || hours * 60 + minutes > 18 * 60) {
        return bad_bound("UTC offset out of range (-18:00 to +18:00)");
    }
    return sign * (hours * 60 + minutes);
}

Expected<TimeBound> parse_iso(std::string_view text) {
    Cursor in{text};
    int year = 0;
    int month = 0;
    int day = 0;
    if (!in.digits(4, year) || !in.take('-') || !in.digits(2, month) || !in.take('-') ||
        !in.digits(2, day)) {
        return bad_bound(syntax_error);
    }
    if (month < 1 || month > 12) return bad_bound("month out of range (01-12)");
    if (day < 1 || static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month))) {
        return bad_bound("day out of range for its month");
    }
    std::int64_t seconds =
        days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) *
        seconds_per_day;
    if (in.done()) return TimeBound{TimeBound::Kind::instant, seconds};
    if (!in.take('T') && !in.take(' ')) return bad_bound(syntax_error);
    Expected<std::int64_t> time = read_time_of_day(in);
    if (!time) return std::move(time).error();
    seconds += *time;
    if (!in.done()) {
        Expected<std::int32_t> offset = read_offset(in);
        if (!offset) return std::move(offset).error();
        seconds -= std::int64_t{*offset} * 60;
    }
    if (!in.done()) return bad_bound(syntax_error);
    return TimeBound{TimeBound::Kind::instant, seconds};
}

Expected<TimeBound> parse_relative(std::string_view text, std::int64_t now_seconds) {
    // Nine digits at most: a billion weeks still fits in 64 bits with room to subtract.
    constexpr std::size_t max_digits = 9;
    const std::string_view number = text.substr(1, text.size() - 2);
    if (number.empty()) return bad_bound(syntax_error);
    for (char c : number) {
        if (c < '0' || c > '9') return bad_bound(syntax_error);
    }
    std::int64_t count = 0;
    if (number.size() <= max_digits) {
        for (char c : number)
            count = count * 10 + (c - '0');
    }
    std::int64_t unit = 0;
    switch (text.back()) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = seconds_per_day;
            break;
        case 'w':
            unit = 7 * seconds_per_day;
            break;
        default:
            return bad_bound(syntax_error);
    }
    if (count == 0 || number.size() > max_digits) {
        return bad_bound("relative time must be between -1 and -999999999 units");
    }
    const std::int64_t delta = count * unit;
    if (now_seconds < std::numeric_limits<std::int64_t>::min() + delta) {
        return bad_bound("relative time out of range");
    }
    return TimeBound{TimeBound::Kind::instant, now_seconds - delta};
}

}  // namespace

std::optional<Period> parse_period(std::string_view text) {
    if (text == "day") return Period::day;
    if (text == "week") return Period::week;
    if (text == "month") return Period::month;
    if (text == "all") return Period::all;
    return std::nullopt;
}

std::string_view period_name(Period period) {
    switch (period) {
        case Period::day:
            return "day";
        case Period::week:
            return "week";
        case Period::month:
            return "month";
        case Period::all:
            return "all";
    }
    return "day";
}

std::size_t format_period(Timestamp time, Period period, bool utc, char* out) {
    if (period == Period::all) {
        constexpr std::string_view all = "all";
        all.copy(out, all.size());
        return all.size();
    }
    // Clamped like format_timestamp so that every label has a four-digit year and fits 16 bytes.
    std::int64_t local = time.seconds;
    if (local < min_printable - seconds_per_day) local = min_printable - seconds_per_day;
    if (local > max_printable + seconds_per_day) local = max_printable + seconds_per_day;
    if (!utc) local += std::int64_t{time.offset_minutes} * 60;
    if (local < min_printable) local = min_printable;
    if (local > max_printable) local = max_printable;
    const std::int64_t days = floor_div(local, seconds_per_day);

    char* end = out;
    if (period == Period::week) {
        std::int64_t year = 0;
        unsigned week = 0;
        iso_week(days, year, week);
        // 0000-01-01 falls in week 52 of ISO year -1; show it as year 0 rather than a sign.
        if (year < 0) year = 0;
        end = write_digits(static_cast<unsigned>(year), 4, end);
        *end++ = '-';
        *end++ = 'W';
        end = write_digits(week, 2, end);
        return static_cast<std::size_t>(end - out);
    }
    const CivilDate date = civil_from_days(days);
    end = write_digits(static_cast<unsigned>(date.year), 4, end);
    *end++ = '-';
    end = write_digits(date.month, 2, end);
    if (period == Period::day) {
        *end++ = '-';
        end = write_digits(date.day, 2, end);
    }
    return static_cast<std::size_t>(end - out);
}

Expected<TimeBound> parse_time_bound(std::string_view text, std::int64_t now_seconds) {
    if (text == "now") return TimeBound{TimeBound::Kind::instant, now_seconds};
    if (text == "today" || text == "yesterday") {
        const std::int64_t days = floor_div(now_seconds, seconds_per_day) - (text == "yesterday");
        // Only a clock set near the start of int64 time gets here; refuse rather than wrap.
        if (days < std::numeric_limits<std::int64_t>::min() / seconds_per_day) {
            return bad_bound("relative time out of range");
        }
        return TimeBound{TimeBound::Kind::instant, days * seconds_per_day};
    }
    if (text.size() >= 2 && text[0] == '-') return parse_relative(text, now_seconds);
    // "13:00" has its colon third; an ISO date has a dash fifth.
    if (text.size() >= 3 && text[2] == ':') {
        Cursor in{text};
        Expected<std::int64_t> time = read_time_of_day(in);
        if (!time) return std::move(time).error();
        if (!in.done()) return bad_bound(syntax_error);
        return TimeBound{TimeBound::Kind::time_of_day, *time};
    }
    return parse_iso(text);
}

std::int64_t resolve_time_bound(const TimeBound& bound, Timestamp reference) {
    if (bound.kind == TimeBound::Kind::instant) return bound.seconds;
    // Clamped as format_timestamp does, so that an absurd reference cannot overflow.
    constexpr std::int64_t max_magnitude = std::int64_t{1} << 53;
    const std::int64_t seconds = std::clamp(reference.seconds, -max_magnitude, max_magnitude);
    const std::int64_t offset = std::int64_t{reference.offset_minutes} * 60;
    const std::int64_t local_midnight =
        floor_div(seconds + offset, seconds_per_day) * seconds_per_day;
    return local_midnight + bound.seconds - offset;
}

}  // namespace logsift
