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

std::string read_text(const YAML::Node& node) {
    return node && node.IsScalar() ? node.Scalar() : std::string();
}

std::size_t line_of(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    return mark.is_null() ? 0 : static_cast<std::size_t>(mark.line) + 1;
}

// yaml-cpp's exceptions know the line but not the file being read.
Error yaml_error(const std::string& file, const YAML::Exception& failure) {
    const std::size_t line = failure.mark.is_null() ? 0 : failure.mark.line + 1;
    return usage_error(file, failure.msg, line);
}

// An entry's regex, with regex_flag 'i' as an inline flag.
Expected<std::string> pattern_of(const YAML::Node& entry, const std::string& file) {
    const YAML::Node regex = entry["regex"];
    if (!regex || !regex.IsScalar()) {
        return usage_error(file, "entry without a regex", line_of(entry));
    }
    std::string pattern = regex.Scalar();
    if (const YAML::Node flag = entry["regex_flag"]) {
        if (read_text(flag) != "i") {
            return usage_error(file, "regex_flag must be 'i'", line_of(flag));
        }
        pattern.insert(0, "(?i)");
    }
    return pattern;
}

Expected<Replacement> read_replacement(const YAML::Node& entry, const char* key,
                                       const std::string& file) {
    const YAML::Node node = entry[key];
    if (!node || node.IsNull()) return Replacement();
    if (!node.IsScalar()) {
        return usage_error(file, std::string(key) + " must be text", line_of(node));
    }
    return Replacement(node.Scalar());
}

int needed(const Replacement& replacement, int position) {
    return replacement ? highest_reference(*replacement) : position;
}

}  // namespace

Expected<void> AgentParser::Impl::add_agent_rules(const YAML::Node& parsers,
                                                  const std::string& file, BadPattern bad) {
    if (!parsers) return {};
    if (!parsers.IsSequence()) {
        return usage_error(file, "user_agent_parsers must be a list", line_of(parsers));
    }
    for (const YAML::Node& entry : parsers) {
        AgentRule rule;
        rule.line = line_of(entry);
        Expected<std::string> pattern = pattern_of(entry, file);
        if (!pattern) return std::move(pattern).error();
        const Expected<int> id = agents.add(*pattern);
        if (!id) {
            if (bad == BadPattern::fail) {
                return usage_error(file, "RE2 cannot compile the regex: " + id.error().reason,
                                   rule.line);
            }
            skipped.push_back(file + ":" + std::to_string(rule.line) + ": " + id.error().reason);
            continue;
        }
        const std::pair<Replacement*, const char*> replacements[] = {
            {&rule.family, "family_replacement"},
            {&rule.v1, "v1_replacement"},
            {&rule.v2, "v2_replacement"},
            {&rule.v3, "v3_replacement"},
        };
        for (const auto& [field, key] : replacements) {
            Expected<Replacement> replacement = read_replacement(entry, key, file);
            if (!replacement) return std::move(replacement).error();
            *field = std::move(*replacement);
        }
        const int wanted = std::max(
            {needed(rule.family, 1), needed(rule.v1, 2), needed(rule.v2, 3), needed(rule.v3, 4)});
        rule.groups_needed = std::min(wanted, agents.regex(*id).NumberOfCapturingGroups());
        for (int group = 1; group <= 9; ++group) {
            if ((family_groups(rule.family) & (1U << group)) != 0 &&
                capture_is_free_text(*pattern, group)) {
                rule.free_text_groups |= 1U << group;
            }
        }
        agents.rules.push_back(std::move(rule));
    }
    return {};
}

Expected<std::vector<AgentParser::Impl::DeviceEntry>> AgentParser::Impl::read_device_entries(
    const YAML::Node& parsers, const std::string& file) {
    std::vector<DeviceEntry> entries;
    if (!parsers) return entries;
    if (!parsers.IsSequence()) {
        return usage_error(file, "device_parsers must be a list", line_of(parsers));
    }
    for (const YAML::Node& entry : parsers) {
        Expected<std::string> pattern = pattern_of(entry, file);
        if (!pattern) return std::move(pattern).error();
        Expected<Replacement> family = read_replacement(entry, "device_replacement", file);
        if (!family) return std::move(family).error();
        entries.push_back({std::move(*pattern), std::move(*family), line_of(entry)});
    }
    return entries;
}

void AgentParser::Impl::add_device_rules(std::span<const DeviceEntry> entries,
                                         const std::string& file, RuleList<DeviceRule>& list,
                                         std::vector<std::string>& device_skipped) {
    for (const DeviceEntry& entry : entries) {
        DeviceRule rule;
        const Expected<int> id = list.add(entry.pattern);
        if (!id) {
            device_skipped.push_back(file + ":" + std::to_string(entry.line) + ": " +
                                     id.error().reason);
            continue;
        }
        rule.family = entry.family;
        if (rule.family && highest_reference(*rule.family) == 0) {
            rule.spider = trimmed(*rule.family) == "Spider";
        }
        rule.groups_needed =
            std::min(needed(rule.family, 1), list.regex(*id).NumberOfCapturingGroups());
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
        return yaml_error(path, failure);
    }
}

// The agents.yaml checks that need the finished parser: every entry has samples, and every
// sample is decided by its own entry with the expected family, version and (if given) class.
Expected<void> check_samples(const YAML::Node& parsers, const AgentParser::Impl& impl,
                             const std::string& file) {
    std::size_t rule_position = 0;  // index into impl.agents.rules of this entry
    for (const YAML::Node& entry : parsers) {
        const std::size_t entry_line = line_of(entry);
        const YAML::Node samples = entry["samples"];
        if (!samples || !samples.IsSequence() || samples.size() == 0) {
            return usage_error(file, "entry without samples", entry_line);
        }
        for (const YAML::Node& sample : samples) {
            const std::size_t line = line_of(sample);
            const std::string ua = read_text(sample["ua"]);
            if (ua.empty()) return usage_error(file, "sample without ua", line);
            int decided_by = -1;
            const AgentInfo info = impl.parse_with(ua, decided_by);
            if (decided_by != static_cast<int>(rule_position)) {
                const std::string by =
                    decided_by < 0
                        ? std::string("no entry")
                        : "the entry at line " + std::to_string(impl.agents.rules[decided_by].line);
                return usage_error(file, "sample is decided by " + by + ", not by its own entry",
                                   line);
            }
            const std::string family = read_text(sample["family"]);
            const std::string version = read_text(sample["version"]);
            if (info.family != family || info.version != version) {
                return usage_error(file,
                                   "sample gives family '" + info.family + "' version '" +
                                       info.version + "', expected '" + family + "' version '" +
                                       version + "'",
                                   line);
            }
            const YAML::Node expected_class = sample["class"];
            if (expected_class && read_text(expected_class) != agent_class_name(info.agent_class)) {
                return usage_error(file,
                                   "sample gives class '" +
                                       std::string(agent_class_name(info.agent_class)) +
                                       "', expected '" + read_text(expected_class) + "'",
                                   line);
            }
        }
        ++rule_position;
    }
    return {};
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
    // The file a YAML::Exception is about: the one being read when yaml-cpp throws.
    const std::string* file = &regexes_path;
    try {
        YAML::Node extra_parsers;
        if (extra) {
            file = &extra_path;
            if (!extra->IsMap()) return usage_error(extra_path, "expected a map at the top level");
            extra_parsers = (*extra)["user_agent_parsers"];
            if (!extra_parsers || !extra_parsers.IsSequence()) {
                return usage_error(extra_path, "user_agent_parsers list missing");
            }
            if (Expected<void> added =
                    impl->add_agent_rules(extra_parsers, extra_path, BadPattern::fail);
                !added) {
                return std::move(added).error();
            }
            if (const YAML::Node tools = (*extra)["tool_families"]) {
                if (!tools.IsSequence()) {
                    return usage_error(extra_path, "tool_families must be a list", line_of(tools));
                }
                for (const YAML::Node& tool : tools) {
                    if (!tool.IsScalar()) {
                        return usage_error(extra_path, "expected a family", line_of(tool));
                    }
                    impl->tool_families.insert(tool.Scalar());
                }
            }
        }
        file = &regexes_path;
        if (!uap->IsMap() || !(*uap)["user_agent_parsers"]) {
            return usage_error(regexes_path, "user_agent_parsers list missing");
        }
        Expected<std::vector<Impl::DeviceEntry>> device_entries =
            Impl::read_device_entries((*uap)["device_parsers"], regexes_path);
        if (!device_entries) return std::move(device_entries).error();
        // 70 % of the device rules balance the agent rules plus the rest (measured on uap-core:
        // about 75 ms on each thread, two cores).
        const std::span<const Impl::DeviceEntry> all_devices(*device_entries);
        const std::size_t first_part = all_devices.size() * 7 / 10;
        std::array<std::vector<std::string>, 2> device_skipped;
        {
            std::jthread device_compiler([&] {
                Impl::add_device_rules(all_devices.first(first_part), regexes_path,
                                       impl->devices[0], device_skipped[0]);
            });
            // An early return joins device_compiler first: it is destroyed before impl and
            // device_skipped, which it writes to.
            if (Expected<void> added = impl->add_agent_rules((*uap)["user_agent_parsers"],
                                                             regexes_path, BadPattern::skip);
                !added) {
                return std::move(added).error();
            }
            impl->agents.compile();
            Impl::add_device_rules(all_devices.subspan(first_part), regexes_path, impl->devices[1],
                                   device_skipped[1]);
        }
        for (const auto& part : device_skipped)
            impl->skipped.insert(impl->skipped.end(), part.begin(), part.end());
        if (extra) {
            file = &extra_path;
            if (Expected<void> checked = check_samples(extra_parsers, *impl, extra_path);
                !checked) {
                return std::move(checked).error();
            }
        }
    } catch (const YAML::Exception& failure) {
        return yaml_error(*file, failure);
    }
    return std::unique_ptr<AgentParser>(new AgentParser(std::move(impl)));
}

}  // namespace logsift
