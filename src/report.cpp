// Reports: rows are grouped, folded (--min-clients), sorted and cut (--top) into plain cells,
// then one writer per format prints them. Sorting is total, so equal summaries print equal
// bytes whatever order their rows were merged in.
#include "logsift/report.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <string>

namespace logsift {
namespace {

struct Line {
    std::vector<std::string> cells;
};

struct Table {
    std::vector<std::string> header;
    std::vector<bool> numeric;  // per column: numbers are right-aligned and unquoted in JSON
    std::vector<Line> lines;
};

std::string number(std::uint64_t value) {
    char text[24];
    auto end = std::to_chars(text, text + sizeof text, value).ptr;
    return std::string(text, end);
}

// Rows in one group, before folding: the key cells, the counts and the clients sketch.
struct Pending {
    std::vector<std::string> key;
    std::uint64_t requests = 0;
    std::uint64_t bytes = 0;
    DistinctCounter clients;
    std::uint64_t estimate =
        0;  // of clients, once the row is complete: a sketch's costs 4096 steps
};

// Folds rows under k clients into one (other) row, drops an (other) that is still under k,
// sorts by clients, then requests, descending, then by key, and keeps the top rows.
std::vector<Pending> settle(std::vector<Pending> rows, std::size_t key_width,
                            const ReportOptions& options) {
    for (Pending& row : rows)
        row.estimate = row.clients.estimate();
    if (options.min_clients > 0) {
        Pending other;
        other.key.assign(key_width, other_label);
        bool folded = false;
        std::vector<Pending> kept;
        for (Pending& row : rows) {
            if (row.estimate >= options.min_clients) {
                kept.push_back(std::move(row));
                continue;
            }
            other.requests += row.requests;
            other.bytes += row.bytes;
            other.clients.merge(row.clients);
            folded = true;
        }
        other.estimate = other.clients.estimate();
        if (folded && other.estimate >= options.min_clients) kept.push_back(std::move(other));
        rows = std::move(kept);
    }
    // (other) closes its group whatever its size: it is not a value to rank.
    std::sort(rows.begin(), rows.end(), [](const Pending& a, const Pending& b) {
        bool a_other = !a.key.empty() && a.key.front() == other_label;
        bool b_other = !b.key.empty() && b.key.front() == other_label;
        if (a_other != b_other) return b_other;
        if (a.estimate != b.estimate) return a.estimate > b.estimate;
        if (a.requests != b.requests) return a.requests > b.requests;
        return a.key < b.key;
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
    std::map<std::string, std::map<std::vector<std::string>, Pending>> groups;
    for (const auto& [key, row] : summary.downloads) {
        std::vector<std::string> group_key;
        switch (options.by) {
            case DownloadGrouping::resource:
                group_key = {row.resource};
                break;
            case DownloadGrouping::product:
                group_key = {row.product.empty() ? std::string(other_label) : row.product};
                break;
            case DownloadGrouping::version:
                group_key = {row.product.empty() ? std::string(other_label) : row.product,
                             row.version};
                break;
        }
        Pending& pending = groups[row.period][group_key];
        pending.key = group_key;
        pending.requests += row.requests;
        pending.bytes += row.bytes;
        pending.clients.merge(row.clients);
    }
    for (auto& [period, rows] : groups) {
        std::vector<Pending> list;
        for (auto& [key, pending] : rows)
            list.push_back(std::move(pending));
        for (Pending& row : settle(std::move(list), key_width, options)) {
            Line line;
            line.cells.push_back(period);
            for (std::string& cell : row.key)
                line.cells.push_back(std::move(cell));
            line.cells.push_back(number(row.estimate));
            line.cells.push_back(number(row.requests));
            line.cells.push_back(number(row.bytes));
            table.lines.push_back(std::move(line));
        }
    }
    return table;
}

Table sources_table(const Summary& summary, const ReportOptions& options) {
    Table table;
    table.header = {"period", "dimension", "value", "requests", "clients"};
    table.numeric = {false, false, false, true, true};
    std::vector<Dimension> dimensions = options.dimensions;
    if (dimensions.empty()) {
        for (std::size_t i = 0; i < dimension_count; ++i)
            dimensions.push_back(Dimension(i));
    }
    // (period, dimension order) -> rows
    std::map<std::pair<std::string, std::size_t>, std::vector<Pending>> groups;
    for (const auto& [key, row] : summary.sources) {
        auto position = std::find(dimensions.begin(), dimensions.end(), row.dimension);
        if (position == dimensions.end()) continue;
        Pending pending;
        pending.key = {row.value};
        pending.requests = row.requests;
        pending.clients = row.clients;
        groups[{row.period, static_cast<std::size_t>(position - dimensions.begin())}].push_back(
            std::move(pending));
    }
    for (auto& [group, rows] : groups) {
        for (Pending& row : settle(std::move(rows), 1, options)) {
            Line line;
            line.cells = {group.first, std::string(dimension_name(dimensions[group.second])),
                          std::move(row.key.front()), number(row.requests), number(row.estimate)};
            table.lines.push_back(std::move(line));
        }
    }
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
    switch (options.format) {
        case ReportFormat::table: {
            std::vector<std::size_t> widths(table.header.size());
            for (std::size_t i = 0; i < table.header.size(); ++i) {
                widths[i] = display_width(table.header[i]);
                for (const Line& line : table.lines) {
                    widths[i] = std::max(widths[i], display_width(line.cells[i]));
                }
            }
            auto print_row = [&](const std::vector<std::string>& cells) {
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
            print_row(table.header);
            for (const Line& line : table.lines)
                print_row(line.cells);
            break;
        }
        case ReportFormat::tsv:
        case ReportFormat::csv: {
            bool tsv = options.format == ReportFormat::tsv;
            auto print_row = [&](const std::vector<std::string>& cells) {
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
            if (options.header) print_row(table.header);
            for (const Line& line : table.lines)
                print_row(line.cells);
            break;
        }
        case ReportFormat::json: {
            sink.append("{\"");
            sink.append(name);
            sink.append("\":[");
            for (std::size_t row = 0; row < table.lines.size(); ++row) {
                sink.append(row ? ",{" : "{");
                const Line& line = table.lines[row];
                for (std::size_t i = 0; i < line.cells.size(); ++i) {
                    if (i > 0) sink.append(',');
                    append_json_string(sink, table.header[i]);
                    sink.append(':');
                    if (table.numeric[i]) {
                        sink.append(line.cells[i]);
                    } else {
                        append_json_string(sink, line.cells[i]);
                    }
                }
                sink.append('}');
            }
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
