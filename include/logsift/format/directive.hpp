// Format directives: the text of an nginx `log_format` or Apache `LogFormat` directive pasted
// whole from a server's configuration, with the configuration's own quoting undone. Internal
// to the format stage (compile.cpp); each byte keeps its offset in what the user wrote, so that
// compile errors point there.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "logsift/format/format.hpp"

namespace logsift {

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

// The directive's arguments from text[pos] on (just after the word `LogFormat` or `log_format`).
std::variant<Unquoted, Problem> unquote_apache_directive(std::string_view text, std::size_t pos);
std::variant<Unquoted, Problem> unquote_nginx_directive(std::string_view text, std::size_t pos);
// A bare format string text[begin, end): Apache undoes its escapes in it too, nginx does not.
Unquoted unquote_bare_format(std::string_view text, std::size_t begin, std::size_t end,
                             Syntax syntax);

}  // namespace logsift
