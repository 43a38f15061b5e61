// Format: compiles nginx log_format and Apache LogFormat strings (bare or pasted as whole config
// directives) into literal and typed-field steps, and scans lines with them. The presets of
// patterns/formats and their detection are in presets.cpp.
#include "logsift/format/format.hpp"

#include "logsift/base/patterns.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace logsift {

std::string_view field_kind_name(FieldKind kind) {
    static constexpr std::array<std::string_view, field_kind_count> names = {
        "client",        "remote_user", "time",          "request",       "method",  "target",
        "path",          "query",       "protocol",      "status",        "bytes",   "referrer",
        "user_agent",    "vhost",       "port",          "forwarded_for", "network", "agent",
        "agent_version", "agent_class", "referrer_host", "country",       "opaque",
    };
    return names[static_cast<std::size_t>(kind)];
}

namespace {

using Step = LogFormat::Step;
using StepType = LogFormat::StepType;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_name_char(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

// A compile problem; at is a byte offset into the text the user gave.
struct Problem {
    std::string message;
    std::size_t at = 0;
};

// The format string once the configuration's own quoting is undone. Each byte remembers where
// it came from so that errors point into what the user wrote, not into our rewrite of it.
struct Unquoted {
    std::string body;
    std::vector<std::size_t> origin;
    std::size_t end = 0;  // offset in the original just past the format string

    void add(char c, std::size_t at) {
        body += c;
        origin.push_back(at);
    }
    std::size_t where(std::size_t i) const { return i < origin.size() ? origin[i] : end; }
};

// The escapes mod_log_config and Apache's config reader undo: \" and \\ (so configs can quote
// the quotes), \t and \n. Anything else keeps its backslash, as Apache does.
void unescape_apache(std::string_view text, std::size_t begin, std::size_t end, Unquoted& out) {
    for (std::size_t i = begin; i < end; ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < end) {
            char next = text[i + 1];
            char plain = next == '"'    ? '"'
                         : next == '\\' ? '\\'
                         : next == 't'  ? '\t'
                         : next == 'n'  ? '\n'
                                        : '\0';
            if (plain != '\0') {
                out.add(plain, i);
                ++i;
                continue;
            }
        }
        out.add(c, i);
    }
    out.end = end;
}

// `LogFormat "..." [nickname]`: the format is the first argument, quoted or a single word.
std::variant<Unquoted, Problem> unquote_apache_directive(std::string_view text, std::size_t pos) {
    while (pos < text.size() && is_space(text[pos]))
        ++pos;
    if (pos >= text.size()) return Problem{"LogFormat needs a format string", pos};
    Unquoted out;
    if (text[pos] != '"') {
        std::size_t end = pos;
        while (end < text.size() && !is_space(text[end]))
            ++end;
        unescape_apache(text, pos, end, out);
        return out;
    }
    std::size_t close = pos + 1;
    while (close < text.size() && text[close] != '"')
        close += text[close] == '\\' ? 2 : 1;
    if (close >= text.size()) return Problem{"unterminated quoted string", pos};
    unescape_apache(text, pos + 1, close, out);
    std::string_view rest = trim(text.substr(close + 1));
    for (char c : rest) {
        if (is_space(c)) return Problem{"unexpected text after the LogFormat nickname", close + 1};
    }
    return out;
}

// `log_format NAME [escape=...] 'part' "part" ...;`: nginx concatenates every argument after the
// name, so the parts are joined with nothing between them.
std::variant<Unquoted, Problem> unquote_nginx_directive(std::string_view text, std::size_t pos) {
    auto skip_space = [&] {
        while (pos < text.size() && is_space(text[pos]))
            ++pos;
    };
    auto word_end = [&](std::size_t from) {
        while (from < text.size() && !is_space(text[from]) && text[from] != ';' &&
               text[from] != '\'' && text[from] != '"') {
            ++from;
        }
        return from;
    };
    skip_space();
    std::size_t name_end = word_end(pos);
    if (name_end == pos) return Problem{"log_format needs a name before the format", pos};
    pos = name_end;
    skip_space();
    if (text.substr(pos).starts_with("escape=")) {
        std::size_t end = word_end(pos);
        std::string_view value = text.substr(pos + 7, end - pos - 7);
        if (value != "default" && value != "json" && value != "none") {
            return Problem{"escape must be default, json or none", pos + 7};
        }
        pos = end;
    }
    Unquoted out;
    bool any_part = false;
    while (true) {
        skip_space();
        if (pos >= text.size() || text[pos] == ';') break;
        any_part = true;
        char q = text[pos];
        if (q != '\'' && q != '"') {
            std::size_t end = word_end(pos);
            for (std::size_t i = pos; i < end; ++i)
                out.add(text[i], i);
            out.end = end;
            pos = end;
            continue;
        }
        std::size_t i = pos + 1;
        for (; i < text.size() && text[i] != q; ++i) {
            char c = text[i];
            if (c == '\\' && i + 1 < text.size()) {
                char next = text[i + 1];
                char plain = next == '"' || next == '\'' || next == '\\' ? next
                             : next == 't'                               ? '\t'
                             : next == 'r'                               ? '\r'
                             : next == 'n'                               ? '\n'
                                                                         : '\0';
                if (plain != '\0') {
                    out.add(plain, i);
                    ++i;
                    continue;
                }
            }
            out.add(c, i);
        }
        if (i >= text.size()) return Problem{"unterminated quoted string", pos};
        out.end = i;
        pos = i + 1;
    }
    if (!any_part) return Problem{"log_format needs a format string after its name", pos};
    if (pos < text.size()) {  // at ';'
        std::size_t after = pos + 1;
        if (!trim(text.substr(after)).empty()) return Problem{"unexpected text after ';'", after};
    }
    return out;
}

// What compiling gathers before it becomes a LogFormat.
struct Compiled {
    std::vector<Step> steps;
    TimeSyntax time_syntax = TimeSyntax::clf;
    std::string time_pattern;
    // Byte-count fields in order of appearance; rank 0 (response bytes) beats rank 1 (%I, %S).
    struct BytesCandidate {
        std::size_t step;
        int rank;
    };
    std::vector<BytesCandidate> bytes;
};

class Builder {
  public:
    explicit Builder(const Unquoted& source) : source_(source) {}

    void literal(std::string_view text) {
        if (text.empty()) return;
        if (!out.steps.empty() && out.steps.back().type == StepType::literal) {
            out.steps.back().literal += text;
        } else {
            Step step;
            step.type = StepType::literal;
            step.literal = std::string(text);
            out.steps.push_back(std::move(step));
        }
    }

    // begin..end is the directive in the unquoted body. joins_path: a "?a=b"-or-empty query
    // that may follow a path directly, because the '?' itself separates them.
    std::optional<Problem> field(FieldKind kind, std::size_t begin, std::size_t end,
                                 bool joins_path = false) {
        if (!out.steps.empty() && out.steps.back().type == StepType::field &&
            !(joins_path && out.steps.back().kind == FieldKind::path)) {
            return Problem{"fields need a separator between them", source_.where(begin)};
        }
        Step step;
        step.type = StepType::field;
        step.kind = kind;
        step.source = source_.body.substr(begin, end - begin);
        out.steps.push_back(std::move(step));
        return std::nullopt;
    }

    std::optional<Problem> bytes(int rank, std::size_t begin, std::size_t end) {
        if (auto problem = field(FieldKind::opaque, begin, end)) return problem;
        out.steps.back().numeric = true;
        out.bytes.push_back({out.steps.size() - 1, rank});
        return std::nullopt;
    }

    std::optional<Problem> time(TimeSyntax syntax, std::string_view pattern, std::size_t begin,
                                std::size_t end) {
        if (auto problem = field(FieldKind::time, begin, end)) return problem;
        // Later time fields overwrite earlier values when scanning, so the last one's syntax is
        // the one the reducer will see.
        out.time_syntax = syntax;
        out.time_pattern = std::string(pattern);
        return std::nullopt;
    }

    Compiled out;

  private:
    const Unquoted& source_;
};

struct NginxVariable {
    std::string_view name;
    FieldKind kind;
};

constexpr NginxVariable nginx_variables[] = {
    {"remote_addr", FieldKind::client},
    {"realip_remote_addr", FieldKind::client},
    {"remote_user", FieldKind::remote_user},
    {"request", FieldKind::request},
    {"request_method", FieldKind::method},
    {"request_uri", FieldKind::target},
    {"uri", FieldKind::path},
    {"document_uri", FieldKind::path},
    {"args", FieldKind::query},
    {"query_string", FieldKind::query},
    {"server_protocol", FieldKind::protocol},
    {"status", FieldKind::status},
    {"http_referer", FieldKind::referrer},
    {"http_user_agent", FieldKind::user_agent},
    {"host", FieldKind::vhost},
    {"server_name", FieldKind::vhost},
    {"http_host", FieldKind::vhost},
    {"server_port", FieldKind::port},
    {"http_x_forwarded_for", FieldKind::forwarded_for},
    // Not nginx's: the columns `logsift reduce` writes, for the `logsift` preset.
    {"logsift_network", FieldKind::network},
    {"logsift_agent", FieldKind::agent},
    {"logsift_agent_version", FieldKind::agent_version},
    {"logsift_agent_class", FieldKind::agent_class},
    {"logsift_referrer_host", FieldKind::referrer_host},
    {"logsift_country", FieldKind::country},
};

// Reads a variable name at body[pos] == '$'. Returns the name and moves pos past it.
std::variant<std::string_view, Problem> read_nginx_variable(const Unquoted& source,
                                                            std::size_t& pos) {
    std::string_view body = source.body;
    std::size_t start = pos;
    if (pos + 1 < body.size() && body[pos + 1] == '{') {
        std::size_t close = body.find('}', pos + 2);
        if (close == std::string_view::npos) {
            return Problem{"unterminated '${'", source.where(start)};
        }
        std::string_view name = body.substr(pos + 2, close - pos - 2);
        if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char)) {
            return Problem{"invalid variable name " + quote(body.substr(start, close + 1 - start)),
                           source.where(start)};
        }
        pos = close + 1;
        return name;
    }
    std::size_t end = pos + 1;
    while (end < body.size() && is_name_char(body[end]))
        ++end;
    if (end == pos + 1) return Problem{"expected a variable name after '$'", source.where(start)};
    pos = end;
    return body.substr(start + 1, end - start - 1);
}

std::optional<Problem> compile_nginx(const Unquoted& source, Builder& builder) {
    std::string_view body = source.body;
    std::size_t pos = 0;
    while (pos < body.size()) {
        std::size_t dollar = body.find('$', pos);
        builder.literal(body.substr(pos, dollar - pos));
        if (dollar == std::string_view::npos) break;
        pos = dollar;
        auto read = read_nginx_variable(source, pos);
        if (auto* problem = std::get_if<Problem>(&read)) return *problem;
        std::string lowered(std::get<std::string_view>(read));
        std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);

        std::optional<Problem> problem;
        if (lowered == "is_args" && pos < body.size() && body[pos] == '$') {
            // $is_args$args writes "?a=b" or nothing, so it is one query field.
            std::size_t next = pos;
            auto args = read_nginx_variable(source, next);
            auto* args_name = std::get_if<std::string_view>(&args);
            if (args_name && iequals(*args_name, "args")) {
                if (auto p = builder.field(FieldKind::query, dollar, next, true)) return p;
                pos = next;
                continue;
            }
        }
        if (lowered == "time_local") {
            problem = builder.time(TimeSyntax::clf, {}, dollar, pos);
        } else if (lowered == "time_iso8601") {
            problem = builder.time(TimeSyntax::iso8601, {}, dollar, pos);
        } else if (lowered == "msec") {
            problem = builder.time(TimeSyntax::msec, {}, dollar, pos);
        } else if (lowered == "body_bytes_sent" || lowered == "bytes_sent") {
            problem = builder.bytes(0, dollar, pos);
        } else {
            FieldKind kind = FieldKind::opaque;
            for (const NginxVariable& variable : nginx_variables) {
                if (variable.name == lowered) kind = variable.kind;
            }
            problem = builder.field(kind, dollar, pos);
        }
        if (problem) return problem;
    }
    return std::nullopt;
}

// One Apache directive starting at body[start] == '%' (not "%%").
std::optional<Problem> compile_apache_directive(const Unquoted& source, std::size_t start,
                                                std::size_t& pos, Builder& builder) {
    std::string_view body = source.body;
    std::string_view arg;
    bool has_arg = false;
    std::size_t i = start + 1;
    // Conditions (%400,501{...}i, %!200r) and the </> original/final choice come in any order
    // before the letter, as mod_log_config reads them; none changes what the field holds.
    while (i < body.size()) {
        char c = body[i];
        if (c == '!' || c == ',' || c == '<' || c == '>' || is_digit(c)) {
            ++i;
        } else if (c == '{') {
            std::size_t close = body.find('}', i + 1);
            if (close == std::string_view::npos) {
                return Problem{"unterminated '%{'", source.where(start)};
            }
            arg = body.substr(i + 1, close - i - 1);
            has_arg = true;
            i = close + 1;
        } else {
            break;
        }
    }
    if (i >= body.size()) {
        return Problem{"incomplete Apache directive (write %% for a literal '%')",
                       source.where(start)};
    }
    char letter = body[i];
    std::size_t end = i + 1;
    pos = end;
    auto unknown = [&](std::size_t stop) {
        return Problem{"unknown Apache directive " + quote(body.substr(start, stop - start)),
                       source.where(start)};
    };
    if (letter == '^') {
        if (body.substr(i, 3) != "^ti" && body.substr(i, 3) != "^to") {
            return unknown(std::min(body.size(), i + 3));
        }
        pos = i + 3;
        return builder.field(FieldKind::opaque, start, pos);
    }
    switch (letter) {
        case 'a':
        case 'h':
            return builder.field(FieldKind::client, start, end);
        case 'u':
            return builder.field(FieldKind::remote_user, start, end);
        case 'r':
            return builder.field(FieldKind::request, start, end);
        case 'm':
            return builder.field(FieldKind::method, start, end);
        case 'U':
            return builder.field(FieldKind::path, start, end);
        case 'q':
            return builder.field(FieldKind::query, start, end, true);
        case 'H':
            return builder.field(FieldKind::protocol, start, end);
        case 's':
            return builder.field(FieldKind::status, start, end);
        case 'v':
        case 'V':
            return builder.field(FieldKind::vhost, start, end);
        case 'b':
        case 'B':
        case 'O':
            return builder.bytes(0, start, end);
        case 'I':
        case 'S':
            return builder.bytes(1, start, end);
        case 'p': {
            bool port = !has_arg || arg == "canonical" || arg == "local" || arg == "remote";
            return builder.field(port ? FieldKind::port : FieldKind::opaque, start, end);
        }
        case 'i': {
            FieldKind kind = FieldKind::opaque;
            if (iequals(arg, "Referer")) kind = FieldKind::referrer;
            if (iequals(arg, "User-Agent")) kind = FieldKind::user_agent;
            if (iequals(arg, "X-Forwarded-For")) kind = FieldKind::forwarded_for;
            if (iequals(arg, "Host")) kind = FieldKind::vhost;
            return builder.field(kind, start, end);
        }
        case 't': {
            std::string_view pattern = arg;
            if (pattern.starts_with("begin:")) pattern.remove_prefix(6);
            if (pattern.starts_with("end:")) pattern.remove_prefix(4);
            if (pattern.empty()) {
                // Apache's default time brings its own brackets.
                builder.literal("[");
                if (auto problem = builder.time(TimeSyntax::clf, {}, start, end)) return problem;
                builder.literal("]");
                return std::nullopt;
            }
            if (pattern == "sec") return builder.time(TimeSyntax::sec, {}, start, end);
            if (pattern == "msec") return builder.time(TimeSyntax::millis, {}, start, end);
            if (pattern == "usec") return builder.time(TimeSyntax::micros, {}, start, end);
            if (pattern == "msec_frac" || pattern == "usec_frac") {
                return builder.field(FieldKind::opaque, start, end);
            }
            return builder.time(TimeSyntax::strftime, pattern, start, end);
        }
        case 'A':
        case 'C':
        case 'D':
        case 'e':
        case 'f':
        case 'k':
        case 'l':
        case 'L':
        case 'n':
        case 'o':
        case 'P':
        case 'R':
        case 'T':
        case 'x':
        case 'X':
            return builder.field(FieldKind::opaque, start, end);
        default:
            return unknown(end);
    }
}

std::optional<Problem> compile_apache(const Unquoted& source, Builder& builder) {
    std::string_view body = source.body;
    std::size_t pos = 0;
    while (pos < body.size()) {
        std::size_t percent = body.find('%', pos);
        builder.literal(body.substr(pos, percent - pos));
        if (percent == std::string_view::npos) break;
        if (percent + 1 < body.size() && body[percent + 1] == '%') {
            builder.literal("%");
            pos = percent + 2;
            continue;
        }
        if (auto problem = compile_apache_directive(source, percent, pos, builder)) return problem;
    }
    return std::nullopt;
}

// Which syntax a bare string is in: whichever kind of field appears first.
std::optional<Syntax> guess_syntax(std::string_view text) {
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        char next = text[i + 1];
        if (text[i] == '$' && (is_name_char(next) || next == '{')) return Syntax::nginx;
        if (text[i] == '%') return Syntax::apache;
    }
    return std::nullopt;
}

bool starts_with_word(std::string_view text, std::string_view word) {
    return text.starts_with(word) && text.size() > word.size() && is_space(text[word.size()]);
}

bool is_status(std::string_view text) {
    return text.size() == 3 && is_digit(text[0]) && is_digit(text[1]) && is_digit(text[2]);
}

bool is_count(std::string_view text) {
    if (text == "-") return true;
    return !text.empty() && std::all_of(text.begin(), text.end(), is_digit);
}

bool is_port(std::string_view text) {
    return !text.empty() && text.size() <= 5 && std::all_of(text.begin(), text.end(), is_digit);
}

// Literal separators are a few bytes long: comparing them inline beats the out-of-line
// string_view::compare and memcmp that the scan would otherwise call several times per line.
// pos is at most line.size().
bool has_at(std::string_view line, std::size_t pos, std::string_view literal) {
    if (line.size() - pos < literal.size()) return false;
    const char* at = line.data() + pos;
    for (char c : literal) {
        if (*at++ != c) return false;
    }
    return true;
}

using Repeated = std::array<char, 16>;

constexpr Repeated repeated(char c) {
    Repeated bytes{};
    bytes.fill(c);
    return bytes;
}

// The first byte at or after at that is a[0] or b[0], or nullptr. Fields are a few to a hundred
// bytes long: a library memchr per field, two per quoted field, costs more in calls than in
// search. The bytes come repeated, so that loading them is all it takes to compare 16 at once.
const char* find_either(const char* at, const char* end, const Repeated& a, const Repeated& b) {
#if defined(__SSE2__)
    if (end - at >= 16) {
        const __m128i want_a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.data()));
        const __m128i want_b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.data()));
        auto hits = [&](const char* block) {
            const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));
            return static_cast<unsigned>(_mm_movemask_epi8(
                _mm_or_si128(_mm_cmpeq_epi8(bytes, want_a), _mm_cmpeq_epi8(bytes, want_b))));
        };
        for (; end - at >= 16; at += 16) {
            if (unsigned found = hits(at)) return at + std::countr_zero(found);
        }
        if (at == end) return nullptr;
        // The last few bytes: one block that ends at `end`, less the bytes already searched.
        const char* last = end - 16;
        unsigned found = hits(last) >> (at - last);
        return found ? at + std::countr_zero(found) : nullptr;
    }
#endif
    for (; at < end; ++at) {
        if (*at == a[0] || *at == b[0]) return at;
    }
    return nullptr;
}

}  // namespace

std::string FormatError::render() const {
    // The caret line copies tabs and counts UTF-8 characters, so the caret stays under the spot.
    std::string shown;
    std::string pad;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        shown += (c == '\n' || c == '\r') ? ' ' : c;
        if (i >= offset) continue;
        if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;
        pad += c == '\t' ? '\t' : ' ';
    }
    return message + "\n  " + shown + "\n  " + pad + "^";
}

std::variant<LogFormat, FormatError> LogFormat::compile(std::string_view text) {
    auto fail = [&](const Problem& problem) {
        return FormatError{problem.message, problem.at, std::string(text)};
    };
    std::string_view trimmed = trim(text);
    std::size_t lead = trimmed.empty() ? 0 : static_cast<std::size_t>(trimmed.data() - text.data());
    if (trimmed.empty()) return fail({"empty format", 0});

    Syntax syntax;
    std::variant<Unquoted, Problem> unquoted;
    if (starts_with_word(trimmed, "log_format")) {
        syntax = Syntax::nginx;
        unquoted = unquote_nginx_directive(text, lead + 10);
    } else if (starts_with_word(trimmed, "LogFormat") ||
               (trimmed.size() > 9 && iequals(trimmed.substr(0, 9), "LogFormat") &&
                is_space(trimmed[9]))) {
        syntax = Syntax::apache;
        unquoted = unquote_apache_directive(text, lead + 9);
    } else {
        std::optional<Syntax> guessed = guess_syntax(text);
        if (!guessed) {
            return fail(
                {"no fields: an nginx format needs $variables, an Apache one %directives", lead});
        }
        syntax = *guessed;
        Unquoted bare;
        // Surrounding whitespace is an artifact of pasting; as a literal it would never match.
        std::size_t stop = lead + trimmed.size();
        if (syntax == Syntax::apache) {
            unescape_apache(text, lead, stop, bare);
        } else {
            for (std::size_t i = lead; i < stop; ++i)
                bare.add(text[i], i);
            bare.end = stop;
        }
        unquoted = std::move(bare);
    }
    if (auto* problem = std::get_if<Problem>(&unquoted)) return fail(*problem);
    const Unquoted& source = std::get<Unquoted>(unquoted);
    if (source.body.empty()) return fail({"empty format", source.end});

    Builder builder(source);
    std::optional<Problem> problem =
        syntax == Syntax::nginx ? compile_nginx(source, builder) : compile_apache(source, builder);
    if (problem) return fail(*problem);
    Compiled& compiled = builder.out;

    std::vector<Step>& steps = compiled.steps;
    std::size_t field_total = 0;
    for (const Step& step : steps)
        field_total += step.type == StepType::field;
    if (field_total == 0) return fail({"the format has no fields", lead});

    if (!compiled.bytes.empty()) {
        auto best =
            std::min_element(compiled.bytes.begin(), compiled.bytes.end(),
                             [](const Compiled::BytesCandidate& a,
                                const Compiled::BytesCandidate& b) { return a.rank < b.rank; });
        steps[best->step].kind = FieldKind::bytes;
    }

    // A path+query pair is quoted as one unit, so both look at the literals around the pair.
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].type != StepType::field) continue;
        std::size_t last = i;
        if (i + 1 < steps.size() && steps[i + 1].type == StepType::field) last = i + 1;
        bool before = i > 0 && steps[i - 1].literal.ends_with('"');
        bool after = last + 1 < steps.size() && steps[last + 1].literal.starts_with('"');
        for (std::size_t j = i; j <= last; ++j)
            steps[j].quoted = before && after;
        i = last;
    }

    LogFormat format;
    format.syntax_ = syntax;
    format.time_syntax_ = compiled.time_syntax;
    format.time_pattern_ = std::move(compiled.time_pattern);
    format.text_ = std::string(text);
    for (const Step& step : steps) {
        if (step.type == StepType::field && step.kind != FieldKind::opaque) {
            format.present_ |= 1u << static_cast<unsigned>(step.kind);
        }
    }
    format.steps_ = std::move(steps);
    format.prepare_scan();
    return format;
}

std::size_t LogFormat::field_count() const {
    return static_cast<std::size_t>(
        std::count_if(steps_.begin(), steps_.end(),
                      [](const Step& step) { return step.type == StepType::field; }));
}

namespace {

bool is_token_kind(FieldKind kind) {
    switch (kind) {
        case FieldKind::client:
        case FieldKind::remote_user:
        case FieldKind::method:
        case FieldKind::protocol:
        case FieldKind::status:
        case FieldKind::bytes:
        case FieldKind::vhost:
        case FieldKind::port:
        case FieldKind::network:
        case FieldKind::agent_version:
        case FieldKind::agent_class:
        case FieldKind::referrer_host:
        case FieldKind::country:
            return true;
        default:
            return false;
    }
}

}  // namespace

void LogFormat::prepare_scan() {
    std::size_t i = 0;
    if (steps_[0].type == StepType::literal) lead_ = steps_[i++].literal;
    while (i < steps_.size()) {
        const Step& step = steps_[i];
        ScanField& field = scan_fields_.emplace_back();
        field.kind = step.kind;
        field.quoted = step.quoted;
        field.numeric = step.numeric;
        // Servers write these as single tokens. Letting them run to a later separator would
        // let `combined` swallow a vhost prefix or an X-Forwarded-For list into its client
        // field and claim lines it does not describe.
        field.single_word = is_token_kind(step.kind);
        field.may_be_empty = (present_ & (1u << static_cast<unsigned>(FieldKind::network))) != 0;
        field.pair = i + 1 < steps_.size() && steps_[i + 1].type == StepType::field;
        if (field.pair) field.query_kind = steps_[++i].kind;
        if (++i < steps_.size()) field.follow = steps_[i++].literal;

        std::array<unsigned char, sizeof field.head> mask{};
        const std::size_t head_size = std::min(field.follow.size(), mask.size());
        std::fill_n(mask.begin(), head_size, 0xff);
        std::memcpy(&field.head_mask, mask.data(), mask.size());
        std::memcpy(&field.head, field.follow.data(), head_size);
        char stop = ' ';
        char also = ' ';
        if (field.quoted) {
            stop = '"';
            also = '\\';
        } else if (!field.follow.empty()) {
            stop = field.follow[0];
            also = field.single_word ? ' ' : stop;
        }
        field.stop = repeated(stop);
        field.also = repeated(also);
    }
}

inline bool LogFormat::ScanField::follows_at(const char* at, const char* end) const {
    const auto left = static_cast<std::size_t>(end - at);
    if (left < sizeof head) return has_at(std::string_view(at, left), 0, follow);
    std::uint64_t bytes;
    std::memcpy(&bytes, at, sizeof bytes);
    if ((bytes & head_mask) != head) return false;
    return follow.size() <= sizeof head || has_at(std::string_view(at, left), sizeof head,
                                                  std::string_view(follow).substr(sizeof head));
}

std::optional<ScanError> LogFormat::scan(std::string_view line, Fields& fields) const {
    constexpr std::size_t npos = std::string_view::npos;
    fields.present = present_;
    if (line.empty()) return ScanError{"empty line", 1};
    if (!has_at(line, 0, lead_)) {
        bool cut = line.size() < lead_.size() && lead_.starts_with(line);
        return ScanError{cut ? "line ends early" : "missing separator", 1};
    }
    const char* const begin = line.data();
    const char* const line_end = begin + line.size();
    std::size_t pos = lead_.size();
    for (const ScanField& field : scan_fields_) {
        // One search per field for the bytes where it may end, and a look at each one found.
        const char* at = begin + pos;
        for (;; ++at) {
            at = find_either(at, line_end, field.stop, field.also);
            if (at == nullptr || field.follow.empty() || field.follows_at(at, line_end)) break;
            if (field.quoted) {
                if (*at == '\\') {
                    if (line_end - at < 2) {
                        at = nullptr;
                        break;
                    }
                    ++at;  // and the loop's: the escaped byte, even a quote, is in the field
                } else if (static_cast<std::size_t>(line_end - at) < field.follow.size() &&
                           field.follow.starts_with(std::string_view(at, line_end - at))) {
                    return ScanError{"line ends early", pos + 1};
                }
            } else if (field.single_word && *at == ' ') {
                // The line is bad either way: which error it gets depends on whether the
                // separator comes at all.
                if (line.find(field.follow, static_cast<std::size_t>(at - begin)) != npos) {
                    return ScanError{"space inside a single-word field", pos + 1};
                }
                at = nullptr;
                break;
            }
        }
        std::size_t end = line.size();
        if (at != nullptr) {
            end = static_cast<std::size_t>(at - begin);
        } else if (field.quoted) {
            return ScanError{"unterminated quoted field", pos + 1};
        } else if (!field.follow.empty()) {
            return ScanError{pos >= line.size() ? "line ends early" : "missing separator", pos + 1};
        }
        std::string_view text(begin + pos, end - pos);

        if (field.pair) {
            // Cut by hand: substr is a call that takes text's address, which kept text on the
            // stack for every field, to be stored from there by a 16-byte load of two 8-byte
            // stores, which the CPU cannot forward (perf saw a stall there).
            const auto* question =
                static_cast<const char*>(std::memchr(text.data(), '?', text.size()));
            const std::size_t path_size =
                question ? static_cast<std::size_t>(question - text.data()) : text.size();
            fields.value[static_cast<std::size_t>(field.kind)] = {text.data(), path_size};
            fields.value[static_cast<std::size_t>(field.query_kind)] = {text.data() + path_size,
                                                                        text.size() - path_size};
        } else {
            if (field.kind == FieldKind::status && !is_status(text) &&
                !(field.may_be_empty && text.empty())) {
                return ScanError{"status is not a number", pos + 1};
            }
            if (field.numeric && !is_count(text) && !(field.may_be_empty && text.empty())) {
                return ScanError{"bytes is not a number", pos + 1};
            }
            if (field.kind == FieldKind::port && !is_port(text)) {
                return ScanError{"port is not a number", pos + 1};
            }
            if (field.kind != FieldKind::opaque) {
                fields.value[static_cast<std::size_t>(field.kind)] = text;
            }
        }
        pos = end + field.follow.size();
    }
    // Only "\n" ends a line. A "\r" in the text after the last field means a log written with
    // "\r" line ends alone, where this one "line" holds many: taking its first and ignoring the
    // rest would lose them silently.
    static constexpr Repeated carriage_returns = repeated('\r');
    if (const char* cr = find_either(begin + pos, line_end, carriage_returns, carriage_returns)) {
        return ScanError{"carriage return inside the line",
                         static_cast<std::size_t>(cr - begin) + 1};
    }
    return std::nullopt;
}

}  // namespace logsift
