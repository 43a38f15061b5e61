// User-agent rules, loading: uap-core's regexes.yaml and logsift's agents.yaml read with
// yaml-cpp, every rule compiled once into RE2 (device rules on a second thread), and
// agents.yaml's samples checked against the finished rules.
#include "logsift/reduce/agent_rules.hpp"

#include "logsift/reduce/agent_grammar.hpp"

#include <algorithm>
#include <fstream>
#include <thread>

namespace logsift {
namespace {

using namespace agent_rules;

// Raised while loading; converted to an Error at the edge of load().
struct LoadFailure {
    std::size_t line;
    std::string reason;
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

void AgentParser::Impl::add_agent_rules(const YAML::Node& parsers, const std::string& file,
                                        BadPattern bad) {
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
        const int wanted = std::max(
            {needed(rule.family, 1), needed(rule.v1, 2), needed(rule.v2, 3), needed(rule.v3, 4)});
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

std::vector<AgentParser::Impl::DeviceEntry> AgentParser::Impl::read_device_entries(
    const YAML::Node& parsers) {
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

void AgentParser::Impl::add_device_rules(std::span<const DeviceEntry> entries,
                                         const std::string& file, RuleList<DeviceRule>& list,
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

namespace {

Expected<YAML::Node> load_yaml(const std::string& path, bool is_uap_core) {
    std::ifstream probe(path);
    if (!probe) {
        return usage_error(path, is_uap_core
                                     ? "cannot read uap-core's user-agent rules; install them with "
                                       "`apt-get install uap-core`, or pass --ua-regexes FILE"
                                     : "cannot read the file");
    }
    try {
        return YAML::LoadFile(path);
    } catch (const YAML::Exception& failure) {
        const std::size_t line = failure.mark.is_null() ? 0 : failure.mark.line + 1;
        return usage_error(path, failure.msg, line);
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

Expected<std::unique_ptr<AgentParser>> AgentParser::load(const std::string& regexes_path,
                                                         const std::string& extra_path) {
    Expected<YAML::Node> uap = load_yaml(regexes_path, true);
    if (!uap) return std::move(uap).error();
    std::optional<YAML::Node> extra;
    if (!extra_path.empty()) {
        Expected<YAML::Node> loaded = load_yaml(extra_path, false);
        if (!loaded) return std::move(loaded).error();
        extra = std::move(*loaded);
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
        return usage_error(*file, failure.reason, failure.line);
    } catch (const YAML::Exception& failure) {
        const std::size_t line = failure.mark.is_null() ? 0 : failure.mark.line + 1;
        return usage_error(*file, failure.msg, line);
    }
    return std::unique_ptr<AgentParser>(new AgentParser(std::move(impl)));
}

}  // namespace logsift
