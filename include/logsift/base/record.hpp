// Record: what is left of a log line after reduction. Every view points into the reducer's own
// buffers or into non-personal parts of the line; it is valid until the next line is reduced.
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "logsift/base/timestamp.hpp"

namespace logsift {

// The columns of `logsift reduce`, in their default order.
enum class Column : std::uint8_t {
    time,
    network,
    method,
    resource,
    status,
    bytes,
    agent,
    agent_version,
    agent_class,
    referrer_host,
    country,
    vhost,
};
inline constexpr std::size_t column_count = static_cast<std::size_t>(Column::vhost) + 1;

std::string_view column_name(Column column);

// True for the columns whose values logsift composes itself from a closed alphabet: formatted
// times and networks, digits, method tokens, checked host names, class names and country
// codes. They never hold a tab, newline, carriage return or backslash, so a TSV writer may
// copy them without looking for bytes to escape. Resources, agents and virtual hosts keep
// bytes as sent, and must be escaped.
bool column_is_plain(Column column);
std::optional<Column> column_from_name(std::string_view name);

// Keyed tokens of one client's full address, made in the reduce stage (reduce/client_key.hpp)
// under a secret key. Each use has its own subkey, so no token of one use can equal a token of
// another: a summary's network rows and its country rows hold values that cannot be joined.
// Without the key a token says nothing about the address.
struct ClientTokens {
    // One per sources dimension, with room for dimensions to come.
    static constexpr std::size_t source_slots = 12;
    std::array<std::uint64_t, source_slots> source{};
    // Not written anywhere: the key of the download tokens (ClientKey::download_tokens).
    std::array<std::uint64_t, 2> download_key{};
    // Only for counting addresses in k-anonymity classes, inside the reduce stage.
    std::uint64_t k_anonymity = 0;
};

struct Record {
    std::string_view time;  // ISO 8601 bucket start, empty when the format has no time
    std::string_view network;
    std::string_view method;
    std::string_view resource;
    std::optional<std::uint16_t> status;
    std::optional<std::uint64_t> bytes;
    std::string_view agent;
    std::string_view agent_version;
    std::string_view agent_class;
    std::string_view referrer_host;
    std::string_view country;  // ISO 3166-1 alpha-2, looked up before truncation; may be empty
    std::string_view vhost;

    // Not columns: what filters and aggregates need besides them.
    std::optional<Timestamp> logged_time;  // as logged, before truncation
    bool client_selected = true;           // inside a --client network, judged on the full address
    const ClientTokens* client = nullptr;  // null when the run has no client key
    // AgentInfo's with_version and client_part, when the agent came from one.
    std::string_view agent_with_version;
    std::string_view agent_client_part;

    // For the text writers: the column as text (status and bytes as decimal, into scratch).
    // Inline: the writers ask for every column of every record.
    std::string_view text(Column column, std::array<char, 24>& scratch) const {
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

  private:
    template <typename Number>
    static std::string_view decimal(const std::optional<Number>& value,
                                    std::array<char, 24>& scratch) {
        if (!value) return {};
        auto result = std::to_chars(scratch.data(), scratch.data() + scratch.size(), *value);
        return std::string_view(scratch.data(), result.ptr - scratch.data());
    }
};

}  // namespace logsift
