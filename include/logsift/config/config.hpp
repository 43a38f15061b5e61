// Config: the plain option structs CLI11 binds to, and the one function per subcommand that
// validates them and builds the immutable objects a run needs. Nothing later reads raw options.
// Names of enumerations are turned into values by the command line (src/cli/options.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "logsift/aggregate/downloads.hpp"
#include "logsift/aggregate/summary.hpp"
#include "logsift/base/error.hpp"
#include "logsift/base/period.hpp"
#include "logsift/base/record.hpp"
#include "logsift/base/timestamp.hpp"
#include "logsift/format/format.hpp"
#include "logsift/input/input.hpp"
#include "logsift/output/output.hpp"
#include "logsift/reduce/client_key.hpp"
#include "logsift/reduce/filter.hpp"
#include "logsift/reduce/geo.hpp"
#include "logsift/reduce/k_anonymity.hpp"
#include "logsift/reduce/reduce.hpp"
#include "logsift/reduce/useragent.hpp"
#include "logsift/report/report.hpp"

namespace logsift {

// Raw options shared by every subcommand that reads logs.
struct InputOptions {
    std::vector<std::string> inputs;
    std::string format = "auto";
    std::string patterns_dir;
    std::size_t max_line = LineReader::default_max_line;
    unsigned ipv4_prefix = 24;
    unsigned ipv6_prefix = 48;
    TimeResolution time_resolution = TimeResolution::hour;
    bool utc = false;
    bool keep_query = false;
    bool keep_path_tokens = false;
    ClientSource client_ip = ClientSource::remote;
    std::vector<std::string> trusted_proxies;
    std::vector<std::string> site_hosts;
    std::string max_bad = "1%";
    bool strict = false;
    bool quiet = false;
    bool verbose = false;
    bool progress = false;
    bool no_progress = false;
    unsigned threads = 0;  // 0: one per core
    std::string ua_regexes;
    std::string geoip;  // a .mmdb; empty: Debian's geoip-database
    bool no_geoip = false;
    std::string key_file;  // empty: $LOGSIFT_KEY_FILE, else default_key_file()
    // Filters for incident work.
    std::vector<std::string> statuses;
    std::vector<std::string> methods;
    std::string path;
    std::vector<std::string> agent_classes;
    std::vector<std::string> vhosts;
    std::vector<std::string> clients;
    std::string since;
    std::string until;
};

struct ReduceCliOptions {
    InputOptions input;
    RecordFormat output_format = RecordFormat::tsv;
    std::vector<Column> fields;  // empty: every column
    bool header = false;
    std::string output;
    bool in_place = false;
    unsigned k_anonymity = 1;
    bool k_anonymity_given = false;  // else 1, or k_anonymity_in_place with --in-place
    KPeriod k_period = KPeriod::day;
    bool k_period_given = false;
};

enum class Report { downloads, sources, summary };

struct AggregateCliOptions {
    Report report = Report::summary;
    InputOptions input;
    std::vector<std::string> from;  // summaries to read instead of logs
    std::string downloads_rules;
    DownloadGrouping by = DownloadGrouping::resource;
    Period period = Period::day;
    bool include_bots = false;
    std::vector<Dimension> dimensions;  // empty: every dimension
    std::size_t top = 0;
    std::uint64_t min_clients = 0;
    std::size_t rows_in_memory = std::size_t{1} << 15;
    ReportFormat output_format = ReportFormat::tsv;
    bool output_format_given = false;  // else: table on a terminal, tsv otherwise
    bool header = false;
    std::string output;
};

struct MergeCliOptions {
    std::vector<std::string> inputs;
    std::string output;
};

struct FormatsCliOptions {
    std::string patterns_dir;
    std::string detect;
    bool verbose = false;
};

// What a run that reads logs needs, validated.
struct InputConfig {
    std::vector<std::string> inputs;  // "-" is stdin
    std::vector<Preset> presets;      // loaded when the format is auto
    std::optional<LogFormat> format;  // a fixed format; nullopt: detect per input
    std::string format_label;         // the preset name or "custom", for messages
    std::size_t max_line = LineReader::default_max_line;
    ReduceOptions reduce;
    double max_bad_fraction = 0.01;
    bool strict = false;
    bool quiet = false;
    bool verbose = false;
    bool progress = false;  // a progress line on stderr (a terminal, unless asked for)
    unsigned threads = 1;   // worker threads; 1 runs everything on the calling thread
    RecordFilter filter;
    std::optional<TimeBound> since;  // resolved into filter.since once the log's day is known
    std::optional<TimeBound> until;
    std::shared_ptr<const AgentParser> agents;       // null when nothing needs the agent
    std::shared_ptr<const CountryLookup> countries;  // null: countries stay empty
    std::shared_ptr<const ClientKey> client_key;     // null: records carry no client tokens
};

struct ReduceConfig {
    InputConfig input;
    RecordFormat output_format = RecordFormat::tsv;
    std::vector<Column> columns;
    bool header = false;
    std::string output_path;  // empty: stdout
    bool in_place = false;    // each input is replaced by its own records (no output_path)
    KSettings k_anonymity;    // k 1: every record as it comes
    // Bytes of records a run from standard input or a pipe holds in memory while their period
    // is open, before the rest goes to a temporary file ($LOGSIFT_K_MEMORY).
    std::size_t k_memory_bytes = std::size_t{32} << 20;
};

struct AggregateConfig {
    Report report = Report::summary;
    InputConfig input;  // unused with --from
    std::vector<std::string> from;
    std::unique_ptr<DownloadRules> rules;
    SummarySettings settings;
    std::vector<std::string> site_hosts;
    ReportOptions report_options;
    // Source rows a run keeps in memory before it moves the largest tables to a temporary
    // file (spill.hpp); SIZE_MAX never does.
    std::size_t rows_in_memory = SIZE_MAX;
    bool json_summary = false;  // summary --output-format json: the mergeable document
    std::string output_path;
};

struct MergeConfig {
    std::vector<std::string> inputs;  // "-" is stdin
    std::string output_path;
};

struct FormatsConfig {
    std::vector<Preset> presets;
    std::string detect_path;  // empty: list the presets
    bool verbose = false;
};

// Each fails with a usage error (Fault::usage, status 2) that names the option, or the file and
// line of a pattern file at fault; a format error's reason holds its caret line.
Expected<ReduceConfig> build_reduce_config(const ReduceCliOptions& options);
Expected<FormatsConfig> build_formats_config(const FormatsCliOptions& options);
Expected<AggregateConfig> build_aggregate_config(const AggregateCliOptions& options);
MergeConfig build_merge_config(const MergeCliOptions& options);

// Where patterns/ is: the option, else $LOGSIFT_PATTERNS_DIR, else next to the executable
// (PREFIX/share/logsift/patterns when installed, the source tree's patterns/ in a build tree).
std::string find_patterns_dir(const std::string& option);

}  // namespace logsift
