// Aggregator: counts each reduced record into the rows of its period (downloads by resource,
// sources by dimension and value). The per-record work is here: keys are joined in reused
// buffers, the small dimensions' last rows are remembered, rule answers are cached.
#include "logsift/aggregate/aggregator.hpp"

#include <xxhash.h>

#include "logsift/base/ascii.hpp"
#include "logsift/reduce/client_key.hpp"
#include "logsift/reduce/useragent.hpp"

namespace logsift {

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

SourceCounts& Aggregator::source_row(PeriodSummary& rows, Dimension dimension,
                                     std::string_view value) {
    auto index = static_cast<std::size_t>(dimension);
    SourceCounts*& last = last_[index];
    if (!last || !StringMap<SourceCounts>::has_key(*last, value)) {
        last = rows.sources[index].try_emplace(value).first;
    }
    return *last;
}

void Aggregator::add(const Record& record) {
    ++summary_.lines_parsed;
    PeriodSummary& rows = period_rows(record);

    // A line is counted in several rows, and the large ones (a row per network; the
    // distinct-client registers of every agent and country) are mostly out of cache: each is
    // located and its memory requested first, and counted once the others are on their way.
    // The network row takes two steps (its slot, then its row).
    auto& networks = rows.sources[static_cast<std::size_t>(Dimension::network)];
    const std::uint64_t network_hash =
        record.network.empty() ? 0 : StringMap<SourceCounts>::hash_of(record.network);
    if (!record.network.empty()) networks.prefetch_slot(network_hash);

    // The agent's keys come made by the agent cache; a record made otherwise gets them here.
    std::string_view agent_row = record.agent_with_version;
    std::string_view agent_part = record.agent_client_part;
    if (agent_part.empty()) {
        make_agent_keys(record.agent, record.agent_version, agent_, agent_part_);
        agent_row = agent_;
        agent_part = agent_part_;
    }
    // Each dimension counts its own token of the client, so that no value in the rows of one
    // dimension can be found in another's.
    const ClientTokens& client = record.client ? *record.client : unkeyed_client(record);
    auto token = [&](Dimension dimension) {
        return client.source[static_cast<std::size_t>(dimension)];
    };

    std::array<SourceCounts*, dimension_count> counted{};
    auto locate = [&](Dimension dimension, std::string_view value) {
        SourceCounts& row = source_row(rows, dimension, value);
        row.clients.prefetch(token(dimension));
        counted[static_cast<std::size_t>(dimension)] = &row;
    };
    if (!record.referrer_host.empty()) {
        bool own = ascii::iequals(record.referrer_host, record.vhost);
        for (const std::string& host : site_hosts_) {
            own = own || ascii::iequals(record.referrer_host, host);
        }
        if (!own) locate(Dimension::referrer_host, record.referrer_host);
    }
    if (!record.country.empty()) locate(Dimension::country, record.country);
    if (!record.network.empty()) networks.prefetch_row(network_hash);
    if (!record.agent.empty()) locate(Dimension::agent, agent_row);
    if (!record.agent_class.empty()) locate(Dimension::agent_class, record.agent_class);
    char status_class[3] = {};
    if (record.status) {
        status_class[0] = static_cast<char>('0' + *record.status / 100 % 10);
        status_class[1] = status_class[2] = 'x';
        locate(Dimension::status_class, {status_class, 3});
    }

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
            const DownloadTokens tokens = ClientKey::download_tokens(
                client, match->product.empty() ? record.resource : match->product, agent_part,
                download_scratch_);
            row.clients.add(tokens.client);
            row.addresses.add(tokens.address);
        }
    }

    for (std::size_t index = 0; index < dimension_count; ++index) {
        if (SourceCounts* row = counted[index]) {
            ++row->requests;
            row->clients.add(client.source[index]);
        }
    }
    if (!record.network.empty()) {
        SourceCounts& row = *networks.try_emplace_hashed(record.network, network_hash).first;
        ++row.requests;
        row.clients.add(token(Dimension::network));
    }
}

const ClientTokens& Aggregator::unkeyed_client(const Record& record) {
    for (std::size_t index = 0; index < dimension_count; ++index)
        unkeyed_.source[index] =
            XXH3_64bits_withSeed(record.network.data(), record.network.size(), index);
    unkeyed_.download_key = {unkeyed_.source[0], unkeyed_.source[1]};
    return unkeyed_;
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

Summary Aggregator::take_largest_tables(std::size_t keep_rows) {
    struct Table {
        std::size_t rows;
        PeriodSummary* period;
        std::string_view label;
        int index;  // a dimension, or -1 for the downloads
    };
    std::vector<Table> tables;
    for (auto& [label, period] : summary_.periods) {
        tables.push_back({period.downloads.size(), &period, label, -1});
        for (std::size_t index = 0; index < dimension_count; ++index)
            tables.push_back({period.sources[index].size(), &period, label, int(index)});
    }
    std::size_t rows = summary_.row_count();
    std::sort(tables.begin(), tables.end(),
              [](const Table& a, const Table& b) { return a.rows > b.rows; });

    Summary taken;
    taken.settings = summary_.settings;
    taken.lines_parsed = std::exchange(summary_.lines_parsed, 0);
    for (const Table& table : tables) {
        if (rows <= keep_rows) break;
        rows -= table.rows;
        PeriodSummary& to = taken.periods[std::string(table.label)];
        if (table.index < 0) {
            to.downloads = std::exchange(table.period->downloads, {});
        } else {
            to.sources[table.index] = std::exchange(table.period->sources[table.index], {});
            if (table.period == current_) last_[table.index] = nullptr;
        }
    }
    return taken;
}

}  // namespace logsift
