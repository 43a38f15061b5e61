// Summaries merge row by row: in memory (the per-thread summaries of a run, the inputs of
// `merge`), and through the runs that spilled to disk, which are merged by value, split over
// two threads when they are large. Distinct clients are sketches of keyed client tokens
// (reduce/client_key.hpp), so a summary never holds a raw value.
#include "logsift/aggregate/summary.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <thread>
#include <utility>

namespace logsift {
namespace {

constexpr std::string_view dimension_names[] = {"referrer_host", "network",     "country",
                                                "agent",         "agent_class", "status_class"};

bool add_checked(std::uint64_t& total, std::uint64_t value) {
    return !__builtin_add_overflow(total, value, &total);
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

Expected<void> Summary::merge(Summary&& other) {
    if (!add_checked(lines_read, other.lines_read) ||
        !add_checked(lines_parsed, other.lines_parsed)) {
        return input_error({}, "line counts overflow");
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
                return input_error({}, "download counts overflow");
            }
            mine->clients.merge(row.clients);
            mine->addresses.merge(row.addresses);
        }
        theirs.downloads.clear();
        for (std::size_t index = 0; index < dimension_count; ++index) {
            for (auto [value, row] : theirs.sources[index]) {
                auto [mine, added] = ours.sources[index].try_emplace(value, std::move(row));
                if (added) continue;
                if (!add_checked(mine->requests, row.requests)) {
                    return input_error({}, "source counts overflow");
                }
                mine->clients.merge(row.clients);
            }
            // Freed table by table: the merged rows never sit twice in memory.
            theirs.sources[index].clear();
        }
    }
    other.periods.clear();
    for (auto& [table, runs] : other.spilled) {
        std::vector<SpillRun>& ours = spilled[table];
        ours.insert(ours.end(), runs.begin(), runs.end());
    }
    other.spilled.clear();
    return {};
}

std::size_t Summary::row_count() const {
    std::size_t rows = 0;
    for (const auto& [label, period] : periods) {
        rows += period.downloads.size();
        for (const auto& table : period.sources)
            rows += table.size();
    }
    return rows;
}

namespace {

// A spilled source row: the value's size and bytes, the requests, the clients' raw state.
void encode_source_row(std::string& out, std::string_view value, const SourceCounts& row) {
    out.clear();
    const auto size = static_cast<std::uint32_t>(value.size());
    out.append(reinterpret_cast<const char*>(&size), sizeof size);
    out.append(value);
    out.append(reinterpret_cast<const char*>(&row.requests), sizeof row.requests);
    row.clients.append_raw(out);
}

// The value of a spilled row (see encode_source_row); record moves past it, to the requests.
std::string_view take_value(std::string_view& record, const RunReader& reader) {
    std::uint32_t size = 0;
    if (record.size() < sizeof size) reader.damaged();
    std::memcpy(&size, record.data(), sizeof size);
    record.remove_prefix(sizeof size);
    if (record.size() < std::size_t{size} + sizeof(SourceCounts::requests)) reader.damaged();
    const std::string_view value = record.substr(0, size);
    record.remove_prefix(size);
    return value;
}

// A run's reader and the row it is at.
struct SpilledRows {
    RunReader reader;
    std::string_view value;
    KeyPrefix prefix;
    SourceCounts row;

    // The next row whose value is at least `from`; the rows before it are skipped by their
    // value alone.
    bool next(std::string_view from = {}) {
        std::string_view record;
        do {
            if (!reader.next(record)) return false;
            value = take_value(record, reader);
        } while (value < from);
        prefix = KeyPrefix(value);
        std::memcpy(&row.requests, record.data(), sizeof row.requests);
        record.remove_prefix(sizeof row.requests);
        std::optional<DistinctCounter> clients = DistinctCounter::read_raw(record);
        if (!clients || !record.empty()) reader.damaged();
        row.clients = std::move(*clients);
        return true;
    }
};

// Merges the runs and the rows in memory (sorted), by value, from `from` up to (not including)
// `to` (empty: to the end), and visits each value once, its counts added and sketches merged.
// The runs' buffers share about a MiB.
void merge_source_rows(const std::vector<SpillRun>& runs,
                       std::span<const SortedRow<SourceCounts>> in_memory, std::string_view from,
                       std::string_view to, const Summary::SourceRowVisitor& visit) {
    auto before_end = [&](std::string_view value) { return to.empty() || value < to; };
    auto memory_from = std::partition_point(
        in_memory.begin(), in_memory.end(),
        [&](const SortedRow<SourceCounts>& sorted) { return sorted.key() < from; });
    auto memory_to = std::partition_point(
        memory_from, in_memory.end(),
        [&](const SortedRow<SourceCounts>& sorted) { return before_end(sorted.key()); });
    in_memory = std::span<const SortedRow<SourceCounts>>(memory_from, memory_to);

    std::vector<SpilledRows> sources;
    sources.reserve(runs.size());
    const std::size_t buffer_bytes =
        std::max<std::size_t>(std::size_t{4} << 10, (std::size_t{1} << 20) / runs.size());
    for (const SpillRun& run : runs) {
        sources.push_back({RunReader(run, buffer_bytes), {}, {}, {}});
    }
    const std::size_t memory = sources.size();
    std::size_t memory_at = 0;
    auto value_of = [&](std::size_t source) {
        return source == memory ? in_memory[memory_at].key() : sources[source].value;
    };
    auto prefix_of = [&](std::size_t source) -> const KeyPrefix& {
        return source == memory ? in_memory[memory_at].prefix : sources[source].prefix;
    };
    auto row_of = [&](std::size_t source) -> const SourceCounts& {
        return source == memory ? *in_memory[memory_at].row : sources[source].row;
    };
    auto advance = [&](std::size_t source) {
        if (source == memory) return ++memory_at < in_memory.size();
        return sources[source].next() && before_end(sources[source].value);
    };
    // A min-heap of sources by their current value.
    auto later = [&](std::size_t a, std::size_t b) {
        return key_less(prefix_of(b), value_of(b), prefix_of(a), value_of(a));
    };
    std::vector<std::size_t> heap;
    for (std::size_t source = 0; source < memory; ++source) {
        if (sources[source].next(from) && before_end(sources[source].value)) {
            heap.push_back(source);
        }
    }
    if (!in_memory.empty()) heap.push_back(memory);
    std::make_heap(heap.begin(), heap.end(), later);

    std::vector<std::size_t> same;
    SourceCounts merged;
    while (!heap.empty()) {
        same.clear();
        const std::size_t first = heap.front();
        do {
            std::pop_heap(heap.begin(), heap.end(), later);
            same.push_back(heap.back());
            heap.pop_back();
        } while (!heap.empty() && prefix_of(heap.front()) == prefix_of(first) &&
                 value_of(heap.front()) == value_of(first));
        if (same.size() == 1) {
            visit(value_of(first), row_of(first));
        } else {
            // Counts from one log's lines: they cannot overflow.
            merged = row_of(first);
            for (std::size_t i = 1; i < same.size(); ++i) {
                merged.requests += row_of(same[i]).requests;
                merged.clients.merge(row_of(same[i]).clients);
            }
            visit(value_of(first), merged);
        }
        for (std::size_t source : same) {
            if (advance(source)) {
                heap.push_back(source);
                std::push_heap(heap.begin(), heap.end(), later);
            }
        }
    }
}

// The middle value of the largest run: runs are whole tables of hand-overs, each a sample of
// every value, so it splits the merge into about equal halves.
std::string middle_value(const std::vector<SpillRun>& runs) {
    const SpillRun& largest =
        *std::max_element(runs.begin(), runs.end(),
                          [](const SpillRun& a, const SpillRun& b) { return a.size < b.size; });
    std::string_view record;
    RunReader reader(largest, std::size_t{64} << 10);
    for (std::uint64_t i = 0; i <= largest.records / 2; ++i) {
        if (!reader.next(record)) reader.damaged();
    }
    return std::string(take_value(record, reader));
}

}  // namespace

void Summary::spill_largest_tables(const std::shared_ptr<SpillFile>& file, std::size_t keep_rows) {
    struct Table {
        std::size_t rows;
        const std::string* label;
        std::size_t index;
    };
    std::vector<Table> tables;
    for (auto& [label, period] : periods) {
        for (std::size_t index = 0; index < dimension_count; ++index)
            tables.push_back({period.sources[index].size(), &label, index});
    }
    std::sort(tables.begin(), tables.end(),
              [](const Table& a, const Table& b) { return a.rows > b.rows; });
    std::size_t rows = row_count();
    std::string record;
    for (const Table& table : tables) {
        if (rows <= keep_rows || table.rows == 0) break;
        StringMap<SourceCounts>& source = periods.find(*table.label)->second.sources[table.index];
        RunWriter writer(file);
        for (const SortedRow<SourceCounts>& sorted : sorted_rows(source)) {
            encode_source_row(record, sorted.key(), *sorted.row);
            writer.add(record);
        }
        spilled[{*table.label, Dimension(table.index)}].push_back(writer.finish());
        source.clear();
        rows -= table.rows;
    }
}

void Summary::for_each_source_row(std::string_view period, Dimension dimension,
                                  const SourceRowVisitor& visit) const {
    const auto index = static_cast<std::size_t>(dimension);
    std::vector<SortedRow<SourceCounts>> in_memory;
    if (auto found = periods.find(period); found != periods.end()) {
        in_memory = sorted_rows(found->second.sources[index]);
    }
    const auto runs = spilled.find(std::pair(std::string(period), dimension));
    if (runs == spilled.end()) {
        for (const SortedRow<SourceCounts>& sorted : in_memory)
            visit(sorted.key(), *sorted.row);
        return;
    }
    std::uint64_t run_bytes = 0;
    for (const SpillRun& run : runs->second)
        run_bytes += run.size;
    // Merging a large table is most of the time it takes to write a summary, on one core while
    // the others wait: a second thread merges the upper half of the values into a run of its
    // own, which is read back once the lower half is visited.
    std::shared_ptr<SpillFile> upper_file;
    if (run_bytes > 0 && run_bytes >= split_merge_bytes) {
        try {
            upper_file = std::make_shared<SpillFile>();
        } catch (const SpillError&) {
            // One thread, then: the runs are all there.
        }
    }
    if (!upper_file) {
        merge_source_rows(runs->second, in_memory, {}, {}, visit);
        return;
    }
    const std::string middle = middle_value(runs->second);
    std::optional<SpillRun> upper;
    std::exception_ptr upper_failed;
    {
        std::jthread upper_half([&] {
            try {
                RunWriter writer(upper_file);
                std::string record;
                merge_source_rows(runs->second, in_memory, middle, {},
                                  [&](std::string_view value, const SourceCounts& row) {
                                      encode_source_row(record, value, row);
                                      writer.add(record);
                                  });
                upper = writer.finish();
            } catch (const SpillError&) {
                // Below, on this thread.
            } catch (...) {
                upper_failed = std::current_exception();
            }
        });
        merge_source_rows(runs->second, in_memory, {}, middle, visit);
    }
    if (upper_failed) std::rethrow_exception(upper_failed);
    if (!upper) {
        // The upper half's run could not be written (a full disk): merge it here instead.
        merge_source_rows(runs->second, in_memory, middle, {}, visit);
        return;
    }
    SpilledRows upper_rows{RunReader(*upper, std::size_t{256} << 10), {}, {}, {}};
    while (upper_rows.next())
        visit(upper_rows.value, upper_rows.row);
}

std::string settings_mismatch(const SummarySettings& a, const SummarySettings& b) {
    if (a.ipv4_prefix != b.ipv4_prefix) return "ipv4_prefix";
    if (a.ipv6_prefix != b.ipv6_prefix) return "ipv6_prefix";
    if (a.period != b.period) return "period";
    if (a.time_resolution != b.time_resolution) return "time_resolution";
    if (a.utc != b.utc) return "utc";
    if (a.include_bots != b.include_bots) return "include_bots";
    if (a.key_id != b.key_id) return "key_id (the client key, --key-file)";
    return {};
}

}  // namespace logsift
