// Record: the column names of `logsift reduce` (Record::text, which every writer calls for every
// column, is inline in the header). The names are part of the output contract (headers, JSON
// keys, --columns), so they live here in one table.
#include "logsift/base/record.hpp"

namespace logsift {
namespace {

constexpr std::array<std::string_view, column_count> column_names = {
    "time",  "network",       "method",      "resource",      "status",  "bytes",
    "agent", "agent_version", "agent_class", "referrer_host", "country", "vhost",
};

}  // namespace

std::string_view column_name(Column column) {
    auto index = static_cast<std::size_t>(column);
    return index < column_count ? column_names[index] : std::string_view();
}

std::optional<Column> column_from_name(std::string_view name) {
    for (std::size_t i = 0; i < column_count; ++i) {
        if (column_names[i] == name) return static_cast<Column>(i);
    }
    return std::nullopt;
}

bool column_is_plain(Column column) {
    switch (column) {
        case Column::resource:
        case Column::agent:
        case Column::agent_version:
        case Column::vhost:
            return false;
        default:
            return true;
    }
}

}  // namespace logsift
