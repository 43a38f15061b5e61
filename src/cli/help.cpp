// Help text wrapped to the terminal: CLI11 2.1 pads option names to a column but leaves each
// description on one line, which a terminal then breaks mid-word at its own edge.
#include "logsift/cli/help.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <sstream>

namespace logsift::cli {

std::size_t terminal_width() {
    if (const char* columns = std::getenv("COLUMNS"); columns && *columns) {
        std::size_t width = 0;
        const char* end = columns + std::char_traits<char>::length(columns);
        auto [stop, error] = std::from_chars(columns, end, width);
        if (error == std::errc{} && stop == end && width > 0) return width;
    }
    winsize size{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}

std::string wrap(std::string_view text, std::size_t width) {
    width = std::max<std::size_t>(width, 1);
    std::string out;
    std::size_t line_length = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        if (text[at] == '\n') {
            out += '\n';
            line_length = 0;
            ++at;
            continue;
        }
        if (text[at] == ' ') {
            ++at;
            continue;
        }
        std::size_t end = text.find_first_of(" \n", at);
        if (end == std::string_view::npos) end = text.size();
        std::string_view word = text.substr(at, end - at);
        if (line_length > 0 && line_length + 1 + word.size() > width) {
            out += '\n';
            line_length = 0;
        } else if (line_length > 0) {
            out += ' ';
            ++line_length;
        }
        out += word;
        line_length += word.size();
        at = end;
    }
    return out;
}

WrappingFormatter::WrappingFormatter(std::size_t width) : width_(width) {}

std::size_t WrappingFormatter::description_width() const {
    // Two columns of margin for CLI11's indent; a narrow terminal still gets readable lines.
    return std::max<std::size_t>(width_ > column_width_ + 2 ? width_ - column_width_ - 2 : 0, 24);
}

std::string WrappingFormatter::make_option_desc(const CLI::Option* option) const {
    return wrap(option->get_description(), description_width());
}

std::string WrappingFormatter::make_subcommand(const CLI::App* command) const {
    std::stringstream out;
    CLI::detail::format_help(out, command->get_display_name(true),
                             wrap(command->get_description(), description_width()), column_width_);
    return out.str();
}

std::string WrappingFormatter::make_description(const CLI::App* app) const {
    std::string description = app->get_description();
    if (description.empty()) return {};
    return wrap(description, std::max<std::size_t>(width_, 24)) + "\n";
}

std::string help_text(const CLI::App& command) {
    std::string name = command.get_name();
    for (const CLI::App* parent = command.get_parent(); parent; parent = parent->get_parent())
        name = parent->get_name() + " " + name;
    return command.get_formatter()->make_help(&command, name, CLI::AppFormatMode::Normal);
}

}  // namespace logsift::cli
