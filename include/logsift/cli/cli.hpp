// The command line: parses it into the option structs of the chosen subcommand, or into the
// usage error to report (status 2), with a suggestion for a mistyped subcommand or option.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/base/error.hpp"
#include "logsift/cli/commands.hpp"

namespace logsift::cli {

// What the command line asks for: a text to print (help, version) and nothing more, or a
// subcommand to run.
struct Invocation {
    std::string text;
    std::function<Expected<ExitCode>()> run;  // empty when only text is printed
};

class CommandLine {
  public:
    // width: what help is wrapped to (terminal_width() for a person).
    explicit CommandLine(std::size_t width);
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;

    // The arguments after the program name. Parses once.
    Expected<Invocation> parse(const std::vector<std::string>& args);
    Expected<Invocation> parse(int argc, const char* const* argv);

    // The option structs, as parse left them.
    const Bindings& bindings() const { return bindings_; }
    // The help of a subcommand, or the top level for "".
    std::string help(std::string_view command = {}) const;

  private:
    const CLI::App* find(std::string_view command) const;
    Error unknown_command(std::string_view word) const;
    Error unknown_option(const CLI::App& command, std::string_view word) const;

    CLI::App app_;
    Bindings bindings_;
    std::vector<Subcommand> commands_;
    CLI::App* help_ = nullptr;
};

// Damerau-Levenshtein distance (optimal string alignment): edits, with a swap of two
// neighbours as one.
std::size_t edit_distance(std::string_view a, std::string_view b);

// "; did you mean 'X'?" for the closest candidate within two edits, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace logsift::cli
