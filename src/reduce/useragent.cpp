// User agents: the interface the reducer calls (useragent.hpp), with its caches: a user agent
// is parsed by the rules (agent_rules.hpp) once per cache, and the answer shared across threads.
#include "logsift/reduce/useragent.hpp"

#include "logsift/reduce/agent_rules.hpp"

#include <algorithm>
#include <cstdlib>

namespace logsift {
namespace {

constexpr std::string_view default_regexes = "/usr/share/uap-core/regexes.yaml";

}  // namespace

std::string_view agent_class_name(AgentClass agent_class) {
    switch (agent_class) {
        case AgentClass::browser:
            return "browser";
        case AgentClass::bot:
            return "bot";
        case AgentClass::tool:
            return "tool";
        case AgentClass::other:
            return "other";
    }
    return "other";
}

AgentParser::AgentParser(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AgentParser::~AgentParser() = default;

void make_agent_keys(std::string_view family, std::string_view version, std::string& with_version,
                     std::string& client_part) {
    with_version.assign(family);
    if (!version.empty()) with_version.append(1, ' ').append(version);
    client_part.assign(1, '\0').append(family).append(1, '\0').append(version);
}

AgentInfo AgentParser::parse(std::string_view user_agent) const {
    // RE2 is linear, but linear in a megabyte times every candidate rule is seconds per agent.
    user_agent = user_agent.substr(0, max_agent_bytes);
    AgentInfo info;
    if (user_agent.empty() || user_agent == "-") {
        info.family = "Other";
    } else {
        int rule_index = -1;
        info = impl_->parse_with(user_agent, rule_index);
    }
    make_agent_keys(info.family, info.version, info.with_version, info.client_part);
    return info;
}

AgentInfo AgentParser::parse_shared(std::string_view user_agent) const {
    user_agent = user_agent.substr(0, max_agent_bytes);  // what parse reads; bounds the table
    {
        std::lock_guard lock(impl_->shared_mutex);
        if (const AgentInfo* found = impl_->shared_answers.find(user_agent)) return *found;
    }
    AgentInfo info = parse(user_agent);
    std::lock_guard lock(impl_->shared_mutex);
    if (impl_->shared_answers.size() >= Impl::shared_capacity) impl_->shared_answers.clear();
    impl_->shared_answers.try_emplace(user_agent, info);
    return info;
}

const std::vector<std::string>& AgentParser::skipped_patterns() const {
    return impl_->skipped;
}

AgentCache::AgentCache(const AgentParser& parser, std::size_t capacity)
    : parser_(parser), capacity_(std::max<std::size_t>(capacity, 1)) {}

const AgentInfo& AgentCache::lookup(std::string_view user_agent) {
    // Keyed by what is parsed, so a flood of distinct long agents holds at most
    // capacity * max_agent_bytes of keys, and agents that differ only past the cut share one.
    user_agent = user_agent.substr(0, AgentParser::max_agent_bytes);
    if (const AgentInfo* found = entries_.find(user_agent)) {
        ++hits_;
        return *found;
    }
    ++misses_;
    // Forgetting everything is crude but bounded and cheap; the working set refills at once.
    if (entries_.size() >= capacity_) entries_.clear();
    return *entries_.try_emplace(user_agent, parser_.parse_shared(user_agent)).first;
}

std::string find_ua_regexes(const std::string& option) {
    if (!option.empty()) return option;
    if (const char* env = std::getenv("LOGSIFT_UA_REGEXES"); env != nullptr && *env != '\0') {
        return env;
    }
    return std::string(default_regexes);
}

}  // namespace logsift
