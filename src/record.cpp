// Record: the column names of `logsift reduce` and a record's columns as text for the writers.
// The names are part of the output contract (headers, JSON keys, --columns), so they live here
// in one table.
#include "logsift/record.hpp"

#include <charconv>

namespace logsift {
namespace {

constexpr std::array<std::string_view, column_count> column_names = {
    "time",  "network",       "method",      "resource",      "status",  "bytes",
    "agent", "agent_version", "agent_class", "referrer_host", "country", "vhost",
};

template <typename Number>
std::string_view decimal(const std::optional<Number>& value, std::array<char, 24>& scratch) {
    if (!value) return {};
    auto result = std::to_chars(scratch.data(), scratch.data() + scratch.size(), *value);
    return std::string_view(scratch.data(), result.ptr - scratch.data());
}

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

std::string_view Record::text(Column column, std::array<char, 24>& scratch) const {
    switch (column) {
        case Column::time:
            return time;
        case Column::network:
            return network;
        case Column::method:
            return method;
        case Column::resource:
            return resource;
        case Column::status:
            return decimal(status, scratch);
        case Column::bytes:
            return decimal(bytes, scratch);
        case Column::agent:
            return agent;
        case Column::agent_version:
            return agent_version;
        case Column::agent_class:
            return agent_class;
        case Column::referrer_host:
            return referrer_host;
        case Column::country:
            return country;
        case Column::vhost:
            return vhost;
    }
    return {};
}

}  // namespace logsift
