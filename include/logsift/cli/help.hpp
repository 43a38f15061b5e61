// Help text: CLI11's layout, with every description wrapped to the terminal's width.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace logsift::cli {

// The width help is wrapped to: $COLUMNS when it is a number, else the width of the terminal
// on standard output, else 80.
std::size_t terminal_width();

// Breaks text into lines of at most width characters at spaces (a longer word stays whole);
// existing newlines are kept.
std::string wrap(std::string_view text, std::size_t width);

// CLI11's formatter, wrapping descriptions into the room the option names leave.
class WrappingFormatter : public CLI::Formatter {
  public:
    explicit WrappingFormatter(std::size_t width);

    std::string make_option_desc(const CLI::Option* option) const override;
    std::string make_subcommand(const CLI::App* command) const override;
    std::string make_description(const CLI::App* app) const override;

  private:
    std::size_t description_width() const;
    std::size_t width_;
};

// The help of command (the top level when it is the root app), as `--help` prints it.
std::string help_text(const CLI::App& command);

}  // namespace logsift::cli
