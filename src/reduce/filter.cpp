// Filters: cheap checks first (status, method), the path expression last. Every value was
// validated when the filter was built, so accepts() cannot fail.
#include "logsift/reduce/filter.hpp"

#include "logsift/base/ascii.hpp"

#include <algorithm>
#include <charconv>

namespace logsift {
namespace {

std::optional<StatusRange> parse_status(std::string_view text) {
    if (text.size() == 3 && text[0] >= '1' && text[0] <= '5' &&
        (text.substr(1) == "xx" || text.substr(1) == "XX")) {
        auto low = static_cast<std::uint16_t>((text[0] - '0') * 100);
        return StatusRange{low, static_cast<std::uint16_t>(low + 99)};
    }
    std::uint16_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < 100 || value > 999) {
        return std::nullopt;
    }
    return StatusRange{value, value};
}

}  // namespace

Expected<RecordFilter> RecordFilter::build(const Spec& spec) {
    RecordFilter filter;
    for (const std::string& text : spec.statuses) {
        std::optional<StatusRange> range = parse_status(text);
        if (!range) {
            return usage_error({},
                               "--status: '" + text + "' is not a status (404) or a class (4xx)");
        }
        filter.statuses_.push_back(*range);
    }
    filter.methods_ = spec.methods;
    for (const std::string& text : spec.agent_classes) {
        if (text != "bot" && text != "tool" && text != "browser" && text != "other") {
            return usage_error({},
                               "--agent-class: '" + text + "' is not bot, tool, browser or other");
        }
        filter.agent_classes_.push_back(text);
    }
    filter.vhosts_ = spec.vhosts;
    if (!spec.path.empty()) {
        RE2::Options options;
        options.set_log_errors(false);
        auto path = std::make_shared<RE2>(spec.path, options);
        if (!path->ok()) return usage_error({}, "--path: " + path->error());
        filter.path_ = std::move(path);
    }
    return filter;
}

bool RecordFilter::empty() const {
    return statuses_.empty() && methods_.empty() && !path_ && agent_classes_.empty() &&
           vhosts_.empty() && !since && !until;
}

bool RecordFilter::accepts(const Record& record) const {
    if (!record.client_selected) return false;
    if (since || until) {
        if (!record.logged_time) return false;
        if (since && record.logged_time->seconds < *since) return false;
        if (until && record.logged_time->seconds >= *until) return false;
    }
    if (!statuses_.empty()) {
        if (!record.status) return false;
        std::uint16_t status = *record.status;
        if (std::none_of(statuses_.begin(), statuses_.end(), [status](const StatusRange& range) {
                return status >= range.low && status <= range.high;
            })) {
            return false;
        }
    }
    if (!methods_.empty() &&
        std::find(methods_.begin(), methods_.end(), record.method) == methods_.end()) {
        return false;
    }
    if (!agent_classes_.empty() && std::find(agent_classes_.begin(), agent_classes_.end(),
                                             record.agent_class) == agent_classes_.end()) {
        return false;
    }
    if (!vhosts_.empty() &&
        std::none_of(vhosts_.begin(), vhosts_.end(), [&](const std::string& vhost) {
            return ascii::iequals(vhost, record.vhost);
        })) {
        return false;
    }
    if (path_ && !RE2::PartialMatch(record.resource, *path_)) return false;
    return true;
}

}  // namespace logsift
