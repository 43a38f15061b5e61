// Timestamps: the time field parsed in each syntax servers write (CLF, ISO 8601, epochs and a
// small strftime interpreter), truncated to a bucket and printed as ISO 8601. Civil dates are
// converted with Howard Hinnant's algorithms rather than mktime/timegm, which read TZ and locale.
#include "logsift/base/timestamp.hpp"

#include "logsift/base/ascii.hpp"

#include <cstring>

namespace logsift {
namespace {

using ascii::is_digit;

bool is_leap(std::int64_t year) {
    return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr std::int64_t seconds_per_day = 86400;

constexpr std::string_view month_names[] = {"january",   "february", "march",    "april",
                                            "may",       "june",     "july",     "august",
                                            "september", "october",  "november", "december"};
constexpr std::string_view weekday_names[] = {"sunday",   "monday", "tuesday", "wednesday",
                                              "thursday", "friday", "saturday"};

// A read position in the text; every reader advances it only on success.
struct Cursor {
    std::string_view text;
    std::size_t pos = 0;

    bool done() const { return pos == text.size(); }
    char peek() const { return pos < text.size() ? text[pos] : '\0'; }
    bool take(char c) {
        if (peek() != c || done()) return false;
        ++pos;
        return true;
    }

    // Between min_digits and max_digits decimal digits.
    bool number(int min_digits, int max_digits, int& out) {
        int value = 0;
        int count = 0;
        while (count < max_digits && pos + count < text.size() && is_digit(text[pos + count])) {
            value = value * 10 + (text[pos + count] - '0');
            ++count;
        }
        if (count < min_digits) return false;
        pos += static_cast<std::size_t>(count);
        out = value;
        return true;
    }

    // One of names, full or as its three-letter abbreviation, in any case (servers write
    // "Oct", but being lenient costs nothing). Returns the index.
    template <std::size_t N>
    bool name(const std::string_view (&names)[N], int& out) {
        for (std::size_t i = 0; i < N; ++i) {
            // Both forms start with the same letter: most names are ruled out by it alone.
            if (ascii::lower(peek()) != names[i][0]) continue;
            for (std::size_t length : {names[i].size(), std::size_t{3}}) {
                if (matches(names[i].substr(0, length))) {
                    pos += length;
                    out = static_cast<int>(i);
                    return true;
                }
            }
        }
        return false;
    }

    bool matches(std::string_view lower) const {
        if (text.size() - pos < lower.size()) return false;
        for (std::size_t i = 0; i < lower.size(); ++i) {
            if (ascii::lower(text[pos + i]) != lower[i]) return false;
        }
        return true;
    }

    // "+hhmm" or "+hh:mm" (and "Z" when allow_z), east positive, within +-18:00.
    bool offset(bool allow_z, int& minutes) {
        if (allow_z && (peek() == 'Z' || peek() == 'z') && !done()) {
            ++pos;
            minutes = 0;
            return true;
        }
        Cursor copy = *this;
        int sign = 0;
        if (copy.take('+')) {
            sign = 1;
        } else if (copy.take('-')) {
            sign = -1;
        } else {
            return false;
        }
        int hours = 0;
        int mins = 0;
        if (!copy.number(2, 2, hours)) return false;
        if (copy.take(':')) {
            if (!copy.number(2, 2, mins)) return false;
        } else if (!copy.number(2, 2, mins)) {
            return false;
        }
        if (mins > 59 || hours * 60 + mins > 18 * 60) return false;
        *this = copy;
        minutes = sign * (hours * 60 + mins);
        return true;
    }
};

// The broken-down fields a parse fills in, checked and converted once at the end.
struct Parts {
    int year = -1;
    int month = -1;  // 1-12
    int day = -1;
    int day_of_year = -1;  // 1-366, from %j
    int hour = 0;
    int minute = 0;
    int second = 0;
    int hour12 = -1;  // from %I
    int pm = -1;      // from %p: 0 am, 1 pm
    int offset = 0;
    bool have_epoch = false;
    std::int64_t epoch = 0;
};

std::optional<Timestamp> finish(Parts parts) {
    if (parts.have_epoch) return Timestamp{parts.epoch, parts.offset};
    if (parts.hour12 >= 0) {
        if (parts.hour12 < 1 || parts.hour12 > 12) return std::nullopt;
        parts.hour = parts.hour12 % 12 + (parts.pm == 1 ? 12 : 0);
    }
    if (parts.year < 0) return std::nullopt;
    if (parts.month < 0 && parts.day < 0 && parts.day_of_year > 0) {
        int remaining = parts.day_of_year;
        if (remaining > (is_leap(parts.year) ? 366 : 365)) return std::nullopt;
        parts.month = 1;
        while (remaining > static_cast<int>(days_in_month(parts.year, parts.month))) {
            remaining -= static_cast<int>(days_in_month(parts.year, parts.month));
            ++parts.month;
        }
        parts.day = remaining;
    }
    if (parts.month < 1 || parts.month > 12 || parts.day < 1 ||
        parts.day >
            static_cast<int>(days_in_month(parts.year, static_cast<unsigned>(parts.month))) ||
        parts.hour > 23 || parts.minute > 59 || parts.second > 60) {
        return std::nullopt;
    }
    if (parts.second == 60) parts.second = 59;  // a leap second stays in its minute
    std::int64_t days = days_from_civil(parts.year, static_cast<unsigned>(parts.month),
                                        static_cast<unsigned>(parts.day));
    std::int64_t local =
        days * seconds_per_day + parts.hour * 3600 + parts.minute * 60 + parts.second;
    return Timestamp{local - std::int64_t{parts.offset} * 60, parts.offset};
}

// "10/Oct/2026:13:55:36 +0200"; the offset may be missing (then UTC).
std::optional<Timestamp> parse_clf(Cursor in) {
    Parts parts;
    int month = 0;
    if (!in.number(2, 2, parts.day) || !in.take('/') || !in.name(month_names, month) ||
        !in.take('/') || !in.number(4, 4, parts.year) || !in.take(':') ||
        !in.number(2, 2, parts.hour) || !in.take(':') || !in.number(2, 2, parts.minute) ||
        !in.take(':') || !in.number(2, 2, parts.second)) {
        return std::nullopt;
    }
    parts.month = month + 1;
    if (in.take(' ') && !in.offset(false, parts.offset)) return std::nullopt;
    if (!in.done()) return std::nullopt;
    return finish(parts);
}

// "2026-10-10T13:55:36+02:00", also with "Z", "+0200", a fraction, or no offset (UTC).
std::optional<Timestamp> parse_iso8601(Cursor in) {
    Parts parts;
    if (!in.number(4, 4, parts.year) || !in.take('-') || !in.number(2, 2, parts.month) ||
        !in.take('-') || !in.number(2, 2, parts.day) || !(in.take('T') || in.take(' ')) ||
        !in.number(2, 2, parts.hour) || !in.take(':') || !in.number(2, 2, parts.minute) ||
        !in.take(':') || !in.number(2, 2, parts.second)) {
        return std::nullopt;
    }
    if (in.take('.') || in.take(',')) {
        int ignored = 0;
        if (!in.number(1, 9, ignored)) return std::nullopt;
        while (is_digit(in.peek()) && !in.done())
            ++in.pos;
    }
    if (!in.done() && !in.offset(true, parts.offset)) return std::nullopt;
    if (!in.done()) return std::nullopt;
    return finish(parts);
}

// An unsigned integer of at most 18 digits (so it fits in int64 with room to spare).
bool epoch_digits(Cursor& in, std::int64_t& out) {
    std::int64_t value = 0;
    int count = 0;
    while (!in.done() && is_digit(in.peek())) {
        if (++count > 18) return false;
        value = value * 10 + (in.peek() - '0');
        ++in.pos;
    }
    out = value;
    return count > 0;
}

std::optional<Timestamp> parse_epoch(Cursor in, std::int64_t units_per_second, bool fraction) {
    std::int64_t value = 0;
    if (!epoch_digits(in, value)) return std::nullopt;
    if (fraction && in.take('.')) {
        std::int64_t ignored = 0;
        if (!epoch_digits(in, ignored)) return std::nullopt;
    }
    if (!in.done()) return std::nullopt;
    return Timestamp{value / units_per_second, 0};
}

// A small strptime: walks pattern and text together. Conversions not listed in the header
// make the pattern (and so every line) fail rather than guess.
bool run_pattern(std::string_view pattern, Cursor& in, Parts& parts, int depth) {
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        char p = pattern[i];
        if (ascii::is_blank(p)) {
            while (i + 1 < pattern.size() && ascii::is_blank(pattern[i + 1]))
                ++i;
            if (!ascii::is_blank(in.peek()) || in.done()) return false;
            while (!in.done() && ascii::is_blank(in.peek()))
                ++in.pos;
            continue;
        }
        if (p != '%') {
            if (!in.take(p)) return false;
            continue;
        }
        if (++i == pattern.size()) return false;
        int ignored = 0;
        bool ok = true;
        switch (pattern[i]) {
            case 'd':
                ok = in.number(1, 2, parts.day);
                break;
            case 'e':
                if (ascii::is_blank(in.peek()) && !in.done()) ++in.pos;
                ok = in.number(1, 2, parts.day);
                break;
            case 'm':
                ok = in.number(1, 2, parts.month);
                break;
            case 'Y':
                ok = in.number(4, 4, parts.year);
                break;
            case 'y':
                // POSIX: 69-99 are 1969-1999, 00-68 are 2000-2068.
                ok = in.number(2, 2, parts.year);
                if (ok) parts.year += parts.year >= 69 ? 1900 : 2000;
                break;
            case 'H':
                ok = in.number(1, 2, parts.hour);
                break;
            case 'I':
                ok = in.number(1, 2, parts.hour12);
                break;
            case 'M':
                ok = in.number(1, 2, parts.minute);
                break;
            case 'S':
                ok = in.number(1, 2, parts.second);
                break;
            case 'j':
                ok = in.number(1, 3, parts.day_of_year) && parts.day_of_year >= 1;
                break;
            case 'b':
            case 'B':
            case 'h':
                ok = in.name(month_names, parts.month);
                ++parts.month;
                break;
            case 'a':
            case 'A':
                ok = in.name(weekday_names, ignored);  // implied by the date; not checked
                break;
            case 'p':
                if (in.matches("am") || in.matches("pm")) {
                    parts.pm = ascii::lower(in.peek()) == 'p' ? 1 : 0;
                    in.pos += 2;
                } else {
                    ok = false;
                }
                break;
            case 'z':
                ok = in.offset(false, parts.offset);
                break;
            case 'Z':
                // Zone names are ambiguous ("CST"); only the two that mean offset 0 are read.
                ok = in.matches("utc") || in.matches("gmt");
                if (ok) in.pos += 3;
                break;
            case 's':
                ok = epoch_digits(in, parts.epoch);
                parts.have_epoch = ok;
                break;
            case 'T':
                ok = depth == 0 && run_pattern("%H:%M:%S", in, parts, 1);
                break;
            case 'F':
                ok = depth == 0 && run_pattern("%Y-%m-%d", in, parts, 1);
                break;
            case 'D':
                ok = depth == 0 && run_pattern("%m/%d/%y", in, parts, 1);
                break;
            case '%':
                ok = in.take('%');
                break;
            default:
                ok = false;
        }
        if (!ok) return false;
    }
    return true;
}

std::optional<Timestamp> parse_strftime(Cursor in, std::string_view pattern) {
    Parts parts;
    if (!run_pattern(pattern, in, parts, 0) || !in.done()) return std::nullopt;
    return finish(parts);
}

// Years 0000-9999 are all ISO 8601 can print in its basic form; values outside are clamped.
constexpr std::int64_t min_printable = -62167219200;  // 0000-01-01T00:00:00Z
constexpr std::int64_t max_printable = 253402300799;  // 9999-12-31T23:59:59Z

// Keeps arithmetic on absurd values (an 18-digit %s epoch) clear of overflow.
constexpr std::int64_t max_magnitude = std::int64_t{1} << 53;

char* write_digits(unsigned value, int width, char* out) {
    for (int i = width - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return out + width;
}

}  // namespace

std::string_view time_resolution_name(TimeResolution resolution) {
    constexpr std::string_view names[time_resolution_count] = {"second", "minute", "hour", "day"};
    return names[static_cast<std::size_t>(resolution)];
}

std::optional<TimeResolution> time_resolution_from_name(std::string_view name) {
    for (std::size_t i = 0; i < time_resolution_count; ++i) {
        if (time_resolution_name(TimeResolution(i)) == name) return TimeResolution(i);
    }
    return std::nullopt;
}

std::optional<Timestamp> parse_timestamp(std::string_view text, TimeSyntax syntax,
                                         std::string_view pattern) {
    switch (syntax) {
        case TimeSyntax::clf:
            // Brackets are separators in the format, but a caller may pass "[...]" as is.
            if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
                text = text.substr(1, text.size() - 2);
            }
            return parse_clf(Cursor{text});
        case TimeSyntax::iso8601:
            return parse_iso8601(Cursor{text});
        case TimeSyntax::msec:
            return parse_epoch(Cursor{text}, 1, true);
        case TimeSyntax::sec:
            return parse_epoch(Cursor{text}, 1, false);
        case TimeSyntax::millis:
            return parse_epoch(Cursor{text}, 1000, false);
        case TimeSyntax::micros:
            return parse_epoch(Cursor{text}, 1000000, false);
        case TimeSyntax::strftime:
            return parse_strftime(Cursor{text}, pattern);
    }
    return std::nullopt;
}

Timestamp truncate_timestamp(Timestamp time, TimeResolution resolution, bool utc) {
    if (utc) time.offset_minutes = 0;
    if (time.seconds > max_magnitude) time.seconds = max_magnitude;
    if (time.seconds < -max_magnitude) time.seconds = -max_magnitude;
    const std::int64_t offset = std::int64_t{time.offset_minutes} * 60;
    std::int64_t unit = 1;
    switch (resolution) {
        case TimeResolution::second:
            unit = 1;
            break;
        case TimeResolution::minute:
            unit = 60;
            break;
        case TimeResolution::hour:
            unit = 3600;
            break;
        case TimeResolution::day:
            unit = seconds_per_day;
            break;
    }
    // Truncate the wall-clock time the server saw, so a +05:45 day starts at its own midnight.
    const std::int64_t local = time.seconds + offset;
    time.seconds = floor_div(local, unit) * unit - offset;
    return time;
}

std::size_t format_timestamp(Timestamp time, bool utc, char* out) {
    // Offsets beyond +-99:59 cannot be printed in two digits; parse never makes them.
    std::int32_t offset = utc ? 0 : time.offset_minutes;
    if (offset > 99 * 60 + 59) offset = 99 * 60 + 59;
    if (offset < -(99 * 60 + 59)) offset = -(99 * 60 + 59);
    std::int64_t local = time.seconds;
    if (local > max_magnitude) local = max_magnitude;
    if (local < -max_magnitude) local = -max_magnitude;
    local += std::int64_t{offset} * 60;
    if (local < min_printable) local = min_printable;
    if (local > max_printable) local = max_printable;

    const std::int64_t days = floor_div(local, seconds_per_day);
    const auto second_of_day = static_cast<unsigned>(local - days * seconds_per_day);
    const CivilDate date = civil_from_days(days);
    char* end = out;
    end = write_digits(static_cast<unsigned>(date.year), 4, end);
    *end++ = '-';
    end = write_digits(date.month, 2, end);
    *end++ = '-';
    end = write_digits(date.day, 2, end);
    *end++ = 'T';
    end = write_digits(second_of_day / 3600, 2, end);
    *end++ = ':';
    end = write_digits(second_of_day / 60 % 60, 2, end);
    *end++ = ':';
    end = write_digits(second_of_day % 60, 2, end);
    if (utc) {
        *end++ = 'Z';
    } else {
        *end++ = offset < 0 ? '-' : '+';
        const auto magnitude = static_cast<unsigned>(offset < 0 ? -offset : offset);
        end = write_digits(magnitude / 60, 2, end);
        *end++ = ':';
        end = write_digits(magnitude % 60, 2, end);
    }
    return static_cast<std::size_t>(end - out);
}

// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant, "chrono-Compatible Low-Level
// Date Algorithms", days_from_civil).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    year -= month <= 2;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

// The inverse (Hinnant, civil_from_days).
CivilDate civil_from_days(std::int64_t days) {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto day_of_era = static_cast<unsigned>(days - era * 146097);
    const unsigned year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const unsigned day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const unsigned mp = (5 * day_of_year + 2) / 153;
    const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2), month, day};
}

unsigned days_in_month(std::int64_t year, unsigned month) {
    constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

std::int64_t floor_div(std::int64_t value, std::int64_t divisor) {
    std::int64_t quotient = value / divisor;
    return (value % divisor != 0 && value < 0) ? quotient - 1 : quotient;
}

}  // namespace logsift
