// User-agent rules, matching: the first agent rule whose regex matches decides family and
// version (uap-core's semantics); a device rule decides whether the agent is a crawler. Runs
// only for an agent no cache has seen.
#include "logsift/reduce/agent_rules.hpp"

#include "logsift/reduce/agent_grammar.hpp"

#include <algorithm>

namespace logsift {
namespace agent_rules {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// uap-core's reference parser strips each field of what Python's str.strip() removes.
std::string_view strip(std::string_view text) {
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

// Whether every capture the family takes (trimmed; one that took no part is empty) is a
// product name. The template's own text is the rule author's and is not checked.
bool family_captures_pass(const AgentRule& rule, const re2::StringPiece* groups, int count) {
    if (rule.family_is_literal()) return true;
    const unsigned taken = family_groups(rule.family);
    for (int index = 1; index < count; ++index) {
        if ((taken & (1U << index)) == 0 || groups[index].data() == nullptr) continue;
        const std::string_view captured = strip({groups[index].data(), groups[index].size()});
        const CaptureKind kind = (rule.free_text_groups & (1U << index)) != 0
                                     ? CaptureKind::free_text
                                     : CaptureKind::product;
        if (!captured.empty() && !is_product_token(captured, kind)) return false;
    }
    return true;
}

// Major, minor and patch as written, or all three empty when one of them is no short number.
void keep_numeric_version(std::string& major, std::string& minor, std::string& patch) {
    for (const std::string* part : {&major, &minor, &patch}) {
        if (!part->empty() && !is_version_component(*part)) {
            major.clear();
            minor.clear();
            patch.clear();
            return;
        }
    }
}

}  // namespace

RE2::Options rule_options(int64_t max_mem) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(max_mem);
    // Byte by byte. nginx (unless escape=json or none) and Apache write an agent's bytes
    // outside printable ASCII as \xHH, so agents are ASCII, as the rules are, and match as in
    // UTF-8; uap-core's test agents all parse the same. But a `.` is then one byte range, not a
    // UTF-8 decoder, so its `.{0,300}` compile to a fraction of the program: a seventh less load
    // time. (A UTF-8 agent's characters count as bytes.)
    options.set_encoding(RE2::Options::EncodingLatin1);
    return options;
}

int highest_reference(const std::string& text) {
    int highest = 0;
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        if (text[i] == '$' && text[i + 1] >= '1' && text[i + 1] <= '9') {
            highest = std::max(highest, text[i + 1] - '0');
        }
    }
    return highest;
}

std::string trimmed(std::string_view text) {
    return std::string(strip(text));
}

std::string resolve(const Replacement& replacement, int position, const re2::StringPiece* groups,
                    int group_count) {
    auto group = [&](int index) -> std::string_view {
        if (index >= group_count || groups[index].data() == nullptr) return {};
        return {groups[index].data(), groups[index].size()};
    };
    if (!replacement) return trimmed(group(position));
    const std::string& text = *replacement;
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] >= '1' && text[i + 1] <= '9') {
            out.append(group(text[i + 1] - '0'));
            ++i;
        } else {
            out.push_back(text[i]);
        }
    }
    return trimmed(out);
}

unsigned family_groups(const Replacement& family) {
    if (!family) return 1U << 1;
    unsigned groups = 0;
    for (std::size_t i = 0; i + 1 < family->size(); ++i) {
        const char c = (*family)[i + 1];
        if ((*family)[i] == '$' && c >= '1' && c <= '9') groups |= 1U << (c - '0');
    }
    return groups;
}

}  // namespace agent_rules

using agent_rules::family_captures_pass;
using agent_rules::keep_numeric_version;
using agent_rules::resolve;

AgentInfo AgentParser::Impl::parse_with(std::string_view text, int& rule_index) const {
    AgentInfo info;
    rule_index = agents.first_match(text);
    bool refused = false;
    if (rule_index >= 0) refused = !fill_agent(rule_index, text, info);
    const bool spider = is_spider(text);
    if (info.family.empty() || refused) {
        // A crawler whose name is refused is still a crawler: the device rules or the
        // refused name itself say so.
        info.family = refused && (spider || names_a_bot(info.family)) ? "Other bot" : "Other";
        info.major.clear();
        info.minor.clear();
        info.patch.clear();
    }
    keep_numeric_version(info.major, info.minor, info.patch);
    if (!info.major.empty()) {
        info.version = info.major;
        if (!info.minor.empty()) {
            info.version.append(".").append(info.minor);
            if (!info.patch.empty()) info.version.append(".").append(info.patch);
        }
    }
    if (spider || info.family == "Other bot") {
        info.agent_class = AgentClass::bot;
    } else if (info.family == "Other") {
        info.agent_class = AgentClass::other;
    } else if (tool_families.count(info.family) != 0) {
        info.agent_class = AgentClass::tool;
    } else {
        info.agent_class = AgentClass::browser;
    }
    return info;
}

bool AgentParser::Impl::fill_agent(int index, std::string_view text, AgentInfo& info) const {
    const AgentRule& rule = agents.rules[index];
    re2::StringPiece groups[10];
    const int count = rule.groups_needed + 1;
    if (!agents.regex(index).Match(re2::StringPiece(text.data(), text.size()), 0, text.size(),
                                   RE2::UNANCHORED, groups, count)) {
        return true;  // cannot happen: the filter said it matches
    }
    info.family = resolve(rule.family, 1, groups, count);
    info.major = resolve(rule.v1, 2, groups, count);
    info.minor = resolve(rule.v2, 3, groups, count);
    info.patch = resolve(rule.v3, 4, groups, count);
    return family_captures_pass(rule, groups, count);
}

bool AgentParser::Impl::is_spider(std::string_view text) const {
    for (const RuleList<DeviceRule>& list : devices) {
        const int index = list.first_match(text);
        if (index < 0) continue;
        const DeviceRule& rule = list.rules[index];
        if (rule.spider) return *rule.spider;
        re2::StringPiece groups[10];
        const int count = rule.groups_needed + 1;
        if (!list.regex(index).Match(re2::StringPiece(text.data(), text.size()), 0, text.size(),
                                     RE2::UNANCHORED, groups, count)) {
            return false;
        }
        return resolve(rule.family, 1, groups, count) == "Spider";
    }
    return false;
}

}  // namespace logsift
