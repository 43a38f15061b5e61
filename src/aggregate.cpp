// Aggregates: records -> per-period download and source rows; summaries merge row by row, and
// travel as versioned JSON. Distinct clients are sketches of hashed (network, agent, version),
// so a summary never holds a raw value.
#include "logsift/aggregate.hpp"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

namespace logsift {
namespace {

constexpr int summary_version = 1;
constexpr std::string_view dimension_names[] = {"referrer_host", "network",     "country",
                                                "agent",         "agent_class", "status_class"};
constexpr std::string_view time_resolution_names[] = {"second", "minute", "hour", "day"};

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// The parts one after another at the start of buffer, by plain copies: these keys are built for
// every record. The buffer only grows, so a record costs no resize (which would write zeros).
std::string_view join(std::string& buffer, std::initializer_list<std::string_view> parts) {
    std::size_t size = 0;
    for (std::string_view part : parts)
        size += part.size();
    if (buffer.size() < size) buffer.resize(size);
    char* out = buffer.data();
    for (std::string_view part : parts) {
        if (!part.empty()) std::memcpy(out, part.data(), part.size());
        out += part.size();
    }
    return {buffer.data(), size};
}

bool add_checked(std::uint64_t& total, std::uint64_t value) {
    return !__builtin_add_overflow(total, value, &total);
}

std::optional<TimeResolution> time_resolution_from_name(std::string_view name) {
    for (std::size_t i = 0; i < std::size(time_resolution_names); ++i) {
        if (time_resolution_names[i] == name) return TimeResolution(i);
    }
    return std::nullopt;
}

}  // namespace

std::string_view dimension_name(Dimension dimension) {
    return dimension_names[static_cast<std::size_t>(dimension)];
}

std::optional<Dimension> dimension_from_name(std::string_view name) {
    for (std::size_t i = 0; i < dimension_count; ++i) {
        if (dimension_names[i] == name) return Dimension(i);
    }
    return std::nullopt;
}

std::optional<std::string> Summary::merge(Summary&& other) {
    if (!add_checked(lines_read, other.lines_read) ||
        !add_checked(lines_parsed, other.lines_parsed)) {
        return "line counts overflow";
    }
    for (auto& [label, theirs] : other.periods) {
        auto [found, inserted] = periods.try_emplace(label, std::move(theirs));
        if (inserted) continue;
        PeriodSummary& ours = found->second;
        for (auto [resource, row] : theirs.downloads) {
            auto [mine, added] = ours.downloads.try_emplace(resource, std::move(row));
            if (added) continue;
            if (!add_checked(mine->requests, row.requests) ||
                !add_checked(mine->bytes, row.bytes)) {
                return "download counts overflow";
            }
            mine->clients.merge(row.clients);
        }
        theirs.downloads.clear();
        for (std::size_t index = 0; index < dimension_count; ++index) {
            for (auto [value, row] : theirs.sources[index]) {
                auto [mine, added] = ours.sources[index].try_emplace(value, std::move(row));
                if (added) continue;
                if (!add_checked(mine->requests, row.requests)) return "source counts overflow";
                mine->clients.merge(row.clients);
            }
            // Freed table by table: the merged rows never sit twice in memory.
            theirs.sources[index].clear();
        }
    }
    other.periods.clear();
    return std::nullopt;
}

Aggregator::Aggregator(const SummarySettings& settings, const DownloadRules& rules,
                       std::vector<std::string> site_hosts)
    : rules_(rules), site_hosts_(std::move(site_hosts)) {
    summary_.settings = settings;
}

PeriodSummary& Aggregator::period_rows(const Record& record) {
    char label[16];
    std::string_view name;
    if (summary_.settings.period == Period::all) {
        if (current_) return *current_;
        name = "all";
    } else if (!record.logged_time) {
        name = "unknown";
        last_known_ = false;
    } else {
        const Timestamp& time = *record.logged_time;
        std::int64_t bucket = (time.seconds + std::int64_t{time.offset_minutes} * 60) / 3600;
        if (current_ && last_known_ && bucket == last_bucket_ &&
            time.offset_minutes == last_offset_) {
            return *current_;
        }
        last_bucket_ = bucket;
        last_offset_ = time.offset_minutes;
        last_known_ = true;
        name = {label, format_period(time, summary_.settings.period, summary_.settings.utc, label)};
    }
    auto found = summary_.periods.find(name);
    if (found == summary_.periods.end())
        found = summary_.periods.emplace(name, PeriodSummary{}).first;
    if (&found->second != current_) {
        current_ = &found->second;
        last_ = {};
    }
    return *current_;
}

std::optional<DownloadMatch> Aggregator::match_download(std::string_view resource) {
    constexpr std::size_t cache_limit = 1 << 16;
    const CachedMatch* found = download_cache_.find(resource);
    if (!found) {
        if (download_cache_.size() >= cache_limit) download_cache_.clear();
        CachedMatch cached;
        if (std::optional<DownloadMatch> match = rules_.match(resource)) {
            auto offset = [&](std::string_view part) {
                return static_cast<std::uint32_t>(part.empty() ? 0 : part.data() - resource.data());
            };
            cached = {true, offset(match->product),
                      static_cast<std::uint32_t>(match->product.size()), offset(match->version),
                      static_cast<std::uint32_t>(match->version.size())};
        }
        found = download_cache_.try_emplace(resource, cached).first;
    }
    const CachedMatch& cached = *found;
    if (!cached.download) return std::nullopt;
    return DownloadMatch{resource.substr(cached.product_at, cached.product_size),
                         resource.substr(cached.version_at, cached.version_size)};
}

void Aggregator::add_source(PeriodSummary& rows, Dimension dimension, std::string_view value,
                            std::uint64_t client) {
    auto index = static_cast<std::size_t>(dimension);
    SourceCounts*& last = last_[index];
    if (!last || !StringMap<SourceCounts>::has_key(*last, value)) {
        last = rows.sources[index].try_emplace(value).first;
    }
    ++last->requests;
    last->clients.add(client);
}

void Aggregator::add(const Record& record) {
    ++summary_.lines_parsed;
    PeriodSummary& rows = period_rows(record);

    // One client: the network and the software it ran, as far as the log can tell them apart.
    constexpr std::string_view separator("\0", 1);
    const std::uint64_t client = stable_hash(join(
        client_key_, {record.network, separator, record.agent, separator, record.agent_version}));

    bool download_status = record.status && (*record.status == 200 || *record.status == 206);
    bool counted_agent = summary_.settings.include_bots || record.agent_class != "bot";
    if (record.method == "GET" && download_status && counted_agent) {
        if (std::optional<DownloadMatch> match = match_download(record.resource)) {
            auto [row_at, added] = rows.downloads.try_emplace(record.resource);
            DownloadCounts& row = *row_at;
            if (added) {
                row.product = match->product;
                row.version = match->version;
            }
            ++row.requests;
            row.bytes += record.bytes.value_or(0);
            row.clients.add(client);
        }
    }

    if (!record.referrer_host.empty()) {
        bool own = equals_ignoring_case(record.referrer_host, record.vhost);
        for (const std::string& host : site_hosts_) {
            own = own || equals_ignoring_case(record.referrer_host, host);
        }
        if (!own) add_source(rows, Dimension::referrer_host, record.referrer_host, client);
    }
    if (!record.network.empty()) add_source(rows, Dimension::network, record.network, client);
    if (!record.country.empty()) add_source(rows, Dimension::country, record.country, client);
    if (!record.agent.empty()) {
        const std::string_view agent =
            record.agent_version.empty() ? record.agent
                                         : join(agent_, {record.agent, " ", record.agent_version});
        add_source(rows, Dimension::agent, agent, client);
    }
    if (!record.agent_class.empty()) {
        add_source(rows, Dimension::agent_class, record.agent_class, client);
    }
    if (record.status) {
        char status_class[3] = {static_cast<char>('0' + *record.status / 100 % 10), 'x', 'x'};
        add_source(rows, Dimension::status_class, {status_class, 3}, client);
    }
}

Summary Aggregator::take_summary() {
    Summary taken = std::move(summary_);
    summary_ = Summary{};
    summary_.settings = taken.settings;
    current_ = nullptr;
    last_ = {};
    last_known_ = false;
    return taken;
}

std::string settings_mismatch(const SummarySettings& a, const SummarySettings& b) {
    if (a.ipv4_prefix != b.ipv4_prefix) return "ipv4_prefix";
    if (a.ipv6_prefix != b.ipv6_prefix) return "ipv6_prefix";
    if (a.period != b.period) return "period";
    if (a.time_resolution != b.time_resolution) return "time_resolution";
    if (a.utc != b.utc) return "utc";
    if (a.include_bots != b.include_bots) return "include_bots";
    return {};
}

std::string summary_to_json(const Summary& summary) {
    using nlohmann::ordered_json;
    ordered_json document;
    document["logsift_summary"] = summary_version;
    const SummarySettings& settings = summary.settings;
    document["settings"] = {
        {"ipv4_prefix", settings.ipv4_prefix},
        {"ipv6_prefix", settings.ipv6_prefix},
        {"period", period_name(settings.period)},
        {"time_resolution",
         time_resolution_names[static_cast<std::size_t>(settings.time_resolution)]},
        {"utc", settings.utc},
        {"include_bots", settings.include_bots},
    };
    document["lines"] = {{"read", summary.lines_read}, {"parsed", summary.lines_parsed}};

    // Rows sorted by period, then resource; sources by period, dimension name, then value:
    // the order is part of the format, so equal summaries give equal bytes.
    ordered_json download_rows = ordered_json::array();
    ordered_json source_rows = ordered_json::array();
    std::array<std::size_t, dimension_count> by_name;
    for (std::size_t i = 0; i < dimension_count; ++i)
        by_name[i] = i;
    std::sort(by_name.begin(), by_name.end(),
              [](std::size_t a, std::size_t b) { return dimension_names[a] < dimension_names[b]; });
    for (const auto& [label, rows] : summary.periods) {
        std::vector<std::pair<std::string_view, const DownloadCounts*>> downloads;
        for (auto [resource, row] : rows.downloads)
            downloads.emplace_back(resource, &row);
        std::sort(downloads.begin(), downloads.end());
        for (const auto& [resource, row] : downloads) {
            download_rows.push_back({{"period", label},
                                     {"resource", resource},
                                     {"product", row->product},
                                     {"version", row->version},
                                     {"requests", row->requests},
                                     {"bytes", row->bytes},
                                     {"clients", row->clients.serialize()}});
        }
        for (std::size_t index : by_name) {
            std::vector<std::pair<std::string_view, const SourceCounts*>> sources;
            for (auto [value, row] : rows.sources[index])
                sources.emplace_back(value, &row);
            std::sort(sources.begin(), sources.end());
            for (const auto& [value, row] : sources) {
                source_rows.push_back({{"period", label},
                                       {"dimension", dimension_names[index]},
                                       {"value", value},
                                       {"requests", row->requests},
                                       {"clients", row->clients.serialize()}});
            }
        }
    }
    document["downloads"] = std::move(download_rows);
    document["sources"] = std::move(source_rows);
    // Raw bytes that are not UTF-8 (resources are kept as sent) must not make the dump throw.
    return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

namespace {

using nlohmann::json;

struct JsonError {
    std::string message;
};

const json& member(const json& object, const char* name, const std::string& where) {
    if (!object.is_object() || !object.contains(name)) {
        throw JsonError{where + ": missing \"" + name + "\""};
    }
    return object.at(name);
}

std::uint64_t count(const json& object, const char* name, const std::string& where) {
    const json& value = member(object, name, where);
    if (!value.is_number_unsigned()) {
        throw JsonError{where + ": \"" + name + "\" must be a whole number from 0 to 2^64-1"};
    }
    return value.get<std::uint64_t>();
}

std::string text(const json& object, const char* name, const std::string& where) {
    const json& value = member(object, name, where);
    if (!value.is_string()) throw JsonError{where + ": \"" + name + "\" must be a string"};
    return value.get<std::string>();
}

bool flag(const json& object, const char* name, const std::string& where) {
    const json& value = member(object, name, where);
    if (!value.is_boolean()) throw JsonError{where + ": \"" + name + "\" must be true or false"};
    return value.get<bool>();
}

DistinctCounter counter(const json& object, const std::string& where) {
    std::optional<DistinctCounter> clients =
        DistinctCounter::deserialize(text(object, "clients", where));
    if (!clients) throw JsonError{where + ": \"clients\" is not a valid sketch"};
    return std::move(*clients);
}

std::string period_key(const std::string& period, const std::string& where) {
    if (period.empty() || period.size() > 16 || period.find('\0') != std::string::npos) {
        throw JsonError{where + ": \"period\" is not a period label"};
    }
    return period;
}

Summary parse_summary(const json& document) {
    if (!document.is_object()) throw JsonError{"not a logsift summary (not a JSON object)"};
    if (!document.contains("logsift_summary")) {
        throw JsonError{"not a logsift summary (no \"logsift_summary\" version)"};
    }
    const json& version = document.at("logsift_summary");
    if (!version.is_number_integer() || version.get<std::int64_t>() != summary_version) {
        throw JsonError{"unsupported summary version (this logsift reads version " +
                        std::to_string(summary_version) + ")"};
    }
    Summary summary;
    const json& settings = member(document, "settings", "settings");
    std::uint64_t ipv4 = count(settings, "ipv4_prefix", "settings");
    std::uint64_t ipv6 = count(settings, "ipv6_prefix", "settings");
    if (ipv4 > 32 || ipv6 > 128) throw JsonError{"settings: prefix length out of range"};
    summary.settings.ipv4_prefix = static_cast<unsigned>(ipv4);
    summary.settings.ipv6_prefix = static_cast<unsigned>(ipv6);
    std::optional<Period> period = parse_period(text(settings, "period", "settings"));
    if (!period) throw JsonError{"settings: unknown \"period\""};
    summary.settings.period = *period;
    std::optional<TimeResolution> resolution =
        time_resolution_from_name(text(settings, "time_resolution", "settings"));
    if (!resolution) throw JsonError{"settings: unknown \"time_resolution\""};
    summary.settings.time_resolution = *resolution;
    summary.settings.utc = flag(settings, "utc", "settings");
    summary.settings.include_bots = flag(settings, "include_bots", "settings");

    const json& lines = member(document, "lines", "lines");
    summary.lines_read = count(lines, "read", "lines");
    summary.lines_parsed = count(lines, "parsed", "lines");

    const json& downloads = member(document, "downloads", "downloads");
    if (!downloads.is_array()) throw JsonError{"\"downloads\" must be an array"};
    for (std::size_t i = 0; i < downloads.size(); ++i) {
        const std::string where = "downloads[" + std::to_string(i) + "]";
        const json& item = downloads[i];
        const std::string label = period_key(text(item, "period", where), where);
        std::string resource = text(item, "resource", where);
        DownloadCounts row;
        row.product = text(item, "product", where);
        row.version = text(item, "version", where);
        row.requests = count(item, "requests", where);
        row.bytes = count(item, "bytes", where);
        row.clients = counter(item, where);
        if (!summary.periods[label].downloads.try_emplace(resource, std::move(row)).second) {
            throw JsonError{where + ": repeats an earlier row"};
        }
    }
    const json& sources = member(document, "sources", "sources");
    if (!sources.is_array()) throw JsonError{"\"sources\" must be an array"};
    for (std::size_t i = 0; i < sources.size(); ++i) {
        const std::string where = "sources[" + std::to_string(i) + "]";
        const json& item = sources[i];
        const std::string label = period_key(text(item, "period", where), where);
        std::optional<Dimension> dimension = dimension_from_name(text(item, "dimension", where));
        if (!dimension) throw JsonError{where + ": unknown \"dimension\""};
        std::string value = text(item, "value", where);
        SourceCounts row;
        row.requests = count(item, "requests", where);
        row.clients = counter(item, where);
        auto& table = summary.periods[label].sources[static_cast<std::size_t>(*dimension)];
        if (!table.try_emplace(value, std::move(row)).second) {
            throw JsonError{where + ": repeats an earlier row"};
        }
    }
    return summary;
}

}  // namespace

std::variant<Summary, std::string> summary_from_json(std::string_view text_value) {
    json document = json::parse(text_value.begin(), text_value.end(), nullptr, false);
    if (document.is_discarded()) return std::string("not valid JSON");
    try {
        return parse_summary(document);
    } catch (const JsonError& error) {
        return error.message;
    } catch (const json::exception&) {
        return std::string("not a logsift summary");
    }
}

}  // namespace logsift
