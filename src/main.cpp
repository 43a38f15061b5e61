// logsift's entry point: binds the command line to plain option structs, builds the run's
// config from them, and runs the chosen subcommand. The work lives in the stages.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <variant>

#include "logsift/base/diag.hpp"
#include "logsift/base/memory.hpp"
#include "logsift/base/process.hpp"
#include "logsift/base/signals.hpp"
#include "logsift/config/config.hpp"
#include "logsift/run/commands.hpp"

namespace {

using logsift::ExitCode;

// The profile-guided build's instrumented logsift (scripts/setup) defines this; it writes the
// counts it gathered, which exit would do and _Exit does not. Null in every other build.
extern "C" void __gcov_dump() __attribute__((weak));

// A run ends here with its output written: the system takes the memory back at once, where
// destroying the configuration (a thousand compiled user-agent rules) takes tens of
// milliseconds. Sanitizer builds return and destroy it all, for their leak check.
void end_now(ExitCode status) {
#ifndef __SANITIZE_ADDRESS__
    std::fflush(nullptr);
    if (__gcov_dump) __gcov_dump();
    std::_Exit(static_cast<int>(status));
#else
    (void)status;
#endif
}

// The options every subcommand that reads logs shares.
void add_input_options(CLI::App& command, logsift::InputOptions& options) {
    command.add_option("files", options.inputs,
                       "Access logs to read, plain or compressed (gzip, bzip2, xz, zstd; told "
                       "from their first bytes). None, or -, reads standard input.");
    command
        .add_option("-f,--format", options.format,
                    "A preset name (see `logsift formats`), `auto` to pick a preset per input "
                    "from its first lines, or the server's own format: an nginx log_format "
                    "string or an Apache LogFormat string (the whole directive may be pasted)")
        ->capture_default_str();
    command.add_option("--patterns-dir", options.patterns_dir,
                       "Directory holding the pattern files (formats, ...)");
    command
        .add_option("--max-line", options.max_line,
                    "Lines longer than this many bytes are skipped as bad")
        ->capture_default_str();
    command
        .add_option("--ipv4-prefix", options.ipv4_prefix,
                    "Bits of an IPv4 client address kept (0-32)")
        ->capture_default_str();
    command
        .add_option("--ipv6-prefix", options.ipv6_prefix,
                    "Bits of an IPv6 client address kept (0-128)")
        ->capture_default_str();
    command
        .add_option("--time-resolution", options.time_resolution,
                    "Truncate times to the second, minute, hour or day")
        ->capture_default_str();
    command.add_flag("--utc", options.utc,
                     "Print times in UTC instead of the offset the server logged");
    command.add_flag("--keep-query", options.keep_query,
                     "Keep the query string of the resource (it often holds personal data)");
    command.add_flag("--keep-path-tokens", options.keep_path_tokens,
                     "Keep path segments that look like e-mail addresses, UUIDs or tokens "
                     "instead of writing {email}, {uuid} or {token}");
    command
        .add_option("--client-ip", options.client_ip,
                    "Where the client address comes from: `remote` (the connection) or "
                    "`forwarded` (the right-most X-Forwarded-For address not inside a "
                    "--trusted-proxy)")
        ->capture_default_str();
    command
        .add_option("--trusted-proxy", options.trusted_proxies,
                    "A proxy network (CIDR) skipped in X-Forwarded-For; repeatable")
        ->allow_extra_args(false);
    command
        .add_option("--site-host", options.site_hosts,
                    "The site's own host names: any other vhost becomes (other), and "
                    "referrers from them are not sources (default: the vhost of each line, "
                    "when the format has one); repeatable or comma-separated")
        ->allow_extra_args(false);
    command
        .add_option("--max-bad", options.max_bad,
                    "Exit with status 1 when more than this percentage of lines is skipped")
        ->capture_default_str();
    command.add_flag("--strict", options.strict, "Stop with status 1 at the first bad line");
    command.add_flag("-q,--quiet", options.quiet, "Print no statistics at the end");
    command.add_flag("-v,--verbose", options.verbose,
                     "Name the format chosen for each input and every skipped line");
    command.add_flag("--progress", options.progress,
                     "Show bytes read, lines/s and the time left on one stderr line (default: "
                     "when stderr is a terminal and the inputs are files)");
    command.add_flag("--no-progress", options.no_progress, "Never show the progress line");
    command
        .add_option("--threads", options.threads,
                    "Worker threads (default: one per core); 1 runs without threads")
        ->capture_default_str();
    command.add_option("--geoip", options.geoip,
                       "A MaxMind DB (.mmdb with country.iso_code: GeoLite2-Country, DB-IP Lite) "
                       "for the country (default: Debian's geoip-database)");
    command.add_flag("--no-geoip", options.no_geoip, "Look up no countries");
    command.add_option("--ua-regexes", options.ua_regexes,
                       "uap-core's regexes.yaml (default: $LOGSIFT_UA_REGEXES, else "
                       "/usr/share/uap-core/regexes.yaml)");

    command
        .add_option("--status", options.statuses,
                    "Only these statuses or classes, e.g. 404,5xx; repeatable")
        ->allow_extra_args(false);
    command.add_option("--method", options.methods, "Only these methods, e.g. GET,POST")
        ->allow_extra_args(false);
    command.add_option("--path", options.path,
                       "Only resources this RE2 expression matches (unanchored)");
    command
        .add_option("--agent-class", options.agent_classes,
                    "Only these agent classes: bot, tool, browser, other")
        ->allow_extra_args(false);
    command.add_option("--vhost", options.vhosts, "Only these virtual hosts; repeatable")
        ->allow_extra_args(false);
    command
        .add_option("--client", options.clients,
                    "Only clients inside this network (CIDR or address), judged on the full "
                    "address; only the truncated network is printed; repeatable")
        ->allow_extra_args(false);
    command.add_option("--since", options.since,
                       "Only records at or after this time: ISO 8601 (2026-10-08T13:00+02:00), "
                       "a time of day (13:00, on the day of the last record of the last input, "
                       "in its offset), or relative (-2h, -7d, today, yesterday)");
    command.add_option("--until", options.until, "Only records before this time (as --since)");
}

// The options of downloads, sources and summary.
void add_aggregate_options(CLI::App& command, logsift::AggregateCliOptions& options) {
    add_input_options(command, options.input);
    command
        .add_option("--from", options.from,
                    "Read this JSON summary (from `logsift summary --output-format json`) "
                    "instead of logs; repeatable, merged")
        ->allow_extra_args(false);
    command.add_option("--downloads", options.downloads_rules,
                       "A downloads rules file replacing patterns/downloads");
    command.add_option("--period", options.period, "Count per day, week, month or all")
        ->capture_default_str();
    command.add_flag("--include-bots", options.include_bots,
                     "Count downloads by bots too (agent class bot)");
    command
        .add_option("--top", options.top,
                    "Keep this many rows per period (and per dimension); 0 keeps all")
        ->capture_default_str();
    command
        .add_option("--min-clients", options.min_clients,
                    "Fold rows with fewer distinct clients into one (other) row, and drop "
                    "that too when it stays below: k-anonymity for published tables")
        ->capture_default_str();
    command
        .add_option("--rows-in-memory", options.rows_in_memory,
                    "Keep about this many source rows in memory; past it, sorted runs of them "
                    "go to an unnamed file in $TMPDIR, merged back at the end; 0 keeps all")
        ->capture_default_str();
    command.add_option("--output-format", options.output_format,
                       "table, tsv, csv or json (default: table on a terminal, tsv otherwise)");
    command.add_flag("--header", options.header, "Write a header row (tsv, csv)");
    command.add_option("-o,--output", options.output,
                       "Write to this file instead of standard output");
}

// Options that shape a summary as it is made, and so cannot apply to --from.
void record_shaping_options(const CLI::App& command, logsift::AggregateCliOptions& options) {
    for (const char* name : {"--geoip",       "--no-geoip",        "--period", "--ipv4-prefix",
                             "--ipv6-prefix", "--time-resolution", "--utc",    "--include-bots",
                             "--downloads",   "--site-host",       "--format", "--client-ip",
                             "--status",      "--method",          "--path",   "--agent-class",
                             "--vhost",       "--client",          "--since",  "--until",
                             "--keep-query",  "--keep-path-tokens"}) {
        if (command.count(name) > 0) options.shaping_given.push_back(name);
    }
}

}  // namespace

int main(int argc, char** argv) {
    // Before any log byte is read: raw lines must never reach a core file.
    logsift::forbid_core_dumps();
    logsift::back_heap_with_huge_pages();
    CLI::App app{
        "logsift turns web-server access logs into privacy-safe facts: each line is reduced to a "
        "time bucket, a truncated client network, the method, the resource without its query, "
        "the status, the bytes, the user agent's product and version, and the referrer's host.",
        "logsift"};
    app.set_version_flag("--version", std::string("logsift ") + LOGSIFT_VERSION);
    app.require_subcommand(1);

    logsift::ReduceCliOptions reduce_options;
    CLI::App* reduce =
        app.add_subcommand("reduce", "Write one reduced record per parsed line, in input order");
    add_input_options(*reduce, reduce_options.input);
    reduce->add_option("--output-format", reduce_options.output_format, "tsv, csv or jsonl")
        ->capture_default_str();
    reduce->add_option("--fields", reduce_options.fields,
                       "Comma-separated columns to write, in this order (default: time network "
                       "method resource status bytes agent agent_version agent_class "
                       "referrer_host country vhost)");
    reduce->add_flag("--header", reduce_options.header, "Write a header row (tsv, csv)");
    reduce->add_option("-o,--output", reduce_options.output,
                       "Write to this file instead of standard output");
    reduce->add_flag("--in-place", reduce_options.in_place,
                     "Replace each FILE with its reduced records, atomically, with the same "
                     "codec, owner, group, mode and times; on any error the file stays as it was");

    logsift::AggregateCliOptions downloads_options;
    downloads_options.report = logsift::Report::downloads;
    CLI::App* downloads = app.add_subcommand(
        "downloads",
        "Count downloads per resource and period: GET requests answered 200 or 206 for a "
        "resource a downloads rule matches; a download is one distinct (network, agent, "
        "version) per resource and period, so range requests and retries count once");
    add_aggregate_options(*downloads, downloads_options);
    downloads
        ->add_option("--by", downloads_options.by,
                     "Group by resource, product or version (from the rule's captures)")
        ->capture_default_str();

    logsift::AggregateCliOptions sources_options;
    sources_options.report = logsift::Report::sources;
    CLI::App* sources = app.add_subcommand(
        "sources",
        "Summarize where traffic comes from per period: referrer hosts, networks, agents, "
        "agent classes and status classes, each with requests and distinct clients");
    add_aggregate_options(*sources, sources_options);
    sources
        ->add_option("--dimension", sources_options.dimensions,
                     "Only these dimensions: referrer_host, network, country, agent, "
                     "agent_class, status_class")
        ->allow_extra_args(false);

    logsift::AggregateCliOptions summary_options;
    summary_options.report = logsift::Report::summary;
    CLI::App* summary = app.add_subcommand(
        "summary",
        "Both reports; --output-format json writes a mergeable summary with every count and "
        "sketch and the settings that shaped them");
    add_aggregate_options(*summary, summary_options);
    summary
        ->add_option("--by", summary_options.by, "Group downloads by resource, product or version")
        ->capture_default_str();
    summary->add_option("--dimension", summary_options.dimensions, "Only these source dimensions")
        ->allow_extra_args(false);

    logsift::MergeCliOptions merge_options;
    CLI::App* merge = app.add_subcommand(
        "merge",
        "Combine JSON summaries of several runs, days or servers into one (exact counts, "
        "sketch union for distinct clients); they must share every setting");
    merge->add_option("summaries", merge_options.inputs,
                      "Summary files (plain or compressed); none, or -, reads standard input");
    merge->add_option("-o,--output", merge_options.output,
                      "Write to this file instead of standard output");

    logsift::FormatsCliOptions formats_options;
    CLI::App* formats = app.add_subcommand(
        "formats", "List the preset log formats, or say which one fits a log (--detect)");
    formats->add_option("--patterns-dir", formats_options.patterns_dir,
                        "Directory holding the pattern files (formats, ...)");
    formats->add_option("--detect", formats_options.detect,
                        "Print the preset that fits this log (- for standard input), the lines "
                        "it parsed of those sampled, and its parse rate");
    formats->add_flag("-v,--verbose", formats_options.verbose,
                      "With --detect, list every preset's parse rate");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        int code = app.exit(error);
        return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
    }

    // Signals first: a closed pipe or Ctrl-C must be handled from the first byte written.
    logsift::install_signal_handlers();

    ExitCode status = ExitCode::ok;
    for (auto [command, options] :
         {std::pair{downloads, &downloads_options}, std::pair{sources, &sources_options},
          std::pair{summary, &summary_options}}) {
        if (!command->parsed()) continue;
        record_shaping_options(*command, *options);
        auto config = logsift::build_aggregate_config(*options);
        if (auto* error = std::get_if<logsift::ConfigError>(&config)) {
            logsift::print_error(error->message);
            return static_cast<int>(ExitCode::usage);
        }
        status = logsift::run_aggregate(std::get<logsift::AggregateConfig>(config));
        end_now(status);
        return static_cast<int>(status);
    }
    if (reduce->parsed()) {
        auto config = logsift::build_reduce_config(reduce_options);
        if (auto* error = std::get_if<logsift::ConfigError>(&config)) {
            logsift::print_error(error->message);
            return static_cast<int>(ExitCode::usage);
        }
        status = logsift::run_reduce(std::get<logsift::ReduceConfig>(config));
    } else if (merge->parsed()) {
        status = logsift::run_merge(logsift::build_merge_config(merge_options));
    } else if (formats->parsed()) {
        auto config = logsift::build_formats_config(formats_options);
        if (auto* error = std::get_if<logsift::ConfigError>(&config)) {
            logsift::print_error(error->message);
            return static_cast<int>(ExitCode::usage);
        }
        status = logsift::run_formats(std::get<logsift::FormatsConfig>(config));
    }
    end_now(status);
    return static_cast<int>(status);
}
