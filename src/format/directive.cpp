// Format directives: undoing the quoting of nginx's and Apache's configuration readers, so that
// a directive pasted from a server's configuration compiles as the server reads it.
#include "logsift/format/directive.hpp"

#include "logsift/base/ascii.hpp"

namespace logsift {
namespace {

using ascii::is_space;
using ascii::trim;

// The end of the quoted string opened at text[open]: the next quote that no backslash escapes,
// or text.size() when there is none.
std::size_t closing_quote(std::string_view text, std::size_t open) {
    std::size_t close = open + 1;
    while (close < text.size() && text[close] != text[open])
        close += text[close] == '\\' ? 2 : 1;
    return std::min(close, text.size());
}

// Copies text[begin, end) into out with the escapes undone: plain(c) is what a backslash and c
// stand for, or '\0' when the server keeps the backslash (both servers do for unknown escapes).
template <class Plain>
void unescape(std::string_view text, std::size_t begin, std::size_t end, Plain plain,
              Unquoted& out) {
    for (std::size_t i = begin; i < end; ++i) {
        char c = text[i];
        if (c == '\\' && i + 1 < end) {
            if (char unescaped = plain(text[i + 1]); unescaped != '\0') {
                out.add(unescaped, i);
                ++i;
                continue;
            }
        }
        out.add(c, i);
    }
    out.end = end;
}

// The escapes mod_log_config and Apache's config reader undo: \" and \\ (so configs can quote
// the quotes), \t and \n. Anything else keeps its backslash, as Apache does.
char apache_plain(char next) {
    return next == '"' || next == '\\' ? next : next == 't' ? '\t' : next == 'n' ? '\n' : '\0';
}

// nginx's configuration reader: \" \' \\ \t \r \n.
char nginx_plain(char next) {
    return next == '"' || next == '\'' || next == '\\' ? next
           : next == 't'                               ? '\t'
           : next == 'r'                               ? '\r'
           : next == 'n'                               ? '\n'
                                                       : '\0';
}

}  // namespace

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
        unescape(text, pos, end, apache_plain, out);
        return out;
    }
    std::size_t close = closing_quote(text, pos);
    if (close >= text.size()) return Problem{"unterminated quoted string", pos};
    unescape(text, pos + 1, close, apache_plain, out);
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
        std::size_t close = closing_quote(text, pos);
        if (close >= text.size()) return Problem{"unterminated quoted string", pos};
        unescape(text, pos + 1, close, nginx_plain, out);
        pos = close + 1;
    }
    if (!any_part) return Problem{"log_format needs a format string after its name", pos};
    if (pos < text.size()) {  // at ';'
        std::size_t after = pos + 1;
        if (!trim(text.substr(after)).empty()) return Problem{"unexpected text after ';'", after};
    }
    return out;
}

Unquoted unquote_bare_format(std::string_view text, std::size_t begin, std::size_t end,
                             Syntax syntax) {
    Unquoted out;
    if (syntax == Syntax::apache) {
        unescape(text, begin, end, apache_plain, out);
    } else {
        for (std::size_t i = begin; i < end; ++i)
            out.add(text[i], i);
        out.end = end;
    }
    return out;
}

}  // namespace logsift
