// Filters: which reduced records an incident question is about (--status, --method, --path,
// --agent-class, --vhost, --since, --until). --client is judged inside reduce, on the full
// address, and arrives here as Record::client_selected.
#pragma once

#include <re2/re2.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/base/error.hpp"
#include "logsift/base/record.hpp"

namespace logsift {

struct StatusRange {
    std::uint16_t low;
    std::uint16_t high;
};

class RecordFilter {
  public:
    // Each list empty means "any". Statuses: "404", "4xx"; methods are matched exactly
    // (upper-case as logged); path is RE2, unanchored, against the reduced resource; agent
    // classes by name; vhosts case-insensitively.
    struct Spec {
        std::vector<std::string> statuses;
        std::vector<std::string> methods;
        std::string path;
        std::vector<std::string> agent_classes;
        std::vector<std::string> vhosts;
    };
    // A bad value is a usage error whose reason names the option.
    static Expected<RecordFilter> build(const Spec& spec);

    // The window, as instants (seconds since the epoch, UTC): since inclusive, until exclusive.
    std::optional<std::int64_t> since;
    std::optional<std::int64_t> until;

    bool accepts(const Record& record) const;
    // True when no filter is set at all, so the pipeline can skip the call.
    bool empty() const;
    bool needs_agent() const { return !agent_classes_.empty(); }
    bool needs_resource() const { return path_ != nullptr; }

  private:
    std::vector<StatusRange> statuses_;
    std::vector<std::string> methods_;
    std::shared_ptr<const RE2> path_;
    std::vector<std::string> agent_classes_;
    std::vector<std::string> vhosts_;
};

}  // namespace logsift
