// Format compiler: nginx log_format and Apache LogFormat strings (bare or pasted as whole
// configuration directives) into the literal and typed-field steps the scanner (scan.cpp)
// follows. The presets of patterns/formats and their detection are in presets.cpp.
#include "logsift/format/format.hpp"

#include "logsift/base/ascii.hpp"
#include "logsift/base/patterns.hpp"
#include "logsift/format/directive.hpp"

#include <algorithm>

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
using ascii::iequals;
using ascii::is_digit;
using ascii::is_space;
using ascii::lower;
using ascii::trim;

bool is_name_char(char c) {
    return is_digit(c) || ascii::is_alpha(c) || c == '_';
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

// Both syntaxes are literal text with fields that start at a sigil ('$' or '%'): the text
// between fields goes to the builder as literals, and compile_field(start, pos) compiles the
// field at body[start] and moves pos past it.
template <class CompileField>
std::optional<Problem> compile_fields(std::string_view body, char sigil, Builder& builder,
                                      CompileField compile_field) {
    std::size_t pos = 0;
    while (pos < body.size()) {
        std::size_t start = body.find(sigil, pos);
        builder.literal(body.substr(pos, start - pos));
        if (start == std::string_view::npos) break;
        pos = start;
        if (auto problem = compile_field(start, pos)) return problem;
    }
    return std::nullopt;
}

// One nginx variable starting at body[dollar] == '$'.
std::optional<Problem> compile_nginx_variable(const Unquoted& source, std::size_t dollar,
                                              std::size_t& pos, Builder& builder) {
    std::string_view body = source.body;
    auto read = read_nginx_variable(source, pos);
    if (auto* problem = std::get_if<Problem>(&read)) return *problem;
    std::string lowered(std::get<std::string_view>(read));
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);

    if (lowered == "is_args" && pos < body.size() && body[pos] == '$') {
        // $is_args$args writes "?a=b" or nothing, so it is one query field.
        std::size_t next = pos;
        auto args = read_nginx_variable(source, next);
        auto* args_name = std::get_if<std::string_view>(&args);
        if (args_name && iequals(*args_name, "args")) {
            pos = next;
            return builder.field(FieldKind::query, dollar, next, true);
        }
    }
    if (lowered == "time_local") return builder.time(TimeSyntax::clf, {}, dollar, pos);
    if (lowered == "time_iso8601") return builder.time(TimeSyntax::iso8601, {}, dollar, pos);
    if (lowered == "msec") return builder.time(TimeSyntax::msec, {}, dollar, pos);
    if (lowered == "body_bytes_sent" || lowered == "bytes_sent") {
        return builder.bytes(0, dollar, pos);
    }
    FieldKind kind = FieldKind::opaque;
    for (const NginxVariable& variable : nginx_variables) {
        if (variable.name == lowered) kind = variable.kind;
    }
    return builder.field(kind, dollar, pos);
}

std::optional<Problem> compile_nginx(const Unquoted& source, Builder& builder) {
    return compile_fields(source.body, '$', builder, [&](std::size_t start, std::size_t& pos) {
        return compile_nginx_variable(source, start, pos, builder);
    });
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
    return compile_fields(body, '%', builder, [&](std::size_t start, std::size_t& pos) {
        if (start + 1 < body.size() && body[start + 1] == '%') {
            builder.literal("%");
            pos = start + 2;
            return std::optional<Problem>();
        }
        return compile_apache_directive(source, start, pos, builder);
    });
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

}  // namespace

std::string show_format_error(const Error& error, std::string_view text) {
    const std::size_t offset = error.column > 0 ? error.column - 1 : 0;
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
    return error.reason + "\n  " + shown + "\n  " + pad + "^";
}

Expected<LogFormat> LogFormat::compile(std::string_view text) {
    auto fail = [](const Problem& problem) {
        return usage_error({}, problem.message, 0, problem.at + 1);
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
        // Surrounding whitespace is an artifact of pasting; as a literal it would never match.
        unquoted = unquote_bare_format(text, lead, lead + trimmed.size(), syntax);
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
}  // namespace logsift
