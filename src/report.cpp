// Reports: rows are grouped, folded (--min-clients), sorted and cut (--top) into plain cells,
// then one writer per format prints them. Sorting is total, so equal summaries print equal
// bytes whatever order their rows were merged in.
#include "logsift/report.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <string>

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
struct Pending {
    std::array<std::string_view, 2> key{};
    std::uint64_t requests = 0;
    std::uint64_t bytes = 0;
    const DistinctCounter* borrowed = nullptr;
    std::unique_ptr<DistinctCounter> owned;
    std::uint64_t estimate = 0;  // of clients, once the row is complete: a sketch costs 4096 steps

    const DistinctCounter& clients() const { return borrowed ? *borrowed : *owned; }
    DistinctCounter& own() {
        if (!owned) owned = std::make_unique<DistinctCounter>();
        return *owned;
    }
    std::string_view label() const { return key.front(); }
    const std::array<std::string_view, 2>& sort_key() const { return key; }
    std::uint64_t count() const { return requests; }
};

// A sources row, in a group that may hold a row per network: just the summary's row (whose key
// it carries) and its estimate, 16 bytes.
struct SourceLine {
    const SourceCounts* row = nullptr;
    std::uint64_t estimate = 0;

    const DistinctCounter& clients() const { return row->clients; }
    std::string_view label() const { return StringMap<SourceCounts>::key_of(*row); }
    std::string_view sort_key() const { return label(); }
    std::uint64_t count() const { return row->requests; }
};

// Folds rows under k clients into other (with fold), drops an other that is still under k,
// sorts by clients, then requests, descending, then by key, and keeps the top rows.
template <typename Line, typename Fold>
std::vector<Line> settle(std::vector<Line> rows, Line other, const Fold& fold,
                         const ReportOptions& options) {
    for (Line& row : rows)
        row.estimate = row.clients().estimate();
    if (options.min_clients > 0) {
        bool folded = false;
        std::erase_if(rows, [&](const Line& row) {
            if (row.estimate >= options.min_clients) return false;
            fold(other, row);
            folded = true;
            return true;
        });
        if (folded) {
            other.estimate = other.clients().estimate();
            if (other.estimate >= options.min_clients) rows.push_back(std::move(other));
        }
    }
    // (other) closes its group whatever its size: it is not a value to rank.
    std::sort(rows.begin(), rows.end(), [](const Line& a, const Line& b) {
        bool a_other = a.label() == other_label;
        bool b_other = b.label() == other_label;
        if (a_other != b_other) return b_other;
        if (a.estimate != b.estimate) return a.estimate > b.estimate;
        if (a.count() != b.count()) return a.count() > b.count();
        return a.sort_key() < b.sort_key();
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
            pending.own().merge(row.clients);
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
                copy.borrowed = &pending.clients();
                list.push_back(std::move(copy));
            }
            Pending other;
            for (std::size_t i = 0; i < key_width; ++i)
                other.key[i] = other_label;
            auto fold = [](Pending& into, const Pending& row) {
                into.requests += row.requests;
                into.bytes += row.bytes;
                into.own().merge(row.clients());
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
    // (period, dimension order) -> rows; each group's Pending rows exist only while it prints.
    using Rows = StringMap<SourceCounts>;
    using Groups = std::vector<std::pair<std::string_view, std::vector<const Rows*>>>;
    auto groups = std::make_shared<Groups>();
    for (const auto& [period, period_rows] : summary.periods) {
        std::vector<const Rows*> tables;
        for (Dimension dimension : dimensions)
            tables.push_back(&period_rows.sources[static_cast<std::size_t>(dimension)]);
        groups->emplace_back(period, std::move(tables));
    }
    table.lines = [groups, dimensions, &options](const LineVisitor& visit) {
        Cells cells;
        for (const auto& [period, tables] : *groups) {
            for (std::size_t position = 0; position < tables.size(); ++position) {
                std::vector<SourceLine> list;
                list.reserve(tables[position]->size());
                for (auto [value, row] : *tables[position])
                    list.push_back({&row});
                if (list.empty()) continue;
                // (other) is a row of its own table, so that it has a key like the others.
                StringMap<SourceCounts> folded;
                SourceCounts& other = *folded.try_emplace(other_label).first;
                auto fold = [&other](SourceLine&, const SourceLine& line) {
                    other.requests += line.row->requests;
                    other.clients.merge(line.row->clients);
                };
                for (const SourceLine& row :
                     settle(std::move(list), SourceLine{&other}, fold, options)) {
                    Number requests(row.count()), clients(row.estimate);
                    cells.assign({period, dimension_name(dimensions[position]), row.label(),
                                  requests.view, clients.view});
                    visit(cells);
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
