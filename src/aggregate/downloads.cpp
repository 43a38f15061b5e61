// Download rules: reads patterns/downloads, compiles each rule and checks every sample at load,
// and matches reduced resources with one RE2::Set pass before running the winning rule's
// captures.
#include "logsift/aggregate/downloads.hpp"

#include "logsift/base/patterns.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <map>
#include <utility>

namespace logsift {

namespace {

RE2::Options rule_options() {
    RE2::Options options;
    // Resources are kept as logged, so they need not be UTF-8; Latin-1 lets `.` and `[^/]`
    // match any byte instead of silently failing on an invalid sequence.
    options.set_encoding(RE2::Options::EncodingLatin1);
    options.set_log_errors(false);
    return options;
}

constexpr std::string_view keys_help =
    "keys: pattern, sample, expect product, expect version, expect none";

struct RawExpect {
    std::string capture;  // "product" or "version"
    std::string value;
    std::size_t line = 0;
};

struct RawSample {
    std::string text;
    std::size_t line = 0;
    std::size_t none_line = 0;  // the `expect none` line; 0 when the sample is a download
    std::vector<RawExpect> expects;
};

struct RawRule {
    std::string name;
    std::size_t line = 0;
    std::string pattern;
    std::size_t pattern_line = 0;
    std::vector<RawSample> samples;
};

}  // namespace

struct DownloadRules::Impl {
    struct Rule {
        std::string name;
        std::size_t line = 0;
        std::unique_ptr<RE2> re;
        int product_group = 0;  // 0: the pattern has no such group
        int version_group = 0;
        int submatches = 0;  // how many groups to ask RE2 for: none when nothing is captured
    };
    struct Found {
        std::size_t rule = 0;
        DownloadMatch match;
    };

    std::vector<Rule> rules;
    std::unique_ptr<RE2::Set> set;  // null when RE2 could not compile the rules together

    bool run(const Rule& rule, std::string_view resource, DownloadMatch& match) const {
        std::array<re2::StringPiece, 3> groups;
        if (!rule.re->Match(resource, 0, resource.size(), RE2::ANCHOR_BOTH, groups.data(),
                            rule.submatches)) {
            return false;
        }
        auto view = [&](int group) {
            const re2::StringPiece& piece = groups[static_cast<std::size_t>(group)];
            return group == 0 || piece.data() == nullptr
                       ? std::string_view{}
                       : std::string_view(piece.data(), piece.size());
        };
        match.product = view(rule.product_group);
        match.version = view(rule.version_group);
        return true;
    }

    std::optional<Found> one_by_one(std::string_view resource) const {
        Found found;
        for (std::size_t i = 0; i < rules.size(); ++i) {
            if (run(rules[i], resource, found.match)) {
                found.rule = i;
                return found;
            }
        }
        return std::nullopt;
    }

    std::optional<Found> find(std::string_view resource) const {
        if (!set) return one_by_one(resource);
        // Without an output vector the Set can stop at the first match and allocates nothing,
        // which keeps the common case (most requests are not downloads) cheap.
        RE2::Set::ErrorInfo error{RE2::Set::kNoError};
        if (!set->Match(resource, nullptr, &error)) {
            // A DFA out of memory is not a verdict; the rules' own RE2s fall back to the NFA.
            return error.kind == RE2::Set::kNoError ? std::nullopt : one_by_one(resource);
        }
        thread_local std::vector<int> hits;
        if (!set->Match(resource, &hits)) return one_by_one(resource);
        std::sort(hits.begin(), hits.end());
        Found found;
        for (int hit : hits) {
            found.rule = static_cast<std::size_t>(hit);
            if (run(rules[found.rule], resource, found.match)) return found;
        }
        return std::nullopt;
    }
};

namespace {

using Rule = DownloadRules::Impl::Rule;

// One entry of a rule, added to raw.
Expected<void> read_entry(const PatternEntry& entry, const std::string& file_name, RawRule& raw) {
    auto error = [&](std::string reason) {
        return usage_error(file_name, std::move(reason), entry.line);
    };
    std::string_view key = entry.key;
    std::optional<std::string_view> expect_what =
        key == "expect" ? std::string_view{} : key_argument(key, "expect");
    if (key == "pattern") {
        if (raw.pattern_line != 0) {
            return error("'pattern' given twice (first at line " +
                         std::to_string(raw.pattern_line) + ")");
        }
        raw.pattern = std::string(entry.value);
        raw.pattern_line = entry.line;
    } else if (key == "sample") {
        if (entry.value.empty()) return error("a sample needs a resource");
        raw.samples.push_back(RawSample{std::string(entry.value), entry.line, 0, {}});
    } else if (expect_what) {
        if (raw.samples.empty()) return error("'expect' must follow a 'sample' line");
        RawSample& sample = raw.samples.back();
        if (*expect_what == "none") {
            if (entry.has_value) return error("'expect none' takes no value");
            if (sample.none_line != 0 || !sample.expects.empty()) {
                return error("'expect none' must be the only expect line of its sample");
            }
            sample.none_line = entry.line;
            return {};
        }
        if (*expect_what != "product" && *expect_what != "version") {
            return error("unknown expectation " + quote(*expect_what) +
                         " (expect product, expect version or expect none)");
        }
        if (sample.none_line != 0) {
            return error("'expect none' must be the only expect line of its sample");
        }
        for (const RawExpect& other : sample.expects) {
            if (other.capture == *expect_what) {
                return error("'expect " + other.capture + "' given twice for this sample");
            }
        }
        sample.expects.push_back(
            RawExpect{std::string(*expect_what), std::string(entry.value), entry.line});
    } else {
        return error("unknown key " + quote(key) + " (" + std::string(keys_help) + ")");
    }
    return {};
}

Expected<std::vector<RawRule>> parse_raw(std::string_view text, const std::string& file_name) {
    return read_raw_sections<RawRule>(
        read_pattern_sections(text, file_name, "rule", "expect none"),
        [&](const PatternEntry& entry, RawRule& raw) { return read_entry(entry, file_name, raw); });
}

Expected<Rule> compile_rule(const RawRule& raw, const std::string& file_name) {
    auto error = [&](std::size_t line, std::string reason) {
        return usage_error(file_name, "rule " + quote(raw.name) + ": " + reason, line);
    };
    if (raw.pattern_line == 0) return error(raw.line, "has no 'pattern' line");
    if (raw.pattern.empty()) return error(raw.pattern_line, "the pattern is empty");
    bool counts_a_sample = std::any_of(raw.samples.begin(), raw.samples.end(),
                                       [](const RawSample& s) { return s.none_line == 0; });
    if (!counts_a_sample) return error(raw.line, "has no sample it counts");

    Rule rule;
    rule.name = raw.name;
    rule.line = raw.line;
    rule.re = std::make_unique<RE2>(raw.pattern, rule_options());
    if (!rule.re->ok()) return error(raw.pattern_line, "invalid pattern: " + rule.re->error());

    const std::map<std::string, int>& named = rule.re->NamedCapturingGroups();
    for (const auto& [name, group] : named) {
        if (name == "product") {
            rule.product_group = group;
        } else if (name == "version") {
            rule.version_group = group;
        } else {
            return error(raw.pattern_line,
                         "the group (?P<" + name + ">...) is neither product nor version");
        }
    }
    if (static_cast<std::size_t>(rule.re->NumberOfCapturingGroups()) > named.size()) {
        return error(raw.pattern_line,
                     "a group without a name captures; write (?:...) to group, or name it "
                     "(?P<product>...) or (?P<version>...)");
    }
    int last_group = std::max(rule.product_group, rule.version_group);
    rule.submatches = last_group == 0 ? 0 : last_group + 1;
    return rule;
}

// Samples are checked against the whole file, not their rule alone, so that a rule shadowed by
// an earlier one, or a new rule that swallows a negative sample, is caught at load.
Expected<void> check_samples(const RawRule& raw, std::size_t index, const DownloadRules::Impl& impl,
                             const std::string& file_name) {
    const Rule& rule = impl.rules[index];
    auto error = [&](std::size_t line, std::string reason) {
        return usage_error(file_name, "rule " + quote(raw.name) + ": " + reason, line);
    };
    auto name_of = [&](std::size_t other) {
        return "rule " + quote(impl.rules[other].name) + " (line " +
               std::to_string(impl.rules[other].line) + ")";
    };
    for (const RawSample& sample : raw.samples) {
        std::optional<DownloadRules::Impl::Found> found = impl.find(sample.text);
        std::string what = "sample " + quote(sample.text);
        if (sample.none_line != 0) {
            if (found)
                return error(sample.line, what + " must not be a download, but " +
                                              name_of(found->rule) + " counts it");
            continue;
        }
        if (!found || found->rule > index) {
            return error(sample.line, what + " does not match the pattern");
        }
        if (found->rule < index) {
            return error(sample.line, what + " is taken by the earlier " + name_of(found->rule));
        }
        for (const RawExpect& expect : sample.expects) {
            bool product = expect.capture == "product";
            if ((product ? rule.product_group : rule.version_group) == 0) {
                return error(expect.line,
                             "the pattern has no (?P<" + expect.capture + ">...) group to expect");
            }
            std::string_view got = product ? found->match.product : found->match.version;
            if (got != expect.value) {
                return error(expect.line, what + " gives " + expect.capture + " " + quote(got) +
                                              ", expected " + quote(expect.value));
            }
        }
        for (std::string_view capture : {"product", "version"}) {
            int group = capture == "product" ? rule.product_group : rule.version_group;
            bool expected = std::any_of(sample.expects.begin(), sample.expects.end(),
                                        [&](const RawExpect& e) { return e.capture == capture; });
            if (group != 0 && !expected) {
                return error(sample.line, what + " needs an 'expect " + std::string(capture) +
                                              "' line: the pattern captures it");
            }
        }
    }
    return {};
}

}  // namespace

DownloadRules::DownloadRules(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DownloadRules::~DownloadRules() = default;

Expected<std::unique_ptr<DownloadRules>> DownloadRules::parse(std::string_view text,
                                                              const std::string& file_name) {
    Expected<std::vector<RawRule>> parsed = parse_raw(text, file_name);
    if (!parsed) return std::move(parsed).error();
    const std::vector<RawRule>& raws = *parsed;

    auto impl = std::make_unique<Impl>();
    impl->rules.reserve(raws.size());
    auto set = std::make_unique<RE2::Set>(rule_options(), RE2::ANCHOR_BOTH);
    for (const RawRule& raw : raws) {
        Expected<Rule> compiled = compile_rule(raw, file_name);
        if (!compiled) return std::move(compiled).error();
        std::string set_error;
        // The Set parses the same pattern with the same options, so it cannot disagree with
        // the RE2 above; a failure here would make indices shift, so treat it as fatal.
        if (set->Add(raw.pattern, &set_error) != static_cast<int>(impl->rules.size())) {
            return usage_error(file_name,
                               "rule " + quote(raw.name) + ": invalid pattern: " + set_error,
                               raw.pattern_line);
        }
        impl->rules.push_back(std::move(*compiled));
    }
    // Compile fails only when the rules together outgrow RE2's memory budget; matching rule by
    // rule is slower but gives the same answers, so a large file still works.
    if (set->Compile()) impl->set = std::move(set);

    for (std::size_t i = 0; i < raws.size(); ++i) {
        if (Expected<void> checked = check_samples(raws[i], i, *impl, file_name); !checked) {
            return std::move(checked).error();
        }
    }
    return std::unique_ptr<DownloadRules>(new DownloadRules(std::move(impl)));
}

Expected<std::unique_ptr<DownloadRules>> DownloadRules::load(const std::string& path) {
    Expected<std::string> text = read_pattern_file(path);
    if (!text) return std::move(text).error();
    return parse(*text, path);
}

std::optional<DownloadMatch> DownloadRules::match(std::string_view resource) const {
    std::optional<Impl::Found> found = impl_->find(resource);
    if (!found) return std::nullopt;
    return found->match;
}

std::size_t DownloadRules::size() const {
    return impl_->rules.size();
}

}  // namespace logsift
