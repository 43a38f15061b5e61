// User-agent rules: uap-core's and logsift's rules compiled into RE2 and matched against an
// agent. Internal to the reduce stage: agent_rules.cpp matches, agent_rules_yaml.cpp loads the
// YAML files, useragent.cpp is the interface (useragent.hpp) and its caches.
#pragma once

#include <re2/filtered_re2.h>
#include <re2/re2.h>
#include <re2/set.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "logsift/base/error.hpp"
#include "logsift/base/string_map.hpp"
#include "logsift/reduce/useragent.hpp"

namespace logsift {
namespace agent_rules {

// Atoms shorter than this match too often to filter anything.
constexpr int min_atom_len = 3;

// A rule runs only on a cache miss, so its DFA need not grow large: RE2's default budget of
// 8 MiB per expression, over some 1500 rules, let a busy log's memory grow by tens of MiB, and
// 1 MiB still about 20 MiB over uap-core's test agents. The budget holds the compiled program
// too, so the few rules too large for the small one (`.{0,300}` under (?i)) get the large one.
constexpr int64_t rule_max_mem = 1 << 17;
constexpr int64_t large_rule_max_mem = 1 << 20;
// The atom Set runs for every unseen agent: out of DFA memory, it would leave every rule to
// be tried in turn.
constexpr int64_t atom_set_max_mem = 1 << 20;

RE2::Options rule_options(int64_t max_mem = rule_max_mem);

// One replacement template, "$1 Mobile" or "Firefox"; nullopt when the rule has none.
using Replacement = std::optional<std::string>;

// The highest $N a template refers to, 0 when none.
int highest_reference(const std::string& text);

// Text without the whitespace that uap-core's reference parser strips from each field.
std::string trimmed(std::string_view text);

// uap-core's rule for every field: the template with $1..$9 replaced by the captures (a group
// that did not take part gives ""), or capture `position` when there is no template; trimmed,
// and "" stands for missing.
std::string resolve(const Replacement& replacement, int position, const re2::StringPiece* groups,
                    int group_count);

// logsift's own rules must all compile (their samples are checked); uap-core's may hold a
// pattern RE2 cannot take, which is skipped and listed.
enum class BadPattern { fail, skip };

struct AgentRule {
    Replacement family, v1, v2, v3;
    int groups_needed = 0;  // captures the capturing match asks for, beyond group 0
    std::size_t line = 0;
    // Bit N: capture N, which the family takes, is the client's free text (agent_grammar.hpp).
    unsigned free_text_groups = 0;

    // A literal family_replacement is the rule author's product name, trusted as it is.
    bool family_is_literal() const { return family && highest_reference(*family) == 0; }
};

// The captures a family takes: its template's $N, or capture 1 without a template.
unsigned family_groups(const Replacement& family);

struct DeviceRule {
    Replacement family;
    int groups_needed = 0;
    std::optional<bool> spider;  // known without a capturing match when the template is literal
};

// A rule list and its prefilter. One RE2::Set over all of a list's patterns finds the first
// match in one pass, but its DFA is huge (`.{0,300}` repeats): the device Set needs 256 MiB of
// max_mem, ~185 ms to compile, and ~230-320 us per list for each user agent it has not seen
// (measured on test_ua.yaml). So FilteredRE2 keeps each rule's own RE2 and the literal atoms the
// rules require go into one small case-insensitive Set; one pass of it picks the candidate
// rules, which run in order (~25-35 us per list for an unseen agent, ~4-5 us once warm).
template <typename Rule>
struct RuleList {
    std::vector<Rule> rules;  // rules[i] is regex i of the filter
    std::unique_ptr<re2::FilteredRE2> filter = std::make_unique<re2::FilteredRE2>(min_atom_len);
    std::unique_ptr<RE2::Set> atoms;  // null when no rule has an atom
    bool filtering = true;            // false if the atom Set could not be built

    // Adds a compiled regex and gives its index. The error, when RE2 cannot compile it, names no
    // file: the caller knows which one it read the pattern from.
    Expected<int> add(const std::string& pattern) {
        int id = -1;
        RE2::ErrorCode code = filter->Add(pattern, rule_options(), &id);
        if (code == RE2::ErrorPatternTooLarge) {
            code = filter->Add(pattern, rule_options(large_rule_max_mem), &id);
        }
        if (code != RE2::NoError) {
            // Add keeps only the error code.
            return usage_error({}, RE2(pattern, rule_options(large_rule_max_mem)).error());
        }
        return id;
    }

    const RE2& regex(int index) const { return filter->GetRE2(index); }

    void compile() {
        if (rules.empty()) return;  // FilteredRE2 complains when compiled empty
        std::vector<std::string> strings;
        filter->Compile(&strings);
        if (strings.empty()) return;
        RE2::Options options = rule_options(atom_set_max_mem);
        options.set_literal(true);
        options.set_case_sensitive(false);  // the atoms are lowercased
        auto set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
        filtering = false;  // until the Set is built; SlowFirstMatch gives the answer meanwhile
        for (const std::string& atom : strings) {
            if (set->Add(atom, nullptr) < 0) return;
        }
        if (!set->Compile()) return;
        atoms = std::move(set);
        filtering = true;
    }

    // Index of the first rule matching `text`, or -1.
    int first_match(std::string_view text) const {
        if (rules.empty()) return -1;
        const re2::StringPiece piece(text.data(), text.size());
        std::vector<int> found;
        if (!match_atoms(piece, found)) return filter->SlowFirstMatch(piece);
        return filter->FirstMatch(piece, found);
    }

  private:
    // False when there is no usable atom Set (not built, or its DFA ran out of memory): the
    // caller must then try every rule.
    bool match_atoms(const re2::StringPiece& text, std::vector<int>& found) const {
        if (!filtering) return false;
        if (!atoms) return true;  // no rule has an atom: FirstMatch tries them all
        RE2::Set::ErrorInfo error{};
        return atoms->Match(text, &found, &error) || error.kind == RE2::Set::kNoError;
    }
};

}  // namespace agent_rules

struct AgentParser::Impl {
    using AgentRule = agent_rules::AgentRule;
    using DeviceRule = agent_rules::DeviceRule;
    using BadPattern = agent_rules::BadPattern;
    using Replacement = agent_rules::Replacement;
    template <typename Rule>
    using RuleList = agent_rules::RuleList<Rule>;

    static constexpr std::size_t shared_capacity = 1 << 16;
    std::mutex shared_mutex;
    StringMap<AgentInfo> shared_answers;

    RuleList<AgentRule> agents;
    // uap-core's device rules in file order, in two lists compiled on two threads (see load).
    std::array<RuleList<DeviceRule>, 2> devices;
    std::unordered_set<std::string> tool_families;
    std::vector<std::string> skipped;

    // Loading (agent_rules_yaml.cpp): the rule list's entries in file order, logsift's first,
    // then uap-core's.
    Expected<void> add_agent_rules(const YAML::Node& parsers, const std::string& file,
                                   BadPattern bad);
    // Device rules are read from the YAML tree first (yaml-cpp nodes are not safe to share
    // between threads), then compiled on two threads: compiling is most of the load time, and
    // uap-core's device rules take about twice as long as its agent rules, so one thread
    // compiles the first part of them while the other compiles the agent rules and the rest.
    struct DeviceEntry {
        std::string pattern;
        Replacement family;
        std::size_t line = 0;
    };

    static Expected<std::vector<DeviceEntry>> read_device_entries(const YAML::Node& parsers,
                                                                  const std::string& file);
    static void add_device_rules(std::span<const DeviceEntry> entries, const std::string& file,
                                 RuleList<DeviceRule>& list,
                                 std::vector<std::string>& device_skipped);

    // Matching (agent_rules.cpp). The agent rule that decides text goes to rule_index (-1 for
    // "Other").
    AgentInfo parse_with(std::string_view text, int& rule_index) const;
    // uap-core's answer; false when the family holds a capture that is no product name.
    bool fill_agent(int index, std::string_view text, AgentInfo& info) const;
    // uap-core's device family is "Spider": only the first matching device rule counts.
    bool is_spider(std::string_view text) const;
};

}  // namespace logsift
