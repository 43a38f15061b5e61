// User agents: loads uap-core's regexes.yaml and logsift's agents.yaml with yaml-cpp, compiles
// every rule once into RE2 (and an RE2::Set per rule list, so a miss costs one pass over the
// text to find the first matching rule), and maps a user-agent string to family, version, class.
#include "logsift/reduce/useragent.hpp"

#include "logsift/reduce/agent_grammar.hpp"

#include <re2/filtered_re2.h>
#include <re2/re2.h>
#include <re2/set.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <unordered_set>

namespace logsift {
namespace {

constexpr std::string_view default_regexes = "/usr/share/uap-core/regexes.yaml";

// Raised while loading; converted to AgentRulesError at the edge of load().
struct LoadFailure {
    std::size_t line;
    std::string reason;
};

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

RE2::Options rule_options(int64_t max_mem = rule_max_mem) {
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

// One replacement template, "$1 Mobile" or "Firefox"; nullopt when the rule has none.
using Replacement = std::optional<std::string>;

// The highest $N a template refers to, 0 when none.
int highest_reference(const std::string& text) {
    int highest = 0;
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        if (text[i] == '$' && text[i + 1] >= '1' && text[i + 1] <= '9') {
            highest = std::max(highest, text[i + 1] - '0');
        }
    }
    return highest;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string trimmed(std::string_view text) {
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return std::string(text);
}

// uap-core's rule for every field: the template with $1..$9 replaced by the captures (a group
// that did not take part gives ""), or capture `position` when there is no template; trimmed,
// and "" stands for missing.
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
unsigned family_groups(const Replacement& family) {
    if (!family) return 1U << 1;
    unsigned groups = 0;
    for (std::size_t i = 0; i + 1 < family->size(); ++i) {
        const char c = (*family)[i + 1];
        if ((*family)[i] == '$' && c >= '1' && c <= '9') groups |= 1U << (c - '0');
    }
    return groups;
}

// Whether every capture the family takes (trimmed; one that took no part is empty) is a
// product name. The template's own text is the rule author's and is not checked.
bool family_captures_pass(const AgentRule& rule, const re2::StringPiece* groups, int count) {
    if (rule.family_is_literal()) return true;
    const unsigned taken = family_groups(rule.family);
    for (int index = 1; index < count; ++index) {
        if ((taken & (1U << index)) == 0 || groups[index].data() == nullptr) continue;
        std::string_view captured(groups[index].data(), groups[index].size());
        while (!captured.empty() && is_space(captured.front()))
            captured.remove_prefix(1);
        while (!captured.empty() && is_space(captured.back()))
            captured.remove_suffix(1);
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

    // Adds a compiled regex; -1 (and the RE2 error in `error`) when RE2 cannot compile it.
    int add(const std::string& pattern, std::string& error) {
        int id = -1;
        RE2::ErrorCode code = filter->Add(pattern, rule_options(), &id);
        if (code == RE2::ErrorPatternTooLarge) {
            code = filter->Add(pattern, rule_options(large_rule_max_mem), &id);
        }
        if (code != RE2::NoError) {
            // Add keeps only the error code.
            error = RE2(pattern, rule_options(large_rule_max_mem)).error();
            return -1;
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

std::string read_text(const YAML::Node& node) {
    return node && node.IsScalar() ? node.Scalar() : std::string();
}

std::size_t line_of(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? 0 : static_cast<std::size_t>(mark.line) + 1;
}

// An entry's regex, with regex_flag 'i' as an inline flag.
std::string pattern_of(const YAML::Node& entry) {
    const YAML::Node regex = entry["regex"];
    if (!regex || !regex.IsScalar()) throw LoadFailure{line_of(entry), "entry without a regex"};
    std::string pattern = regex.Scalar();
    if (const YAML::Node flag = entry["regex_flag"]) {
        if (read_text(flag) != "i") throw LoadFailure{line_of(flag), "regex_flag must be 'i'"};
        pattern.insert(0, "(?i)");
    }
    return pattern;
}

Replacement read_replacement(const YAML::Node& entry, const char* key) {
    const YAML::Node node = entry[key];
    if (!node || node.IsNull()) return std::nullopt;
    if (!node.IsScalar()) throw LoadFailure{line_of(node), std::string(key) + " must be text"};
    return node.Scalar();
}

int needed(const Replacement& replacement, int position) {
    return replacement ? highest_reference(*replacement) : position;
}

}  // namespace

struct AgentParser::Impl {
    static constexpr std::size_t shared_capacity = 1 << 16;
    std::mutex shared_mutex;
    StringMap<AgentInfo> shared_answers;

    RuleList<AgentRule> agents;
    // uap-core's device rules in file order, in two lists compiled on two threads (see load).
    std::array<RuleList<DeviceRule>, 2> devices;
    std::unordered_set<std::string> tool_families;
    std::vector<std::string> skipped;

    // The rule list's entries in file order: logsift's first, then uap-core's.
    void add_agent_rules(const YAML::Node& parsers, const std::string& file, BadPattern bad) {
        if (!parsers) return;
        if (!parsers.IsSequence()) {
            throw LoadFailure{line_of(parsers), "user_agent_parsers must be a list"};
        }
        for (const YAML::Node& entry : parsers) {
            AgentRule rule;
            rule.line = line_of(entry);
            std::string error;
            const std::string pattern = pattern_of(entry);
            const int id = agents.add(pattern, error);
            if (id < 0) {
                if (bad == BadPattern::fail) {
                    throw LoadFailure{rule.line, "RE2 cannot compile the regex: " + error};
                }
                skipped.push_back(file + ":" + std::to_string(rule.line) + ": " + error);
                continue;
            }
            rule.family = read_replacement(entry, "family_replacement");
            rule.v1 = read_replacement(entry, "v1_replacement");
            rule.v2 = read_replacement(entry, "v2_replacement");
            rule.v3 = read_replacement(entry, "v3_replacement");
            const int wanted = std::max({needed(rule.family, 1), needed(rule.v1, 2),
                                         needed(rule.v2, 3), needed(rule.v3, 4)});
            rule.groups_needed = std::min(wanted, agents.regex(id).NumberOfCapturingGroups());
            for (int group = 1; group <= 9; ++group) {
                if ((family_groups(rule.family) & (1U << group)) != 0 &&
                    capture_is_free_text(pattern, group)) {
                    rule.free_text_groups |= 1U << group;
                }
            }
            agents.rules.push_back(std::move(rule));
        }
    }

    // Device rules are read from the YAML tree first (yaml-cpp nodes are not safe to share
    // between threads), then compiled on two threads: compiling is most of the load time, and
    // uap-core's device rules take about twice as long as its agent rules, so one thread
    // compiles the first part of them while the other compiles the agent rules and the rest.
    struct DeviceEntry {
        std::string pattern;
        Replacement family;
        std::size_t line = 0;
    };

    static std::vector<DeviceEntry> read_device_entries(const YAML::Node& parsers) {
        std::vector<DeviceEntry> entries;
        if (!parsers) return entries;
        if (!parsers.IsSequence()) {
            throw LoadFailure{line_of(parsers), "device_parsers must be a list"};
        }
        for (const YAML::Node& entry : parsers) {
            entries.push_back(
                {pattern_of(entry), read_replacement(entry, "device_replacement"), line_of(entry)});
        }
        return entries;
    }

    // Fills `list` from entries; patterns RE2 cannot compile go to `device_skipped`.
    static void add_device_rules(std::span<const DeviceEntry> entries, const std::string& file,
                                 RuleList<DeviceRule>& list,
                                 std::vector<std::string>& device_skipped) {
        for (const DeviceEntry& entry : entries) {
            DeviceRule rule;
            std::string error;
            const int id = list.add(entry.pattern, error);
            if (id < 0) {
                device_skipped.push_back(file + ":" + std::to_string(entry.line) + ": " + error);
                continue;
            }
            rule.family = entry.family;
            if (rule.family && highest_reference(*rule.family) == 0) {
                rule.spider = trimmed(*rule.family) == "Spider";
            }
            rule.groups_needed =
                std::min(needed(rule.family, 1), list.regex(id).NumberOfCapturingGroups());
            list.rules.push_back(std::move(rule));
        }
        list.compile();
    }

    // Index of the agent rule that decides `text`, or -1 for "Other".
    AgentInfo parse_with(std::string_view text, int& rule_index) const {
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

    // uap-core's answer; false when the family holds a capture that is no product name.
    bool fill_agent(int index, std::string_view text, AgentInfo& info) const {
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

    // uap-core's device family is "Spider": only the first matching device rule counts.
    bool is_spider(std::string_view text) const {
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
};

namespace {

std::optional<YAML::Node> load_yaml(const std::string& path, bool is_uap_core,
                                    AgentRulesError& error) {
    std::ifstream probe(path);
    if (!probe) {
        error = {path, 0,
                 is_uap_core ? "cannot read uap-core's user-agent rules; install them with "
                               "`apt-get install uap-core`, or pass --ua-regexes FILE"
                             : "cannot read the file"};
        return std::nullopt;
    }
    try {
        return YAML::LoadFile(path);
    } catch (const YAML::Exception& failure) {
        const std::size_t line = failure.mark.is_null() ? 0 : failure.mark.line + 1;
        error = {path, line, failure.msg};
        return std::nullopt;
    }
}

// The agents.yaml checks that need the finished parser: every entry has samples, and every
// sample is decided by its own entry with the expected family, version and (if given) class.
void check_samples(const YAML::Node& parsers, const AgentParser::Impl& impl) {
    std::size_t rule_position = 0;  // index into impl.agents.rules of this entry
    for (const YAML::Node& entry : parsers) {
        const std::size_t entry_line = line_of(entry);
        const YAML::Node samples = entry["samples"];
        if (!samples || !samples.IsSequence() || samples.size() == 0) {
            throw LoadFailure{entry_line, "entry without samples"};
        }
        for (const YAML::Node& sample : samples) {
            const std::size_t line = line_of(sample);
            const std::string ua = read_text(sample["ua"]);
            if (ua.empty()) throw LoadFailure{line, "sample without ua"};
            int decided_by = -1;
            const AgentInfo info = impl.parse_with(ua, decided_by);
            if (decided_by != static_cast<int>(rule_position)) {
                const std::string by =
                    decided_by < 0
                        ? std::string("no entry")
                        : "the entry at line " + std::to_string(impl.agents.rules[decided_by].line);
                throw LoadFailure{line, "sample is decided by " + by + ", not by its own entry"};
            }
            const std::string family = read_text(sample["family"]);
            const std::string version = read_text(sample["version"]);
            if (info.family != family || info.version != version) {
                throw LoadFailure{line, "sample gives family '" + info.family + "' version '" +
                                            info.version + "', expected '" + family +
                                            "' version '" + version + "'"};
            }
            const YAML::Node expected_class = sample["class"];
            if (expected_class && read_text(expected_class) != agent_class_name(info.agent_class)) {
                throw LoadFailure{line, "sample gives class '" +
                                            std::string(agent_class_name(info.agent_class)) +
                                            "', expected '" + read_text(expected_class) + "'"};
            }
        }
        ++rule_position;
    }
}

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

std::variant<std::unique_ptr<AgentParser>, AgentRulesError> AgentParser::load(
    const std::string& regexes_path, const std::string& extra_path) {
    AgentRulesError error;
    std::optional<YAML::Node> uap = load_yaml(regexes_path, true, error);
    if (!uap) return error;
    std::optional<YAML::Node> extra;
    if (!extra_path.empty()) {
        extra = load_yaml(extra_path, false, error);
        if (!extra) return error;
    }

    auto impl = std::make_unique<Impl>();
    const std::string* file = &regexes_path;
    try {
        YAML::Node extra_parsers;
        if (extra) {
            file = &extra_path;
            if (!extra->IsMap()) throw LoadFailure{0, "expected a map at the top level"};
            extra_parsers = (*extra)["user_agent_parsers"];
            if (!extra_parsers || !extra_parsers.IsSequence()) {
                throw LoadFailure{0, "user_agent_parsers list missing"};
            }
            impl->add_agent_rules(extra_parsers, extra_path, BadPattern::fail);
            if (const YAML::Node tools = (*extra)["tool_families"]) {
                if (!tools.IsSequence()) {
                    throw LoadFailure{line_of(tools), "tool_families must be a list"};
                }
                for (const YAML::Node& tool : tools) {
                    if (!tool.IsScalar()) throw LoadFailure{line_of(tool), "expected a family"};
                    impl->tool_families.insert(tool.Scalar());
                }
            }
        }
        file = &regexes_path;
        if (!uap->IsMap() || !(*uap)["user_agent_parsers"]) {
            throw LoadFailure{0, "user_agent_parsers list missing"};
        }
        const std::vector<Impl::DeviceEntry> device_entries =
            Impl::read_device_entries((*uap)["device_parsers"]);
        // 70 % of the device rules balance the agent rules plus the rest (measured on uap-core:
        // about 75 ms on each thread, two cores).
        const std::span<const Impl::DeviceEntry> all_devices(device_entries);
        const std::size_t first_part = all_devices.size() * 7 / 10;
        std::array<std::vector<std::string>, 2> device_skipped;
        {
            std::jthread device_compiler([&] {
                Impl::add_device_rules(all_devices.first(first_part), regexes_path,
                                       impl->devices[0], device_skipped[0]);
            });
            impl->add_agent_rules((*uap)["user_agent_parsers"], regexes_path, BadPattern::skip);
            impl->agents.compile();
            Impl::add_device_rules(all_devices.subspan(first_part), regexes_path, impl->devices[1],
                                   device_skipped[1]);
        }
        for (const auto& part : device_skipped)
            impl->skipped.insert(impl->skipped.end(), part.begin(), part.end());
        if (extra) {
            file = &extra_path;
            check_samples(extra_parsers, *impl);
        }
    } catch (const LoadFailure& failure) {
        return AgentRulesError{*file, failure.line, failure.reason};
    } catch (const YAML::Exception& failure) {
        const std::size_t line = failure.mark.is_null() ? 0 : failure.mark.line + 1;
        return AgentRulesError{*file, line, failure.msg};
    }
    return std::unique_ptr<AgentParser>(new AgentParser(std::move(impl)));
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
