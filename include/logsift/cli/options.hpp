// The option groups subcommands share, and the validators that turn option text into enums.
// A subcommand gets only the groups, and the options inside them, that change what it does:
// anything else is refused by CLI11 as an unknown option.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "logsift/config/config.hpp"

namespace logsift::cli {

// The groups of options that shape the records or rows a summary is made of: they apply when a
// summary is made from logs, never to one read back with --from.
inline constexpr const char* records_group = "Records";
inline constexpr const char* filters_group = "Filters";
inline constexpr const char* counting_group = "Counting";

// Which of the optional record options a subcommand offers.
struct RecordOffers {
    bool time_resolution = true;        // only where a time column or a JSON summary is written
    bool keep_path = true;              // --keep-query and --keep-path-tokens: a resource is kept
    bool keep_path_for_filter = false;  // ...or only read by --path (they need --path then)
    bool country = true;                // --geoip, --no-geoip: a country column or dimension
};

// Names for an enumeration's values, in the order help lists them.
template <class Enum>
using NameMap = std::vector<std::pair<std::string, Enum>>;

NameMap<TimeResolution> time_resolution_names();
NameMap<ClientSource> client_source_names();
NameMap<Period> period_names();
NameMap<KPeriod> k_period_names();
NameMap<DownloadGrouping> grouping_names();
NameMap<RecordFormat> record_format_names();
NameMap<ReportFormat> report_format_names();
NameMap<Column> column_names();
NameMap<Dimension> dimension_names();

// Accepts exactly the names, as CLI::IsMember does, and converts them to their enum value
// through CLI::CheckedTransformer; anything else fails with "must be one of a, b, c".
template <class Enum>
CLI::Validator one_of(const NameMap<Enum>& names) {
    std::vector<std::string> keys;
    std::string list;
    for (const auto& [name, value] : names) {
        keys.push_back(name);
        if (!list.empty()) list += ", ";
        list += name;
    }
    // Held by pointer: their forwarding constructors would take a copy for a set.
    auto member = std::make_shared<const CLI::IsMember>(keys);
    auto convert = std::make_shared<const CLI::CheckedTransformer>(names);
    return CLI::Validator(
        [member, convert, list](std::string& value) -> std::string {
            std::string text = value;
            if (!(*member)(text).empty()) {
                if (value.empty()) return "must be one of " + list + ", not empty";
                return "must be one of " + list + ", not '" + value + "'";
            }
            return (*convert)(value);
        },
        "{" + list + "}");
}

// The name of an enum value, for help's [default].
template <class Enum>
std::string name_of(const NameMap<Enum>& names, Enum value) {
    for (const auto& [name, each] : names) {
        if (each == value) return name;
    }
    return {};
}

// An option bound to an enum, checked and converted by one_of, its default shown by name.
template <class Enum>
CLI::Option* add_enum_option(CLI::App& app, const std::string& name, Enum& value,
                             const NameMap<Enum>& names, const std::string& help) {
    return app.add_option(name, value, help)
        ->transform(one_of(names))
        ->type_name("NAME")
        ->default_str(name_of(names, value));
}

// A comma-separated, repeatable list: CLI11 splits it; an empty item is an error.
CLI::Option* as_list(CLI::Option* option);

// The log files, how they are read, and what is said about them (every subcommand that reads
// logs). Not a shaping group: none of these change a record.
void add_input_options(CLI::App& command, InputOptions& options);
// The options that decide what a record holds (the group named records_group).
void add_record_options(CLI::App& command, InputOptions& options, const RecordOffers& offers);
// The incident filters (filters_group).
void add_filter_options(CLI::App& command, InputOptions& options);

// What downloads, sources and summary share besides the input: where the rows come from
// (--from), how they are ranked and written.
void add_report_options(CLI::App& command, AggregateCliOptions& options);

// The first option of a shaping group given on the command line, or null.
const CLI::Option* first_shaping_option(const CLI::App& command);

}  // namespace logsift::cli
