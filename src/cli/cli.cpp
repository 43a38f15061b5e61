// Parsing and its errors. CLI11 does the parsing; what it rejects comes back as one Error, so
// that main reports every usage error the same way (base/error.hpp): "logsift: error: ...",
// status 2.
#include "logsift/cli/cli.hpp"

#include <cstdlib>

#include <algorithm>
#include <numeric>

#include "logsift/cli/help.hpp"

namespace logsift::cli {
namespace {

constexpr const char* description =
    "logsift turns web-server access logs into privacy-safe facts: each line is reduced to a "
    "time bucket, a truncated client network, the method, the resource without its query, the "
    "status, the bytes, the user agent's product and version, and the referrer's host.";

// Every spelling of the options command takes: --long, -s.
std::vector<std::string> option_names(const CLI::App& command) {
    std::vector<std::string> names;
    auto add = [&](const CLI::App& app) {
        for (const CLI::Option* option : app.get_options()) {
            for (const std::string& name : option->get_lnames())
                names.push_back("--" + name);
            for (const std::string& name : option->get_snames())
                names.push_back("-" + name);
        }
    };
    add(command);
    for (const CLI::App* group :
         command.get_subcommands([](const CLI::App* sub) { return sub->get_name().empty(); })) {
        add(*group);
    }
    return names;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i)
        d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j)
        d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    const std::string* best = nullptr;
    std::size_t best_distance = 3;
    for (const std::string& candidate : candidates) {
        std::size_t distance = edit_distance(word, candidate);
        if (distance < best_distance) {
            best = &candidate;
            best_distance = distance;
        }
    }
    return best ? "; did you mean '" + *best + "'?" : std::string();
}

CommandLine::CommandLine(std::size_t width) : app_(description, "logsift") {
    app_.formatter(std::make_shared<WrappingFormatter>(width));
    app_.set_version_flag("--version", std::string("logsift ") + LOGSIFT_VERSION);
    app_.require_subcommand(1);
    // Settings a site keeps for every run (the key file, prefixes, the patterns directory):
    // `[summary]` and the other subcommands' sections hold their long options' names.
    const char* config = std::getenv("LOGSIFT_CONFIG");
    app_.set_config("--config", config && *config ? config : "/etc/logsift/logsift.conf",
                    "Read options from this file (default: $LOGSIFT_CONFIG, else "
                    "/etc/logsift/logsift.conf when it exists): a [SUBCOMMAND] section per "
                    "subcommand with `long-option = value` lines");
    // A misspelt setting must not be ignored: it may be the key file.
    app_.allow_config_extras(CLI::config_extras_mode::error);
    commands_.push_back(setup_reduce(app_, bindings_.reduce));
    commands_.push_back(setup_downloads(app_, bindings_.downloads));
    commands_.push_back(setup_sources(app_, bindings_.sources));
    commands_.push_back(setup_summary(app_, bindings_.summary));
    commands_.push_back(setup_merge(app_, bindings_.merge));
    commands_.push_back(setup_formats(app_, bindings_.formats));
    help_ = setup_help(app_, bindings_.help_topic).app;
    // What CLI11 cannot place is kept, to be named with a suggestion rather than listed.
    for (const Subcommand& command : commands_)
        command.app->allow_extras();
    help_->allow_extras();
}

const CLI::App* CommandLine::find(std::string_view command) const {
    for (const CLI::App* sub : app_.get_subcommands([](const CLI::App*) { return true; })) {
        if (!sub->get_name().empty() && sub->get_name() == command) return sub;
    }
    return nullptr;
}

std::string CommandLine::help(std::string_view command) const {
    const CLI::App* chosen = command.empty() ? &app_ : find(command);
    return chosen ? help_text(*chosen) : std::string();
}

Error CommandLine::unknown_command(std::string_view word) const {
    std::vector<std::string> names;
    for (const CLI::App* sub : app_.get_subcommands([](const CLI::App*) { return true; })) {
        if (!sub->get_name().empty()) names.push_back(sub->get_name());
    }
    return usage_error({}, "unknown command '" + std::string(word) + "'" +
                               did_you_mean(word, names) + " (logsift help lists them)");
}

Error CommandLine::unknown_option(const CLI::App& command, std::string_view word) const {
    std::string name(word.substr(0, word.find('=')));
    if (name.empty() || name[0] != '-') {
        return usage_error({}, command.get_name() + ": unexpected argument '" + name + "'");
    }
    // An option another subcommand takes is refused here because it would change nothing.
    for (const Subcommand& other : commands_) {
        if (other.app == &command) continue;
        std::vector<std::string> names = option_names(*other.app);
        if (std::find(names.begin(), names.end(), name) != names.end()) {
            return usage_error({}, command.get_name() + " takes no " + name +
                                       " (it would not change what " + command.get_name() +
                                       " counts or writes)");
        }
    }
    return usage_error({}, command.get_name() + ": unknown option '" + name + "'" +
                               did_you_mean(name, option_names(command)));
}

Expected<Invocation> CommandLine::parse(int argc, const char* const* argv) {
    return parse(std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
}

Expected<Invocation> CommandLine::parse(const std::vector<std::string>& args) {
    // The top level takes only --help, --version and --config FILE: its first other word names
    // the command.
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--config") {
            ++i;
            continue;
        }
        if (!arg.empty() && arg[0] == '-') continue;
        if (!find(arg)) return unknown_command(arg);
        break;
    }
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app_.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        std::vector<CLI::App*> selected = app_.get_subcommands();
        return Invocation{help_text(selected.empty() ? app_ : *selected.front()), {}};
    } catch (const CLI::CallForAllHelp&) {
        return Invocation{help_text(app_), {}};
    } catch (const CLI::CallForVersion& version) {
        return Invocation{std::string(version.what()) + "\n", {}};
    } catch (const CLI::ParseError& error) {
        return usage_error({}, error.what());
    }
    for (const Subcommand& command : commands_) {
        if (!command.app->parsed()) continue;
        std::vector<std::string> extras = command.app->remaining();
        if (!extras.empty()) return unknown_option(*command.app, extras.front());
        return Invocation{{}, command.run};
    }
    std::vector<std::string> extras = help_->remaining();
    if (!extras.empty()) return unknown_option(*help_, extras.front());
    const std::string& topic = bindings_.help_topic;
    if (topic.empty()) return Invocation{help(), {}};
    const CLI::App* command = find(topic);
    if (!command) return unknown_command(topic);
    return Invocation{help(topic), {}};
}

}  // namespace logsift::cli
