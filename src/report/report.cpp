// Reports: rows are grouped, folded (--min-clients), sorted and cut (--top) into plain cells,
// then one writer per format prints them. Sorting is total, so equal summaries print equal
// bytes whatever order their rows were merged in.
#include "logsift/report/report.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "logsift/base/diag.hpp"

namespace logsift {
namespace {

// A report is produced group by group and written as it is produced, never held whole: a
// sources report has a row per network, and holding every row as text would cost more memory
// than the summary. A table that aligns its columns runs the producer twice (widths, then
// rows) rather than keep the rows.
using Cells = std::vector<std::string_view>;
using LineVisitor = std::function<void(const Cells&)>;

struct Table {
    std::vector<std::string_view> header;
    std::vector<bool> numeric;  // per column: numbers are right-aligned and unquoted in JSON
    std::function<void(const LineVisitor&)> lines;
};

// Room for a number's decimal digits; the view stays valid while the buffer lives.
struct Number {
    char text[24];
    std::string_view view;
    explicit Number(std::uint64_t value)
        : view(text, static_cast<std::size_t>(std::to_chars(text, text + sizeof text, value).ptr -
                                              text)) {}
};

// Rows in one group, before folding: the key cells (views into the summary, or
// other_label), the counts and the clients sketch. A row taken as it is borrows the summary's
// sketch; only rows that merge several (grouped downloads, (other)) own one. Copying every
// sketch would cost as much memory again as the summary itself.
struct SketchRef {
    const DistinctCounter* borrowed = nullptr;
    std::unique_ptr<DistinctCounter> owned;

    const DistinctCounter& get() const { return borrowed ? *borrowed : *owned; }
    DistinctCounter& own() {
        if (!owned) owned = std::make_unique<DistinctCounter>();
        return *owned;
    }
};

struct Pending {
    std::array<std::string_view, 2> key{};
    std::uint64_t requests = 0;
    std::uint64_t bytes = 0;
    SketchRef downloads;         // distinct (address, agent, version)
    SketchRef people;            // distinct addresses: what the threshold counts
    std::uint64_t estimate = 0;  // of downloads, once the row is complete: 4096 steps a sketch

    const DistinctCounter& clients() const { return downloads.get(); }
    const DistinctCounter& addresses() const { return people.get(); }
    std::string_view label() const { return key.front(); }
    const std::array<std::string_view, 2>& sort_key() const { return key; }
    std::uint64_t count() const { return requests; }
};

// The order of a report's rows: more clients first, then more requests, then by key. Every
// report ranks by this, so equal summaries print equal bytes.
template <typename Key>
bool ranks_before(std::uint64_t clients_a, std::uint64_t requests_a, const Key& key_a,
                  std::uint64_t clients_b, std::uint64_t requests_b, const Key& key_b) {
    if (clients_a != clients_b) return clients_a > clients_b;
    if (requests_a != requests_b) return requests_a > requests_b;
    return key_a < key_b;
}

// Folds rows under k distinct addresses into other (with fold), drops an other that is still
// under k, sorts by clients, then requests, descending, then by key, and keeps the top rows.
template <typename Line, typename Fold>
std::vector<Line> settle(std::vector<Line> rows, Line other, const Fold& fold,
                         const ReportOptions& options) {
    for (Line& row : rows)
        row.estimate = row.clients().estimate();
    if (options.min_clients > 0) {
        bool folded = false;
        std::erase_if(rows, [&](const Line& row) {
            const DistinctCounter& people = row.addresses();
            if (people.lower_bound(people.estimate()) >= options.min_clients) return false;
            fold(other, row);
            folded = true;
            return true;
        });
        if (folded) {
            other.estimate = other.clients().estimate();
            const DistinctCounter& people = other.addresses();
            if (people.lower_bound(people.estimate()) >= options.min_clients)
                rows.push_back(std::move(other));
        }
    }
    // (other) closes its group whatever its size: it is not a value to rank.
    std::sort(rows.begin(), rows.end(), [](const Line& a, const Line& b) {
        bool a_other = a.label() == other_label;
        bool b_other = b.label() == other_label;
        if (a_other != b_other) return b_other;
        return ranks_before(a.estimate, a.count(), a.sort_key(), b.estimate, b.count(),
                            b.sort_key());
    });
    if (options.top > 0 && rows.size() > options.top) rows.resize(options.top);
    return rows;
}

Table downloads_table(const Summary& summary, const ReportOptions& options) {
    Table table;
    std::size_t key_width = 1;
    switch (options.by) {
        case DownloadGrouping::resource:
            table.header = {"period", "resource"};
            break;
        case DownloadGrouping::product:
            table.header = {"period", "product"};
            break;
        case DownloadGrouping::version:
            table.header = {"period", "product", "version"};
            key_width = 2;
            break;
    }
    table.numeric.assign(table.header.size(), false);
    for (const char* column : {"downloads", "requests", "bytes"}) {
        table.header.push_back(column);
        table.numeric.push_back(true);
    }

    // period -> key -> merged row. Grouping by product or version unions the clients of the
    // resources in the group: one client fetching two files of one release counts once.
    using Key = std::array<std::string_view, 2>;
    std::map<std::string_view, std::map<Key, Pending>> groups;
    for (const auto& [period, period_rows] : summary.periods) {
        for (const auto& [resource, row] : period_rows.downloads) {
            Key group_key{};
            std::string_view product =
                row.product.empty() ? std::string_view(other_label) : std::string_view(row.product);
            switch (options.by) {
                case DownloadGrouping::resource:
                    group_key = {resource, {}};
                    break;
                case DownloadGrouping::product:
                    group_key = {product, {}};
                    break;
                case DownloadGrouping::version:
                    group_key = {product, row.version};
                    break;
            }
            Pending& pending = groups[period][group_key];
            pending.key = group_key;
            pending.requests += row.requests;
            pending.bytes += row.bytes;
            pending.downloads.own().merge(row.clients);
            pending.people.own().merge(row.addresses);
        }
    }
    auto shared_groups = std::make_shared<decltype(groups)>(std::move(groups));
    table.lines = [shared_groups, key_width, &options](const LineVisitor& visit) {
        Cells cells;
        for (auto& [period, rows] : *shared_groups) {
            std::vector<Pending> list;
            for (auto& [key, pending] : rows) {
                Pending copy;
                copy.key = pending.key;
                copy.requests = pending.requests;
                copy.bytes = pending.bytes;
                copy.downloads.borrowed = &pending.clients();
                copy.people.borrowed = &pending.addresses();
                list.push_back(std::move(copy));
            }
            Pending other;
            for (std::size_t i = 0; i < key_width; ++i)
                other.key[i] = other_label;
            auto fold = [](Pending& into, const Pending& row) {
                into.requests += row.requests;
                into.bytes += row.bytes;
                into.downloads.own().merge(row.clients());
                into.people.own().merge(row.addresses());
            };
            for (const Pending& row : settle(std::move(list), std::move(other), fold, options)) {
                Number downloads(row.estimate), requests(row.requests), bytes(row.bytes);
                cells.assign({period});
                for (std::size_t i = 0; i < key_width; ++i)
                    cells.push_back(row.key[i]);
                cells.insert(cells.end(), {downloads.view, requests.view, bytes.view});
                visit(cells);
            }
        }
    };
    return table;
}

// The rows of one sources group in report order (clients, then requests, descending, then
// value), however many there are: past rows_in_memory they are sorted into runs in a temporary
// file and merged back, so that listing every network costs the memory of a few of them. With
// --top, rows that cannot make the cut are dropped instead.
class RankedRows {
  public:
    struct Row {
        std::uint64_t clients = 0;
        std::uint64_t requests = 0;
        std::string_view value;
    };

    // spill_failed is shared by a report's groups: a directory that cannot take one run is
    // warned about once, and the groups after it sort in memory.
    RankedRows(std::size_t top, std::size_t rows_in_memory, bool& spill_failed)
        : top_(top),
          rows_in_memory_(std::max<std::size_t>(rows_in_memory, 1)),
          spill_failed_(spill_failed) {}

    void add(std::uint64_t clients, std::uint64_t requests, std::string_view value) {
        if (entries_.size() >= rows_in_memory_ && !spill_failed_) make_room();
        entries_.push_back(
            {clients, requests, values_.size(), static_cast<std::uint32_t>(value.size())});
        values_.append(value);
    }

    // Visits the rows in order, the first top of them with --top.
    void visit(const std::function<void(const Row&)>& visit) {
        sort_entries();
        std::vector<RunReader> readers;
        std::vector<Row> current;
        readers.reserve(runs_.size());
        for (const SpillRun& run : runs_) {
            readers.emplace_back(run, std::max<std::size_t>(std::size_t{4} << 10,
                                                            (std::size_t{1} << 20) / runs_.size()));
        }
        // The rows in memory are the last source.
        const std::size_t memory = readers.size();
        std::size_t memory_at = 0;
        current.resize(memory + 1);
        auto advance = [&](std::size_t source) {
            if (source == memory) {
                if (memory_at == entries_.size()) return false;
                current[source] = row_of(entries_[memory_at++]);
                return true;
            }
            std::string_view record;
            if (!readers[source].next(record)) return false;
            current[source] = decode(record, readers[source]);
            return true;
        };
        auto later = [&](std::size_t a, std::size_t b) { return before(current[b], current[a]); };
        std::vector<std::size_t> heap;
        for (std::size_t source = 0; source <= memory; ++source) {
            if (advance(source)) heap.push_back(source);
        }
        std::make_heap(heap.begin(), heap.end(), later);
        for (std::size_t shown = 0; !heap.empty() && (top_ == 0 || shown < top_); ++shown) {
            std::pop_heap(heap.begin(), heap.end(), later);
            const std::size_t source = heap.back();
            visit(current[source]);
            if (advance(source)) {
                std::push_heap(heap.begin(), heap.end(), later);
            } else {
                heap.pop_back();
            }
        }
    }

  private:
    struct Entry {
        std::uint64_t clients, requests;
        std::size_t value_at;
        std::uint32_t value_size;
    };

    static bool before(const Row& a, const Row& b) {
        return ranks_before(a.clients, a.requests, a.value, b.clients, b.requests, b.value);
    }
    Row row_of(const Entry& entry) const {
        return {entry.clients, entry.requests, {values_.data() + entry.value_at, entry.value_size}};
    }
    static Row decode(std::string_view record, const RunReader& reader) {
        Row row;
        if (record.size() < sizeof row.clients + sizeof row.requests) reader.damaged();
        std::memcpy(&row.clients, record.data(), sizeof row.clients);
        std::memcpy(&row.requests, record.data() + sizeof row.clients, sizeof row.requests);
        row.value = record.substr(sizeof row.clients + sizeof row.requests);
        return row;
    }
    void sort_entries() {
        std::sort(entries_.begin(), entries_.end(),
                  [this](const Entry& a, const Entry& b) { return before(row_of(a), row_of(b)); });
    }
    void write_run() {
        if (!file_) file_ = std::make_shared<SpillFile>();
        RunWriter writer(file_);
        std::string record;
        for (const Entry& entry : entries_) {
            const Row row = row_of(entry);
            record.assign(reinterpret_cast<const char*>(&row.clients), sizeof row.clients);
            record.append(reinterpret_cast<const char*>(&row.requests), sizeof row.requests);
            record.append(row.value);
            writer.add(record);
        }
        runs_.push_back(writer.finish());
    }
    // Keeps the top rows when that is all the report shows; otherwise moves the rows to a run.
    void make_room() {
        sort_entries();
        std::string values;
        if (top_ > 0 && top_ < rows_in_memory_) {
            entries_.resize(top_);
            for (Entry& entry : entries_) {
                const Row row = row_of(entry);
                entry.value_at = values.size();
                values.append(row.value);
            }
        } else {
            try {
                write_run();
            } catch (const SpillError& error) {
                print_warning(std::string(error.what()) + "; the report was sorted in memory");
                spill_failed_ = true;
                return;
            }
            entries_.clear();
        }
        values_.swap(values);
    }

    std::size_t top_;
    std::size_t rows_in_memory_;
    bool& spill_failed_;
    std::vector<Entry> entries_;
    std::string values_;  // the entries' values, one after another
    std::shared_ptr<SpillFile> file_;
    std::vector<SpillRun> runs_;
};

Table sources_table(const Summary& summary, const ReportOptions& options) {
    Table table;
    table.header = {"period", "dimension", "value", "requests", "clients"};
    table.numeric = {false, false, false, true, true};
    std::vector<Dimension> dimensions;
    for (Dimension dimension : options.dimensions) {
        if (std::find(dimensions.begin(), dimensions.end(), dimension) == dimensions.end()) {
            dimensions.push_back(dimension);  // a dimension named twice prints once
        }
    }
    if (dimensions.empty()) {
        for (std::size_t i = 0; i < dimension_count; ++i)
            dimensions.push_back(Dimension(i));
    }
    // Each group's rows exist only while it prints: a group may hold a row per network, in
    // memory or spilled.
    table.lines = [&summary, dimensions, &options](const LineVisitor& visit) {
        Cells cells;
        bool spill_failed = false;
        for (const auto& period_rows : summary.periods) {
            // Not a structured binding: lambdas below capture it.
            const std::string& period = period_rows.first;
            for (Dimension dimension : dimensions) {
                RankedRows ranked(options.top, options.rows_in_memory, spill_failed);
                SourceCounts other;
                bool folded = false;
                summary.for_each_source_row(
                    period, dimension, [&](std::string_view value, const SourceCounts& row) {
                        const std::uint64_t clients = row.clients.estimate();
                        if (row.clients.lower_bound(clients) >= options.min_clients) {
                            ranked.add(clients, row.requests, value);
                            return;
                        }
                        other.requests += row.requests;
                        other.clients.merge(row.clients);
                        folded = true;
                    });
                std::size_t shown = 0;
                auto print = [&](const RankedRows::Row& row) {
                    Number requests(row.requests), clients(row.clients);
                    cells.assign({period, dimension_name(dimension), row.value, requests.view,
                                  clients.view});
                    visit(cells);
                    ++shown;
                };
                ranked.visit(print);
                // (other) closes its group whatever its size: it is not a value to rank.
                const std::uint64_t other_clients = folded ? other.clients.estimate() : 0;
                if (folded && other.clients.lower_bound(other_clients) >= options.min_clients &&
                    (options.top == 0 || shown < options.top)) {
                    print({other_clients, other.requests, other_label});
                }
            }
        }
    };
    return table;
}

// Display width in columns: UTF-8 continuation bytes take none.
std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

// Cells come from reduced values, which may hold control bytes as sent: never let them
// break a table's layout or a terminal.
void append_table_cell(OutputSink& sink, std::string_view cell) {
    for (char c : cell) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            sink.append('?');
        } else {
            sink.append(c);
        }
    }
}

void write_table(const Table& table, const char* name, const ReportOptions& options,
                 OutputSink& sink) {
    const Cells header(table.header.begin(), table.header.end());
    switch (options.format) {
        case ReportFormat::table: {
            std::vector<std::size_t> widths(header.size());
            auto measure = [&](const Cells& cells) {
                for (std::size_t i = 0; i < cells.size(); ++i)
                    widths[i] = std::max(widths[i], display_width(cells[i]));
            };
            measure(header);
            table.lines(measure);
            auto print_row = [&](const Cells& cells) {
                for (std::size_t i = 0; i < cells.size(); ++i) {
                    std::size_t pad = widths[i] - display_width(cells[i]);
                    bool last = i + 1 == cells.size();
                    if (table.numeric[i]) {
                        for (std::size_t p = 0; p < pad; ++p)
                            sink.append(' ');
                    }
                    append_table_cell(sink, cells[i]);
                    if (!table.numeric[i] && !last) {
                        for (std::size_t p = 0; p < pad; ++p)
                            sink.append(' ');
                    }
                    if (!last) sink.append("  ");
                }
                sink.append('\n');
            };
            print_row(header);
            table.lines(print_row);
            break;
        }
        case ReportFormat::tsv:
        case ReportFormat::csv: {
            bool tsv = options.format == ReportFormat::tsv;
            auto print_row = [&](const Cells& cells) {
                for (std::size_t i = 0; i < cells.size(); ++i) {
                    if (i > 0) sink.append(tsv ? '\t' : ',');
                    if (tsv) {
                        append_tsv_field(sink, cells[i]);
                    } else {
                        append_csv_field(sink, cells[i]);
                    }
                }
                sink.append('\n');
            };
            if (options.header) print_row(header);
            table.lines(print_row);
            break;
        }
        case ReportFormat::json: {
            sink.append("{\"");
            sink.append(name);
            sink.append("\":[");
            bool first = true;
            table.lines([&](const Cells& cells) {
                sink.append(first ? "{" : ",{");
                first = false;
                for (std::size_t i = 0; i < cells.size(); ++i) {
                    if (i > 0) sink.append(',');
                    append_json_string(sink, header[i]);
                    sink.append(':');
                    if (table.numeric[i]) {
                        sink.append(cells[i]);
                    } else {
                        append_json_string(sink, cells[i]);
                    }
                }
                sink.append('}');
            });
            sink.append("]}\n");
            break;
        }
    }
}

}  // namespace

void write_downloads_report(const Summary& summary, const ReportOptions& options,
                            OutputSink& sink) {
    write_table(downloads_table(summary, options), "downloads", options, sink);
}

void write_sources_report(const Summary& summary, const ReportOptions& options, OutputSink& sink) {
    write_table(sources_table(summary, options), "sources", options, sink);
}

}  // namespace logsift
