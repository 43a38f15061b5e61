// Config: turns raw option strings into validated, immutable objects, or one clear error.
// Every check that can fail without reading input happens here, before any input is opened.
#include "logsift/config/config.hpp"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <thread>
#include <tuple>

#include "logsift/base/diag.hpp"
#include "logsift/config/key_file.hpp"
#include "logsift/reduce/hosts.hpp"

namespace logsift {
namespace {

namespace fs = std::filesystem;

bool looks_like_format_string(const std::string& text) {
    return text.find('$') != std::string::npos || text.find('%') != std::string::npos;
}

std::string preset_names(const std::vector<Preset>& presets) {
    std::string names;
    for (const Preset& preset : presets) {
        if (!names.empty()) names += ", ";
        names += preset.name;
    }
    return names;
}

Expected<std::vector<Preset>> load_formats(const std::string& patterns_option) {
    return load_presets(find_patterns_dir(patterns_option) + "/formats");
}

std::optional<double> parse_max_bad(std::string text) {
    if (!text.empty() && text.back() == '%') text.pop_back();
    double percent = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), percent);
    if (error != std::errc{} || end != text.data() + text.size() || percent < 0 || percent > 100) {
        return std::nullopt;
    }
    return percent / 100.0;
}

Expected<std::shared_ptr<const AgentParser>> load_agents(const InputOptions& options) {
    std::string extra = find_patterns_dir(options.patterns_dir) + "/agents.yaml";
    auto loaded = AgentParser::load(find_ua_regexes(options.ua_regexes), extra);
    if (!loaded) return std::move(loaded).error();
    std::shared_ptr<const AgentParser> parser = std::move(*loaded);
    if (options.verbose) {
        for (const std::string& skipped : parser->skipped_patterns()) {
            print_warning("user-agent pattern skipped: " + skipped);
        }
    }
    return parser;
}

// patterns/resources is optional: a patterns directory made before it existed asks for no
// templates. A file that is there must be right.
Expected<void> load_resource_templates(const InputOptions& options, ReduceOptions& reduce) {
    std::string path = find_patterns_dir(options.patterns_dir) + "/resources";
    std::error_code error;
    if (!fs::exists(path, error)) return {};
    auto loaded = ResourceTemplates::load(path);
    if (!loaded) return std::move(loaded).error();
    reduce.resource_templates = std::move(*loaded);
    return {};
}

Expected<void> build_filters(const InputOptions& options, InputConfig& config) {
    RecordFilter::Spec spec;
    spec.statuses = options.statuses;
    spec.methods = options.methods;
    spec.path = options.path;
    spec.agent_classes = options.agent_classes;
    spec.vhosts = options.vhosts;
    auto filter = RecordFilter::build(spec);
    if (!filter) return std::move(filter).error();
    config.filter = std::move(*filter);
    for (const std::string& text : options.clients) {
        std::optional<Cidr> cidr = parse_cidr(text);
        if (!cidr) return usage_error({}, "--client '" + text + "' is not an address or CIDR");
        config.reduce.client_filter.push_back(*cidr);
    }
    const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
    for (auto [text, bound, name] : {std::tuple{&options.since, &config.since, "--since"},
                                     std::tuple{&options.until, &config.until, "--until"}}) {
        if (text->empty()) continue;
        Expected<TimeBound> parsed = parse_time_bound(*text, now);
        if (!parsed) {
            return usage_error({},
                               std::string(name) + ": '" + *text + "': " + parsed.error().reason);
        }
        *bound = *parsed;
        if ((*bound)->kind == TimeBound::Kind::instant) {
            (name == std::string_view("--since") ? config.filter.since : config.filter.until) =
                (*bound)->seconds;
        }
    }
    return {};
}

// A database named with --geoip must open; the default one may be missing, which costs the
// country column only, with one warning saying how to get it.
Expected<void> load_countries(const InputOptions& options, InputConfig& config) {
    if (options.no_geoip) return {};
    Expected<std::unique_ptr<CountryLookup>> lookup = CountryLookup::open(options.geoip);
    if (!lookup) {
        const std::string& reason = lookup.error().reason;
        if (!options.geoip.empty()) return usage_error({}, "--geoip: " + reason);
        if (!options.quiet)
            print_warning(reason + " (countries stay empty; --no-geoip silences this)");
        return {};
    }
    if (options.verbose) print_note("countries from " + (*lookup)->description());
    config.countries = std::move(*lookup);
    config.reduce.countries = config.countries.get();
    return {};
}

Expected<InputConfig> build_input_config(const InputOptions& options, bool needs_agents,
                                         bool needs_countries) {
    InputConfig config;
    config.inputs = options.inputs.empty() ? std::vector<std::string>{"-"} : options.inputs;
    config.max_line = options.max_line;
    config.strict = options.strict;
    config.quiet = options.quiet;
    config.verbose = options.verbose;
    // By default only for a person at a terminal watching files go by; never in pipes or cron.
    config.progress = !options.no_progress &&
                      (options.progress ||
                       (!options.quiet && ::isatty(STDERR_FILENO) &&
                        std::none_of(config.inputs.begin(), config.inputs.end(), is_live_input)));
    config.threads =
        options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    if (config.threads > 256) return usage_error({}, "--threads must be between 1 and 256");
    if (options.max_line < 64) return usage_error({}, "--max-line must be at least 64 bytes");
    if (options.ipv4_prefix > 32) return usage_error({}, "--ipv4-prefix must be between 0 and 32");
    if (options.ipv6_prefix > 128) {
        return usage_error({}, "--ipv6-prefix must be between 0 and 128");
    }

    ReduceOptions& reduce = config.reduce;
    reduce.ipv4_prefix = options.ipv4_prefix;
    reduce.ipv6_prefix = options.ipv6_prefix;
    reduce.utc = options.utc;
    reduce.keep_query = options.keep_query;
    reduce.keep_path_tokens = options.keep_path_tokens;
    if (auto loaded = load_resource_templates(options, reduce); !loaded) {
        return std::move(loaded).error();
    }
    reduce.resolution = options.time_resolution;
    reduce.client_source = options.client_ip;
    for (const std::string& text : options.trusted_proxies) {
        std::optional<Cidr> cidr = parse_cidr(text);
        if (!cidr) {
            return usage_error({}, "--trusted-proxy '" + text + "' is not an address or CIDR");
        }
        reduce.trusted_proxies.push_back(*cidr);
    }
    for (const std::string& text : options.site_hosts) {
        std::optional<std::string> name = normalize_host_name(text);
        if (!name) return usage_error({}, "--site-host '" + text + "' is not a host name");
        reduce.site_hosts.push_back(*name);
    }
    auto max_bad = parse_max_bad(options.max_bad);
    if (!max_bad) {
        return usage_error({},
                           "--max-bad must be a percentage from 0 to 100, like 1% or 0.5, "
                           "not '" +
                               options.max_bad + "'");
    }
    config.max_bad_fraction = *max_bad;
    if (auto built = build_filters(options, config); !built) return std::move(built).error();
    if (needs_agents || config.filter.needs_agent()) {
        auto agents = load_agents(options);
        if (!agents) return std::move(agents).error();
        config.agents = std::move(*agents);
    }
    if (needs_countries) {
        if (auto loaded = load_countries(options, config); !loaded) {
            return std::move(loaded).error();
        }
    }

    if (looks_like_format_string(options.format)) {
        auto compiled = LogFormat::compile(options.format);
        if (!compiled) {
            return usage_error({},
                               "--format: " + show_format_error(compiled.error(), options.format));
        }
        config.format = std::move(*compiled);
        config.format_label = "custom";
        return config;
    }
    auto presets = load_formats(options.patterns_dir);
    if (!presets) return std::move(presets).error();
    config.presets = std::move(*presets);
    if (options.format == "auto") {
        config.format_label = "auto";
        return config;
    }
    for (const Preset& preset : config.presets) {
        if (preset.name == options.format) {
            config.format = preset.format;
            config.format_label = preset.name;
            return config;
        }
    }
    return usage_error({}, "--format: no preset named '" + options.format +
                               "' (presets: " + preset_names(config.presets) +
                               "); a format string needs $variables (nginx) or %directives "
                               "(Apache)");
}

}  // namespace

std::string find_patterns_dir(const std::string& option) {
    if (!option.empty()) return option;
    if (const char* env = std::getenv("LOGSIFT_PATTERNS_DIR"); env && *env) return env;
    std::error_code error;
    fs::path exe = fs::read_symlink("/proc/self/exe", error);
    if (!error) {
        fs::path bin_dir = exe.parent_path();
        for (const fs::path& candidate :
             {bin_dir / "../share/logsift/patterns", bin_dir / "../patterns"}) {
            if (fs::exists(candidate / "formats", error)) {
                return fs::weakly_canonical(candidate, error).string();
            }
        }
    }
    // A build tree outside the source tree, or a binary copied elsewhere, still finds the
    // patterns it was built with; the install prefix's come first once installed.
    for (const char* candidate : {LOGSIFT_INSTALL_PATTERNS_DIR, LOGSIFT_SOURCE_PATTERNS_DIR}) {
        if (fs::exists(fs::path(candidate) / "formats", error)) return candidate;
    }
    return LOGSIFT_INSTALL_PATTERNS_DIR;
}

namespace {

// $LOGSIFT_K_MEMORY: bytes, or with a suffix k, M or G (powers of 1024).
Expected<std::size_t> k_memory_bytes(std::size_t fallback) {
    const char* env = std::getenv("LOGSIFT_K_MEMORY");
    if (env == nullptr || *env == '\0') return fallback;
    std::string_view text = env;
    unsigned shift = 0;
    switch (text.back()) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'M':
            shift = 20;
            break;
        case 'G':
            shift = 30;
            break;
        default:
            break;
    }
    if (shift != 0) text.remove_suffix(1);
    std::size_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value > (SIZE_MAX >> shift)) {
        return usage_error({}, "LOGSIFT_K_MEMORY must be a number of bytes (suffix k, M or G)");
    }
    return value << shift;
}

// --k-anonymity and --k-period: k 1 writes every record as it comes, as reduce always has.
Expected<void> build_k_anonymity(const ReduceCliOptions& options, ReduceConfig& config) {
    unsigned k = options.k_anonymity_given ? options.k_anonymity
                 : options.in_place        ? k_anonymity_in_place
                                           : 1;
    if (k < 1 || k > k_anonymity_max) {
        return usage_error(
            {}, "--k-anonymity must be between 1 (off) and " + std::to_string(k_anonymity_max));
    }
    if (k == 1 && options.k_period_given) {
        return usage_error({},
                           "--k-period applies to --k-anonymity 2 or more (or --in-place, "
                           "which makes it 5)");
    }
    config.k_anonymity.k = k;
    config.k_anonymity.period = options.k_period;
    config.k_anonymity.utc = options.input.utc;
    Expected<std::size_t> memory = k_memory_bytes(config.k_memory_bytes);
    if (!memory) return std::move(memory).error();
    config.k_memory_bytes = *memory;
    return {};
}

}  // namespace

Expected<ReduceConfig> build_reduce_config(const ReduceCliOptions& options) {
    ReduceConfig config;
    if (options.in_place) {
        if (!options.output.empty()) {
            return usage_error({},
                               "--in-place replaces each input with its records: it takes no -o");
        }
        if (options.input.inputs.empty()) {
            return usage_error({}, "--in-place needs at least one file");
        }
        for (const std::string& input : options.input.inputs) {
            if (input == "-")
                return usage_error({}, "--in-place cannot replace standard input (-)");
        }
        config.in_place = true;
    }
    // Columns decide whether user agents are parsed at all: it is the costliest step.
    std::vector<Column> columns = options.fields;
    if (columns.empty()) {
        for (std::size_t i = 0; i < column_count; ++i)
            columns.push_back(Column(i));
    }
    if (auto built = build_k_anonymity(options, config); !built) return std::move(built).error();
    // Classes are made of all six quasi-identifier columns, printed or not.
    const bool k_anonymous = config.k_anonymity.k > 1;
    bool needs_agents =
        k_anonymous || std::any_of(columns.begin(), columns.end(), [](Column column) {
            return column == Column::agent || column == Column::agent_version ||
                   column == Column::agent_class;
        });
    bool needs_countries =
        k_anonymous || std::find(columns.begin(), columns.end(), Column::country) != columns.end();
    config.columns = std::move(columns);

    auto input = build_input_config(options.input, needs_agents, needs_countries);
    if (!input) return std::move(input).error();
    config.input = std::move(*input);
    config.k_anonymity.threads = config.input.threads;
    if (k_anonymous) {
        // Addresses are counted by tokens under a key of this run only: nothing to keep.
        config.input.client_key = std::make_shared<const ClientKey>(ClientKey::ephemeral(0));
        config.input.reduce.client_key = config.input.client_key.get();
    }
    config.output_format = options.output_format;
    config.header = options.header;
    config.output_path = options.output == "-" ? std::string{} : options.output;
    return config;
}

Expected<FormatsConfig> build_formats_config(const FormatsCliOptions& options) {
    FormatsConfig config;
    auto presets = load_formats(options.patterns_dir);
    if (!presets) return std::move(presets).error();
    config.presets = std::move(*presets);
    config.detect_path = options.detect;
    config.verbose = options.verbose;
    return config;
}

Expected<AggregateConfig> build_aggregate_config(const AggregateCliOptions& options) {
    AggregateConfig config;
    config.report = options.report;
    config.from = options.from;
    if (!options.from.empty()) {
        if (!options.input.inputs.empty()) {
            return usage_error({}, "--from reads summaries instead of logs: give one or the other");
        }
    } else {
        // Download rows have no country: downloads looks none up.
        auto input = build_input_config(options.input, true, options.report != Report::downloads);
        if (!input) return std::move(input).error();
        config.input = std::move(*input);

        std::string rules_path = options.downloads_rules.empty()
                                     ? find_patterns_dir(options.input.patterns_dir) + "/downloads"
                                     : options.downloads_rules;
        auto rules = DownloadRules::load(rules_path);
        if (!rules) return std::move(rules).error();
        config.rules = std::move(*rules);
    }

    SummarySettings& settings = config.settings;
    if (options.from.empty()) {
        std::string key_file = options.input.key_file;
        if (const char* env = std::getenv("LOGSIFT_KEY_FILE"); key_file.empty() && env)
            key_file = env;
        bool created = false;
        Expected<ClientKey::Bytes> key = load_or_create_key(key_file, &created);
        if (!key) return std::move(key).error();
        if (created && !options.input.quiet) {
            print_note("made a new client key in " +
                       (key_file.empty() ? default_key_file() : key_file) +
                       ": keep it to merge this summary with later ones (--key-file)");
        }
        config.input.client_key = std::make_shared<const ClientKey>(*key, dimension_count);
        sodium_memzero(key->data(), key->size());
        config.input.reduce.client_key = config.input.client_key.get();
        settings.key_id = config.input.client_key->id();
    }
    settings.ipv4_prefix = options.input.ipv4_prefix;
    settings.ipv6_prefix = options.input.ipv6_prefix;
    settings.time_resolution = config.input.reduce.resolution;
    settings.utc = options.input.utc;
    settings.include_bots = options.include_bots;
    settings.period = options.period;
    config.site_hosts = config.input.reduce.site_hosts;

    ReportOptions& report = config.report_options;
    report.by = options.by;
    report.dimensions = options.dimensions;
    report.top = options.top;
    report.min_clients = options.min_clients;
    config.rows_in_memory = options.rows_in_memory == 0 ? SIZE_MAX : options.rows_in_memory;
    report.rows_in_memory = config.rows_in_memory;
    report.header = options.header;

    if (options.output_format_given) {
        report.format = options.output_format;
    } else {
        bool terminal = options.output.empty() && ::isatty(STDOUT_FILENO);
        report.format = terminal ? ReportFormat::table : ReportFormat::tsv;
    }
    config.json_summary = report.format == ReportFormat::json && options.report == Report::summary;
    // A summary is merged and reported later: a row under k today may reach k once merged,
    // and a summary folded here could not be merged exactly.
    if (config.json_summary && options.min_clients > 0) {
        return usage_error({},
                           "--min-clients: thresholds apply to reports, not to a mergeable "
                           "JSON summary; give it to the report made from the summary "
                           "(--from)");
    }
    config.output_path = options.output == "-" ? std::string{} : options.output;
    return config;
}

MergeConfig build_merge_config(const MergeCliOptions& options) {
    MergeConfig config;
    config.inputs = options.inputs.empty() ? std::vector<std::string>{"-"} : options.inputs;
    config.output_path = options.output == "-" ? std::string{} : options.output;
    return config;
}

}  // namespace logsift
