// One setup function per subcommand. What a subcommand is offered follows what its run reads
// (src/run/): an option that could not change its output is not declared, so CLI11 refuses it.
#include "logsift/cli/commands.hpp"

#include "logsift/cli/options.hpp"
#include "logsift/run/commands.hpp"

namespace logsift::cli {
namespace {

// A config built, then run; the config's error is the run's.
template <class Config>
Expected<ExitCode> run_built(Expected<Config> config, ExitCode (*run)(const Config&)) {
    if (!config) return std::move(config).error();
    return run(*config);
}

// The counting options: what makes a row. Downloads need their rules and the bots question;
// sources count neither.
void add_counting_options(CLI::App& command, AggregateCliOptions& options, bool downloads) {
    CLI::Option_group& group = *command.add_option_group(counting_group);
    add_enum_option(group, "--period", options.period, period_names(),
                    "Count per day, week, month or all");
    group.add_option("--key-file", options.input.key_file,
                     "The client key: distinct clients are counted by keyed tokens of their "
                     "full address (default: $LOGSIFT_KEY_FILE, else /var/lib/logsift/key as "
                     "root, else $XDG_STATE_HOME/logsift/key; made on first use). Summaries "
                     "merge only under one key");
    if (downloads) {
        group.add_option("--downloads", options.downloads_rules,
                         "A downloads rules file replacing patterns/downloads");
        group.add_flag("--include-bots", options.include_bots,
                       "Count downloads by bots too (agent class bot)");
    }
}

// What downloads, sources and summary share; a summary read back with --from takes none of
// the options that shape one as it is made.
Subcommand setup_aggregate(CLI::App& command, AggregateCliOptions& options,
                           const RecordOffers& offers, bool downloads) {
    add_input_options(command, options.input);
    // Filters first: the record options of sources refer to --path.
    add_filter_options(command, options.input);
    add_record_options(command, options.input, offers);
    add_counting_options(command, options, downloads);
    add_report_options(command, options);
    command.callback([&command, &options] {
        options.output_format_given = command.count("--output-format") > 0;
        if (options.from.empty()) return;
        if (const CLI::Option* shaping = first_shaping_option(command)) {
            throw CLI::ValidationError(shaping->get_name() +
                                           " shapes a summary when it is made from logs; it does "
                                           "not apply to --from",
                                       CLI::ExitCodes::ValidationError);
        }
    });
    return {&command,
            [&options] { return run_built(build_aggregate_config(options), run_aggregate); }};
}

}  // namespace

Subcommand setup_reduce(CLI::App& app, ReduceCliOptions& options) {
    CLI::App& command =
        *app.add_subcommand("reduce", "Write one reduced record per parsed line, in input order");
    add_input_options(command, options.input);
    add_filter_options(command, options.input);
    add_record_options(command, options.input, RecordOffers{});
    CLI::Option_group& output = *command.add_option_group("Output");
    add_enum_option(output, "--output-format", options.output_format, record_format_names(),
                    "tsv, csv or jsonl");
    as_list(output.add_option("--fields", options.fields,
                              "Comma-separated columns to write, in this order (default: time "
                              "network method resource status bytes agent agent_version "
                              "agent_class referrer_host country vhost)"))
        ->transform(one_of(column_names()));
    output.add_flag("--header", options.header, "Write a header row (tsv, csv)");
    output.add_option("-o,--output", options.output,
                      "Write to this file instead of standard output");
    output.add_flag("--in-place", options.in_place,
                    "Replace each FILE with its reduced records, atomically, with the same "
                    "codec, owner, group, mode and times; on any error the file stays as it was");
    CLI::Option_group& anonymity = *command.add_option_group("k-anonymity");
    CLI::Option* k = anonymity
                         .add_option("--k-anonymity", options.k_anonymity,
                                     "Write a record only when at least K distinct client "
                                     "addresses share its network, agent, agent_version, "
                                     "country, referrer_host and vhost in its --k-period, "
                                     "generalizing them step by step until they do (1: off; "
                                     "default 1, or 5 with --in-place). Files are read twice; "
                                     "standard input is held until its period ends")
                         ->type_name("K");
    CLI::Option* period =
        add_enum_option(anonymity, "--k-period", options.k_period, k_period_names(),
                        "The period addresses are counted in for --k-anonymity: day, hour or "
                        "all (the whole run)");
    return {&command, [&options, k, period] {
                options.k_anonymity_given = k->count() > 0;
                options.k_period_given = period->count() > 0;
                return run_built(build_reduce_config(options), run_reduce);
            }};
}

// Downloads come from the records' times (not their truncated time column), resources and
// classes: --time-resolution changes nothing of them.
Subcommand setup_downloads(CLI::App& app, AggregateCliOptions& options) {
    options.report = Report::downloads;
    CLI::App& command = *app.add_subcommand(
        "downloads",
        "Count downloads per resource and period: GET requests answered 200 or 206 for a "
        "resource a downloads rule matches; a download is one distinct (network, agent, "
        "version) per resource and period, so range requests and retries count once");
    RecordOffers offers;
    offers.time_resolution = false;
    offers.country = false;  // a download row has no country
    Subcommand subcommand = setup_aggregate(command, options, offers, true);
    // Grouping is how a report is written, not how rows are made: --from takes it.
    add_enum_option(command, "--by", options.by, grouping_names(),
                    "Group by resource, product or version (from the rule's captures)");
    return subcommand;
}

// Sources count referrers, networks, countries, agents and status classes: no resource is
// kept (the path options change only what --path sees), no download is counted (no rules,
// no bots question), and no truncated time is written.
Subcommand setup_sources(CLI::App& app, AggregateCliOptions& options) {
    options.report = Report::sources;
    CLI::App& command = *app.add_subcommand(
        "sources",
        "Summarize where traffic comes from per period: referrer hosts, networks, agents, "
        "agent classes and status classes, each with requests and distinct clients");
    RecordOffers offers;
    offers.time_resolution = false;
    offers.keep_path = false;
    offers.keep_path_for_filter = true;
    Subcommand subcommand = setup_aggregate(command, options, offers, false);
    as_list(command.add_option("--dimension", options.dimensions,
                               "Only these dimensions: referrer_host, network, country, agent, "
                               "agent_class, status_class"))
        ->transform(one_of(dimension_names()));
    return subcommand;
}

// The JSON summary records every setting, the time resolution among them.
Subcommand setup_summary(CLI::App& app, AggregateCliOptions& options) {
    options.report = Report::summary;
    CLI::App& command = *app.add_subcommand(
        "summary",
        "Both reports; --output-format json writes a mergeable summary with every count and "
        "sketch and the settings that shaped them");
    Subcommand subcommand = setup_aggregate(command, options, RecordOffers{}, true);
    add_enum_option(command, "--by", options.by, grouping_names(),
                    "Group downloads by resource, product or version");
    as_list(command.add_option("--dimension", options.dimensions, "Only these source dimensions"))
        ->transform(one_of(dimension_names()));
    return subcommand;
}

// Merge reads summaries only: it gets none of the input, record, filter or counting options.
Subcommand setup_merge(CLI::App& app, MergeCliOptions& options) {
    CLI::App& command = *app.add_subcommand(
        "merge",
        "Combine JSON summaries of several runs, days or servers into one (exact counts, "
        "sketch union for distinct clients); they must share every setting");
    command.add_option("summaries", options.inputs,
                       "Summary files (plain or compressed); none, or -, reads standard input");
    command.add_option("-o,--output", options.output,
                       "Write to this file instead of standard output");
    return {&command,
            [&options] { return Expected<ExitCode>(run_merge(build_merge_config(options))); }};
}

Subcommand setup_formats(CLI::App& app, FormatsCliOptions& options) {
    CLI::App& command = *app.add_subcommand(
        "formats", "List the preset log formats, or say which one fits a log (--detect)");
    command.add_option("--patterns-dir", options.patterns_dir,
                       "Directory holding the pattern files (formats, ...)");
    CLI::Option* detect =
        command.add_option("--detect", options.detect,
                           "Print the preset that fits this log (- for standard input), the "
                           "lines it parsed of those sampled, and its parse rate");
    // The list of presets has nothing more to say.
    command
        .add_flag("-v,--verbose", options.verbose, "With --detect, list every preset's parse rate")
        ->needs(detect);
    return {&command, [&options] { return run_built(build_formats_config(options), run_formats); }};
}

Subcommand setup_help(CLI::App& app, std::string& topic) {
    CLI::App& command = *app.add_subcommand(
        "help", "Print the help of a subcommand (as `logsift COMMAND --help`), or this help");
    command.add_option("command", topic, "The subcommand");
    return {&command, {}};
}

}  // namespace logsift::cli
