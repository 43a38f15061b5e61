// Config: turns raw option strings into validated, immutable objects, or one clear error.
// Every check that can fail without reading input happens here, before any input is opened.
#include "logsift/config.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <system_error>

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

std::variant<std::vector<Preset>, ConfigError> load_formats(const std::string& patterns_option) {
    std::string path = find_patterns_dir(patterns_option) + "/formats";
    auto loaded = load_presets(path);
    if (auto* error = std::get_if<PresetError>(&loaded)) {
        std::string where = error->file;
        if (error->line > 0) where.append(":").append(std::to_string(error->line));
        return ConfigError{where + ": " + error->reason};
    }
    return std::get<std::vector<Preset>>(std::move(loaded));
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

std::optional<TimeResolution> parse_resolution(const std::string& text) {
    if (text == "second") return TimeResolution::second;
    if (text == "minute") return TimeResolution::minute;
    if (text == "hour") return TimeResolution::hour;
    if (text == "day") return TimeResolution::day;
    return std::nullopt;
}

std::variant<InputConfig, ConfigError> build_input_config(const InputOptions& options) {
    InputConfig config;
    config.inputs = options.inputs.empty() ? std::vector<std::string>{"-"} : options.inputs;
    config.max_line = options.max_line;
    config.strict = options.strict;
    config.quiet = options.quiet;
    config.verbose = options.verbose;
    if (options.max_line < 64) return ConfigError{"--max-line must be at least 64 bytes"};
    if (options.ipv4_prefix > 32) return ConfigError{"--ipv4-prefix must be between 0 and 32"};
    if (options.ipv6_prefix > 128) return ConfigError{"--ipv6-prefix must be between 0 and 128"};

    ReduceOptions& reduce = config.reduce;
    reduce.ipv4_prefix = options.ipv4_prefix;
    reduce.ipv6_prefix = options.ipv6_prefix;
    reduce.utc = options.utc;
    reduce.keep_query = options.keep_query;
    auto resolution = parse_resolution(options.time_resolution);
    if (!resolution) {
        return ConfigError{"--time-resolution must be second, minute, hour or day, not '" +
                           options.time_resolution + "'"};
    }
    reduce.resolution = *resolution;
    if (options.client_ip == "remote") {
        reduce.client_source = ClientSource::remote;
    } else if (options.client_ip == "forwarded") {
        reduce.client_source = ClientSource::forwarded;
    } else {
        return ConfigError{"--client-ip must be remote or forwarded, not '" + options.client_ip +
                           "'"};
    }
    for (const std::string& text : options.trusted_proxies) {
        std::optional<Cidr> cidr = parse_cidr(text);
        if (!cidr) return ConfigError{"--trusted-proxy '" + text + "' is not an address or CIDR"};
        reduce.trusted_proxies.push_back(*cidr);
    }
    auto max_bad = parse_max_bad(options.max_bad);
    if (!max_bad) {
        return ConfigError{"--max-bad must be a percentage from 0 to 100, like 1% or 0.5, not '" +
                           options.max_bad + "'"};
    }
    config.max_bad_fraction = *max_bad;

    if (looks_like_format_string(options.format)) {
        auto compiled = LogFormat::compile(options.format);
        if (auto* error = std::get_if<FormatError>(&compiled)) {
            return ConfigError{"--format: " + error->render()};
        }
        config.format = std::get<LogFormat>(std::move(compiled));
        config.format_label = "custom";
        return config;
    }
    auto presets = load_formats(options.patterns_dir);
    if (auto* error = std::get_if<ConfigError>(&presets)) return *error;
    config.presets = std::get<std::vector<Preset>>(std::move(presets));
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
    return ConfigError{"--format: no preset named '" + options.format + "' (presets: " +
                       preset_names(config.presets) +
                       "); a format string needs $variables (nginx) or %directives (Apache)"};
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
    return "/usr/share/logsift/patterns";
}

std::variant<ReduceConfig, ConfigError> build_reduce_config(const ReduceCliOptions& options) {
    ReduceConfig config;
    auto input = build_input_config(options.input);
    if (auto* error = std::get_if<ConfigError>(&input)) return *error;
    config.input = std::get<InputConfig>(std::move(input));

    if (options.output_format == "tsv") {
        config.output_format = RecordFormat::tsv;
    } else if (options.output_format == "csv") {
        config.output_format = RecordFormat::csv;
    } else if (options.output_format == "jsonl") {
        config.output_format = RecordFormat::jsonl;
    } else {
        return ConfigError{"--output-format must be tsv, csv or jsonl, not '" +
                           options.output_format + "'"};
    }
    if (options.fields.empty()) {
        for (std::size_t i = 0; i < column_count; ++i) config.columns.push_back(Column(i));
    } else {
        std::string_view rest = options.fields;
        while (true) {
            std::size_t comma = rest.find(',');
            std::string_view name = rest.substr(0, comma);
            std::optional<Column> column = column_from_name(name);
            if (!column) {
                std::string known;
                for (std::size_t i = 0; i < column_count; ++i) {
                    if (i > 0) known += ' ';
                    known += column_name(Column(i));
                }
                return ConfigError{"--fields: unknown field '" + std::string(name) +
                                   "' (fields: " + known + ")"};
            }
            config.columns.push_back(*column);
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    config.header = options.header;
    config.output_path = options.output == "-" ? std::string{} : options.output;
    return config;
}

std::variant<FormatsConfig, ConfigError> build_formats_config(const FormatsCliOptions& options) {
    FormatsConfig config;
    auto presets = load_formats(options.patterns_dir);
    if (auto* error = std::get_if<ConfigError>(&presets)) return *error;
    config.presets = std::get<std::vector<Preset>>(std::move(presets));
    config.detect_path = options.detect;
    config.verbose = options.verbose;
    return config;
}

}  // namespace logsift
