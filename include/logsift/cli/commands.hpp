// The subcommands as the command line knows them: one setup function each, which declares the
// subcommand's options (the groups of options.hpp it takes, and its own) and says how to run it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "logsift/base/error.hpp"
#include "logsift/config/config.hpp"

namespace logsift::cli {

// A declared subcommand: its CLI11 app and what running it does once it is parsed. run builds
// the config (which may fail: a usage error to report) and runs it.
struct Subcommand {
    CLI::App* app = nullptr;
    std::function<Expected<ExitCode>()> run;
};

// The option structs the subcommands bind to; they live as long as the CLI::App.
struct Bindings {
    ReduceCliOptions reduce;
    AggregateCliOptions downloads;
    AggregateCliOptions sources;
    AggregateCliOptions summary;
    MergeCliOptions merge;
    FormatsCliOptions formats;
    std::string help_topic;  // logsift help TOPIC
};

Subcommand setup_reduce(CLI::App& app, ReduceCliOptions& options);
Subcommand setup_downloads(CLI::App& app, AggregateCliOptions& options);
Subcommand setup_sources(CLI::App& app, AggregateCliOptions& options);
Subcommand setup_summary(CLI::App& app, AggregateCliOptions& options);
Subcommand setup_merge(CLI::App& app, MergeCliOptions& options);
Subcommand setup_formats(CLI::App& app, FormatsCliOptions& options);
// `logsift help [COMMAND]`: run is empty, the command line prints the help itself.
Subcommand setup_help(CLI::App& app, std::string& topic);

}  // namespace logsift::cli
