// The option groups subcommands share. Help texts live here, next to the option they describe;
// the man page (OPTIONS) is their long form.
#include "logsift/cli/options.hpp"

#include <initializer_list>

namespace logsift::cli {
namespace {

template <class Enum, std::size_t count>
NameMap<Enum> names_from(std::string_view (*name)(Enum)) {
    NameMap<Enum> names;
    for (std::size_t i = 0; i < count; ++i)
        names.emplace_back(std::string(name(Enum(i))), Enum(i));
    return names;
}

}  // namespace

NameMap<TimeResolution> time_resolution_names() {
    return names_from<TimeResolution, time_resolution_count>(time_resolution_name);
}
NameMap<ClientSource> client_source_names() {
    return {{"remote", ClientSource::remote}, {"forwarded", ClientSource::forwarded}};
}
NameMap<Period> period_names() {
    NameMap<Period> names;
    for (Period period : {Period::day, Period::week, Period::month, Period::all})
        names.emplace_back(std::string(period_name(period)), period);
    return names;
}
NameMap<KPeriod> k_period_names() {
    return names_from<KPeriod, k_period_count>(k_period_name);
}
NameMap<DownloadGrouping> grouping_names() {
    return {{"resource", DownloadGrouping::resource},
            {"product", DownloadGrouping::product},
            {"version", DownloadGrouping::version}};
}
NameMap<RecordFormat> record_format_names() {
    return {{"tsv", RecordFormat::tsv}, {"csv", RecordFormat::csv}, {"jsonl", RecordFormat::jsonl}};
}
NameMap<ReportFormat> report_format_names() {
    return {{"table", ReportFormat::table},
            {"tsv", ReportFormat::tsv},
            {"csv", ReportFormat::csv},
            {"json", ReportFormat::json}};
}
NameMap<Column> column_names() {
    return names_from<Column, column_count>(column_name);
}
NameMap<Dimension> dimension_names() {
    return names_from<Dimension, dimension_count>(dimension_name);
}

CLI::Option* as_list(CLI::Option* option) {
    return option->delimiter(',')->allow_extra_args(false)->check(CLI::Validator(
        [](const std::string& value) {
            return value.empty() ? std::string("an item of the list is empty") : std::string();
        },
        ""));
}

void add_input_options(CLI::App& command, InputOptions& options) {
    command.add_option("files", options.inputs,
                       "Access logs to read, plain or compressed (gzip, bzip2, xz, zstd; told "
                       "from their first bytes). None, or -, reads standard input.");
    CLI::Option_group& group = *command.add_option_group("Input");
    group.add_option("--patterns-dir", options.patterns_dir,
                     "Directory holding the pattern files (formats, ...)");
    group
        .add_option("--max-line", options.max_line,
                    "Lines longer than this many bytes are skipped as bad")
        ->capture_default_str();
    group
        .add_option("--trusted-proxy", options.trusted_proxies,
                    "A proxy network (CIDR) skipped in X-Forwarded-For; repeatable")
        ->allow_extra_args(false);
    group
        .add_option("--max-bad", options.max_bad,
                    "Exit with status 1 when more than this percentage of lines is skipped")
        ->capture_default_str();
    group.add_flag("--strict", options.strict, "Stop with status 1 at the first bad line");
    group.add_flag("-q,--quiet", options.quiet, "Print no statistics at the end");
    group.add_flag("-v,--verbose", options.verbose,
                   "Name the format chosen for each input and every skipped line");
    group.add_flag("--progress", options.progress,
                   "Show bytes read, lines/s and the time left on one stderr line (default: "
                   "when stderr is a terminal and the inputs are files)");
    group.add_flag("--no-progress", options.no_progress, "Never show the progress line");
    group
        .add_option("--threads", options.threads,
                    "Worker threads (default: one per core); 1 runs without threads")
        ->capture_default_str();
    group.add_option("--ua-regexes", options.ua_regexes,
                     "uap-core's regexes.yaml (default: $LOGSIFT_UA_REGEXES, else "
                     "/usr/share/uap-core/regexes.yaml)");
}

void add_record_options(CLI::App& command, InputOptions& options, const RecordOffers& offers) {
    CLI::Option_group& group = *command.add_option_group(records_group);
    group
        .add_option("-f,--format", options.format,
                    "A preset name (see `logsift formats`), `auto` to pick a preset per input "
                    "from its first lines, or the server's own format: an nginx log_format "
                    "string or an Apache LogFormat string (the whole directive may be pasted)")
        ->capture_default_str();
    group
        .add_option("--ipv4-prefix", options.ipv4_prefix,
                    "Bits of an IPv4 client address kept (0-32)")
        ->capture_default_str();
    group
        .add_option("--ipv6-prefix", options.ipv6_prefix,
                    "Bits of an IPv6 client address kept (0-128)")
        ->capture_default_str();
    if (offers.time_resolution) {
        add_enum_option(group, "--time-resolution", options.time_resolution,
                        time_resolution_names(),
                        "Truncate times to the second, minute, hour or day");
    }
    group.add_flag("--utc", options.utc,
                   "Print times in UTC instead of the offset the server logged");
    if (offers.keep_path || offers.keep_path_for_filter) {
        std::string only = offers.keep_path ? "" : " (only what --path matches against)";
        CLI::Option* query = group.add_flag(
            "--keep-query", options.keep_query,
            "Keep the query string of the resource (it often holds personal data)" + only);
        CLI::Option* tokens = group.add_flag(
            "--keep-path-tokens", options.keep_path_tokens,
            "Keep path segments that look like e-mail addresses, UUIDs or tokens instead of "
            "writing {email}, {uuid} or {token}" +
                only);
        if (!offers.keep_path) {
            // Nothing of the path is written: these change only what --path sees.
            CLI::Option* path = command.get_option("--path");
            query->needs(path);
            tokens->needs(path);
        }
    }
    add_enum_option(group, "--client-ip", options.client_ip, client_source_names(),
                    "Where the client address comes from: `remote` (the connection) or "
                    "`forwarded` (the right-most X-Forwarded-For address not inside a "
                    "--trusted-proxy)");
    as_list(group.add_option(
        "--site-host", options.site_hosts,
        "The site's own host names: any other vhost becomes (other), and referrers from them "
        "are not sources (default: the vhost of each line, when the format has one); "
        "repeatable or comma-separated"));
    if (offers.country) {
        group.add_option("--geoip", options.geoip,
                         "A MaxMind DB (.mmdb with country.iso_code: GeoLite2-Country, DB-IP "
                         "Lite) for the country (default: Debian's geoip-database)");
        group.add_flag("--no-geoip", options.no_geoip, "Look up no countries");
    }
}

void add_filter_options(CLI::App& command, InputOptions& options) {
    CLI::Option_group& group = *command.add_option_group(filters_group);
    as_list(group.add_option("--status", options.statuses,
                             "Only these statuses or classes, e.g. 404,5xx; repeatable"));
    as_list(group.add_option("--method", options.methods, "Only these methods, e.g. GET,POST"));
    group.add_option("--path", options.path,
                     "Only resources this RE2 expression matches (unanchored)");
    as_list(group.add_option("--agent-class", options.agent_classes,
                             "Only these agent classes: bot, tool, browser, other"))
        ->check(CLI::IsMember({"bot", "tool", "browser", "other"}));
    as_list(group.add_option("--vhost", options.vhosts, "Only these virtual hosts; repeatable"));
    group
        .add_option("--client", options.clients,
                    "Only clients inside this network (CIDR or address), judged on the full "
                    "address; only the truncated network is printed; repeatable")
        ->allow_extra_args(false);
    group.add_option("--since", options.since,
                     "Only records at or after this time: ISO 8601 (2026-10-08T13:00+02:00), a "
                     "time of day (13:00, on the day of the last record of the last input, in "
                     "its offset), or relative (-2h, -7d, today, yesterday)");
    group.add_option("--until", options.until, "Only records before this time (as --since)");
}

void add_report_options(CLI::App& command, AggregateCliOptions& options) {
    CLI::Option_group& group = *command.add_option_group("Report");
    group
        .add_option("--from", options.from,
                    "Read this JSON summary (from `logsift summary --output-format json`) "
                    "instead of logs; repeatable, merged")
        ->allow_extra_args(false);
    group
        .add_option("--top", options.top,
                    "Keep this many rows per period (and per dimension); 0 keeps all")
        ->capture_default_str();
    group
        .add_option("--min-clients", options.min_clients,
                    "Fold rows with fewer distinct clients into one (other) row, and drop that "
                    "too when it stays below: k-anonymity for published tables")
        ->capture_default_str();
    group
        .add_option("--rows-in-memory", options.rows_in_memory,
                    "Keep about this many source rows in memory; past it, sorted runs of them "
                    "go to an unnamed file in $TMPDIR, merged back at the end; 0 keeps all")
        ->capture_default_str();
    add_enum_option(group, "--output-format", options.output_format, report_format_names(),
                    "table, tsv, csv or json (default: table on a terminal, tsv otherwise)")
        ->default_str("");
    group.add_flag("--header", options.header, "Write a header row (tsv, csv)");
    group.add_option("-o,--output", options.output,
                     "Write to this file instead of standard output");
}

const CLI::Option* first_shaping_option(const CLI::App& command) {
    for (const char* name : {records_group, filters_group, counting_group}) {
        for (const CLI::App* group : command.get_subcommands([&](const CLI::App* sub) {
                 return sub->get_group() == name || sub->get_name() == name;
             })) {
            for (const CLI::Option* option : group->get_options()) {
                if (option->count() > 0) return option;
            }
        }
    }
    return nullptr;
}

}  // namespace logsift::cli
