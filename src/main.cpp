// logsift's entry point: binds the command line to plain option structs, builds the run's
// config from them, and runs the chosen subcommand. The work lives in the stages.
#include <CLI/CLI.hpp>
#include <variant>

#include "logsift/config.hpp"
#include "logsift/diag.hpp"
#include "logsift/pipeline.hpp"

namespace {

using logsift::ExitCode;

// The options every subcommand that reads logs shares.
void add_input_options(CLI::App& command, logsift::InputOptions& options) {
    command.add_option("files", options.inputs,
                       "Access logs to read, plain or compressed (gzip, bzip2, xz, zstd; told "
                       "from their first bytes). None, or -, reads standard input.");
    command.add_option("-f,--format", options.format,
                       "A preset name (see `logsift formats`), `auto` to pick a preset per input "
                       "from its first lines, or the server's own format: an nginx log_format "
                       "string or an Apache LogFormat string (the whole directive may be pasted)")
        ->capture_default_str();
    command.add_option("--patterns-dir", options.patterns_dir,
                       "Directory holding the pattern files (formats, ...)");
    command.add_option("--max-line", options.max_line,
                       "Lines longer than this many bytes are skipped as bad")
        ->capture_default_str();
    command.add_option("--ipv4-prefix", options.ipv4_prefix,
                       "Bits of an IPv4 client address kept (0-32)")
        ->capture_default_str();
    command.add_option("--ipv6-prefix", options.ipv6_prefix,
                       "Bits of an IPv6 client address kept (0-128)")
        ->capture_default_str();
    command.add_option("--time-resolution", options.time_resolution,
                       "Truncate times to the second, minute, hour or day")
        ->capture_default_str();
    command.add_flag("--utc", options.utc,
                     "Print times in UTC instead of the offset the server logged");
    command.add_flag("--keep-query", options.keep_query,
                     "Keep the query string of the resource (it often holds personal data)");
    command.add_option("--client-ip", options.client_ip,
                       "Where the client address comes from: `remote` (the connection) or "
                       "`forwarded` (the right-most X-Forwarded-For address not inside a "
                       "--trusted-proxy)")
        ->capture_default_str();
    command.add_option("--trusted-proxy", options.trusted_proxies,
                       "A proxy network (CIDR) skipped in X-Forwarded-For; repeatable");
    command.add_option("--max-bad", options.max_bad,
                       "Exit with status 1 when more than this percentage of lines is skipped")
        ->capture_default_str();
    command.add_flag("--strict", options.strict, "Stop with status 1 at the first bad line");
    command.add_flag("-q,--quiet", options.quiet, "Print no statistics at the end");
    command.add_flag("-v,--verbose", options.verbose,
                     "Name the format chosen for each input and every skipped line");
}

}  // namespace

int main(int argc, char** argv) {
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
                       "referrer_host vhost)");
    reduce->add_flag("--header", reduce_options.header, "Write a header row (tsv, csv)");
    reduce->add_option("-o,--output", reduce_options.output,
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
    if (reduce->parsed()) {
        auto config = logsift::build_reduce_config(reduce_options);
        if (auto* error = std::get_if<logsift::ConfigError>(&config)) {
            logsift::print_error(error->message);
            return static_cast<int>(ExitCode::usage);
        }
        status = logsift::run_reduce(std::get<logsift::ReduceConfig>(config));
    } else if (formats->parsed()) {
        auto config = logsift::build_formats_config(formats_options);
        if (auto* error = std::get_if<logsift::ConfigError>(&config)) {
            logsift::print_error(error->message);
            return static_cast<int>(ExitCode::usage);
        }
        status = logsift::run_formats(std::get<logsift::FormatsConfig>(config));
    }
    return static_cast<int>(status);
}
