// Resource paths: one pass of byte-class lookups per path finds the few segments worth a closer
// look (those with '@', ';' or '%', and long ones made of token bytes); only those are looked at
// again, and only a path with a changed segment is copied.
#include "logsift/reduce/resource.hpp"

#include "logsift/base/patterns.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace logsift {
namespace {

enum ByteClass : std::uint8_t {
    digit = 1,
    hex_letter = 2,    // a-f A-F
    other_letter = 4,  // g-z G-Z
    separator = 8,     // '-' '_'
    dot = 16,
    notable = 32,  // '@' ';' '%': an e-mail, a path parameter, an escaped '@'
    other = 64,
    slash = 128,
};

constexpr std::array<std::uint8_t, 256> byte_classes = [] {
    std::array<std::uint8_t, 256> table{};
    table.fill(other);
    for (char c = '0'; c <= '9'; ++c)
        table[static_cast<unsigned char>(c)] = digit;
    for (char c = 'a'; c <= 'z'; ++c) {
        std::uint8_t letter = c <= 'f' ? hex_letter : other_letter;
        table[static_cast<unsigned char>(c)] = letter;
        table[static_cast<unsigned char>(c - 'a' + 'A')] = letter;
    }
    table['-'] = table['_'] = separator;
    table['.'] = dot;
    table['@'] = table[';'] = table['%'] = notable;
    table['/'] = slash;
    return table;
}();

constexpr std::uint8_t letters = hex_letter | other_letter;
constexpr std::size_t token_length = 16;

std::uint8_t class_of(char c) {
    return byte_classes[static_cast<unsigned char>(c)];
}

bool is_upper(char c) {
    return c >= 'A' && c <= 'Z';
}

// Whether a segment with these byte classes and length could be an e-mail, a UUID or a token,
// or holds a parameter: the test that keeps the common segment out of the slow path.
bool worth_a_look(std::uint8_t classes, std::size_t size) {
    if (classes & notable) return true;
    return size >= token_length && (classes & (dot | other)) == 0 && (classes & digit) &&
           (classes & letters);
}

bool is_email(std::string_view segment) {
    // The last '@' or "%40" (a percent-encoded '@', as in alice%40example.com): a fediverse
    // handle (@alice@host.example) is an address too.
    std::size_t at = segment.rfind('@');
    std::size_t after = at == std::string_view::npos ? at : at + 1;
    if (std::size_t escaped = segment.rfind("%40");
        escaped != std::string_view::npos && (at == std::string_view::npos || escaped > at)) {
        at = escaped;
        after = escaped + 3;
    }
    if (at == std::string_view::npos || at == 0) return false;
    std::string_view domain = segment.substr(after);
    std::size_t last_dot = domain.rfind('.');
    return last_dot != std::string_view::npos && last_dot > 0 && last_dot + 1 < domain.size();
}

bool is_uuid(std::string_view segment) {
    if (segment.size() != 36) return false;
    for (std::size_t i = 0; i < segment.size(); ++i) {
        bool dash_place = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash_place != (segment[i] == '-')) return false;
        if (!dash_place && (class_of(segment[i]) & (digit | hex_letter)) == 0) return false;
    }
    return true;
}

// A token is random: all hex digits (a digest, a commit, an object id), or a run between '-'
// and '_' that changes between letters and digits three times or more (twice when the segment
// mixes upper and lower case, as base64 does). Slugs and platform names have letters and
// digits too ("logstash-puppetconf-2012", "x86_64-unknown-linux-gnu", "barcamprochester3"),
// but in runs that change once.
bool is_token(std::string_view segment) {
    if (segment.size() < token_length) return false;
    std::uint8_t classes = 0;
    bool upper = false;
    bool lower = false;
    std::size_t most_changes = 0;
    std::size_t changes = 0;
    std::uint8_t previous = 0;  // digit, a letter class, or 0 after a separator
    for (char c : segment) {
        std::uint8_t byte_class = class_of(c);
        classes |= byte_class;
        if (byte_class & (dot | notable | other)) return false;
        if (byte_class == separator) {
            changes = 0;
            previous = 0;
            continue;
        }
        upper |= is_upper(c);
        lower |= (byte_class & letters) && !is_upper(c);
        std::uint8_t kind = byte_class == digit ? std::uint8_t{digit} : letters;
        if (previous != 0 && kind != previous) most_changes = std::max(most_changes, ++changes);
        previous = kind;
    }
    if (!(classes & digit) || !(classes & letters)) return false;
    if ((classes & (other_letter | separator)) == 0) return true;
    return most_changes >= 3 || (upper && lower && most_changes >= 2);
}

std::uint64_t length_bit(std::size_t length) {
    return std::uint64_t{1} << std::min<std::size_t>(length, 63);
}

// A path segment without its ';' parameters.
std::string_view without_parameters(std::string_view segment) {
    return segment.substr(0, segment.find(';'));
}

}  // namespace

SegmentKind classify_segment(std::string_view segment) {
    if (is_email(segment)) return SegmentKind::email;
    if (segment.size() < token_length) return SegmentKind::keep;
    if (is_uuid(segment)) return SegmentKind::uuid;
    if (is_token(segment)) return SegmentKind::token;
    return SegmentKind::keep;
}

std::string_view segment_word(SegmentKind kind) {
    switch (kind) {
        case SegmentKind::email:
            return "{email}";
        case SegmentKind::uuid:
            return "{uuid}";
        case SegmentKind::token:
            return "{token}";
        case SegmentKind::keep:
            break;
    }
    return {};
}

std::string_view reduce_path(std::string_view path, const PathRules& rules, std::span<char> out) {
    std::size_t written = 0;
    bool writing = false;
    bool fits = true;
    auto append = [&](std::string_view text) {
        if (text.size() > out.size() - written) {
            fits = false;
            return;
        }
        std::memcpy(out.data() + written, text.data(), text.size());
        written += text.size();
    };

    std::size_t begin = 0;
    if (rules.templates && !rules.templates->empty()) {
        if (auto match = rules.templates->match(path)) {
            append(match->output);
            writing = true;
            begin = match->covered;
        }
    }
    const char* data = path.data();
    const std::size_t size = path.size();
    std::size_t segment_begin = begin;
    for (std::size_t i = begin;; segment_begin = ++i) {
        std::uint8_t classes = 0;
        for (std::uint8_t byte_class; i < size && !((byte_class = class_of(data[i])) & slash); ++i)
            classes |= byte_class;
        std::string_view segment(data + segment_begin, i - segment_begin);
        if (worth_a_look(classes, segment.size())) {
            std::string_view kept = without_parameters(segment);
            SegmentKind kind = rules.keep_tokens ? SegmentKind::keep : classify_segment(kept);
            std::string_view replaced = kind == SegmentKind::keep ? kept : segment_word(kind);
            if (!writing && replaced != segment) {
                writing = true;
                append(path.substr(0, segment_begin));
            }
            segment = replaced;
        }
        if (writing) {
            append(segment);
            if (i < size) append("/");
        }
        if (i >= size) break;
    }
    if (!writing) return path;
    return fits ? std::string_view(out.data(), written) : std::string_view{};
}

// Templates.

bool ResourceTemplates::matches(const Template& entry, std::string_view path,
                                std::size_t& covered) const {
    std::size_t position = 0;
    for (const std::string& expected : entry.segments) {
        if (position >= path.size() || path[position] != '/') return false;
        std::size_t end = std::min(path.find('/', position + 1), path.size());
        std::string_view segment =
            without_parameters(path.substr(position + 1, end - position - 1));
        if (expected == "{}" ? segment.empty() : segment != expected) return false;
        position = end;
    }
    covered = position;
    return true;
}

std::optional<ResourceTemplates::Match> ResourceTemplates::match(std::string_view path) const {
    if (path.size() < 2 || path.front() != '/') return std::nullopt;
    // Most paths start with a byte no template's first segment starts with.
    if (wildcard_first_.empty() && first_lengths_[static_cast<unsigned char>(path[1])] == 0)
        return std::nullopt;
    std::size_t end = std::min(path.find('/', 1), path.size());
    std::string_view first = without_parameters(path.substr(1, end - 1));
    if (wildcard_first_.empty() &&
        (first.empty() ||
         !(first_lengths_[static_cast<unsigned char>(first.front())] & length_bit(first.size())))) {
        return std::nullopt;
    }
    const std::vector<std::size_t>* bucket = nullptr;
    auto found = std::lower_bound(by_first_.begin(), by_first_.end(), first,
                                  [](const auto& entry, std::string_view key) {
                                      return std::string_view(entry.first) < key;
                                  });
    if (found != by_first_.end() && found->first == first) bucket = &found->second;
    if (!bucket && wildcard_first_.empty()) return std::nullopt;

    // Both lists are in file order: walk them together so the earliest template wins.
    static const std::vector<std::size_t> none;
    const std::vector<std::size_t>& literal = bucket ? *bucket : none;
    std::size_t a = 0;
    std::size_t b = 0;
    while (a < literal.size() || b < wildcard_first_.size()) {
        std::size_t index =
            b >= wildcard_first_.size() || (a < literal.size() && literal[a] < wildcard_first_[b])
                ? literal[a++]
                : wildcard_first_[b++];
        std::size_t covered = 0;
        if (matches(templates_[index], path, covered)) {
            return Match{index, templates_[index].text, covered};
        }
    }
    return std::nullopt;
}

namespace {

constexpr std::string_view keys_help = "keys: template, sample, expect";

struct RawSample {
    std::string text;
    std::size_t line = 0;
    std::string expect;
    std::size_t expect_line = 0;
};

// The segments of the `template = TEXT` entry.
Expected<std::vector<std::string>> template_segments(const PatternEntry& entry,
                                                     const std::string& file_name) {
    auto error = [&](std::string reason) {
        return usage_error(file_name, std::move(reason), entry.line);
    };
    std::string_view text = entry.value;
    if (text.empty() || text.front() != '/') return error("a template starts with '/'");
    std::vector<std::string> segments;
    bool wildcard = false;
    std::size_t position = 0;
    while (position < text.size()) {
        std::size_t end = std::min(text.find('/', position + 1), text.size());
        std::string_view segment = text.substr(position + 1, end - position - 1);
        if (segment.empty()) {
            return error("a template has no empty segments ('//' or a trailing '/')");
        }
        if (segment == "{}") {
            wildcard = true;
        } else if (segment.find_first_of("{};?# \t") != std::string_view::npos) {
            return error(
                "segment " + quote(segment) +
                " is neither '{}' nor literal text (no '{', '}', ';', '?', '#' or blanks)");
        }
        segments.emplace_back(segment);
        position = end;
    }
    if (!wildcard) return error("a template needs at least one '{}' segment");
    return segments;
}

}  // namespace

Expected<std::shared_ptr<const ResourceTemplates>> ResourceTemplates::parse(
    std::string_view text, const std::string& file_name) {
    auto templates = std::make_shared<ResourceTemplates>();
    PatternFile file = read_pattern_sections(text, file_name, "template");
    auto error = [&](std::size_t line, std::string reason) {
        return usage_error(file_name, std::move(reason), line);
    };
    std::vector<std::vector<RawSample>> samples;
    for (const PatternSection& section : file.sections) {
        Template entry{std::string(section.name), section.line, {}, {}};
        std::size_t template_line = 0;
        std::vector<RawSample>& own = samples.emplace_back();
        for (const PatternEntry& item : section.entries) {
            if (!item.has_value) return error(item.line, "expected 'key = value'");
            if (item.key == "template") {
                if (template_line != 0) {
                    return error(item.line, "'template' given twice (first at line " +
                                                std::to_string(template_line) + ")");
                }
                auto segments = template_segments(item, file_name);
                if (!segments) return std::move(segments).error();
                entry.segments = std::move(*segments);
                entry.text = std::string(item.value);
                template_line = item.line;
            } else if (item.key == "sample") {
                if (item.value.empty() || item.value.front() != '/') {
                    return error(item.line, "a sample is a path starting with '/'");
                }
                own.push_back(RawSample{std::string(item.value), item.line, {}, 0});
            } else if (item.key == "expect") {
                if (own.empty()) return error(item.line, "'expect' must follow a 'sample' line");
                if (own.back().expect_line != 0) {
                    return error(item.line, "'expect' given twice for this sample");
                }
                own.back().expect = std::string(item.value);
                own.back().expect_line = item.line;
            } else {
                return error(item.line, "unknown key " + quote(item.key) + " (" +
                                            std::string(keys_help) + ")");
            }
        }
        if (template_line == 0) return error(section.line, "the template has no 'template' line");
        if (own.empty()) return error(section.line, "a template needs at least one 'sample'");
        for (const RawSample& sample : own) {
            if (sample.expect_line == 0) {
                return error(sample.line, "the sample has no 'expect' line after it");
            }
        }
        templates->templates_.push_back(std::move(entry));
    }
    if (file.error) {
        // A file whose templates are all commented out is fine: it asks for none.
        if (file.sections.empty() && file.error->line == 0) {
            return std::shared_ptr<const ResourceTemplates>(std::move(templates));
        }
        return *std::move(file.error);
    }

    for (std::size_t i = 0; i < templates->templates_.size(); ++i) {
        const std::string& first = templates->templates_[i].segments.front();
        if (first == "{}") {
            templates->wildcard_first_.push_back(i);
            continue;
        }
        templates->first_lengths_[static_cast<unsigned char>(first.front())] |=
            length_bit(first.size());
        auto& index = templates->by_first_;
        auto found = std::find_if(index.begin(), index.end(),
                                  [&](const auto& entry) { return entry.first == first; });
        if (found == index.end()) {
            index.emplace_back(first, std::vector<std::size_t>{i});
        } else {
            found->second.push_back(i);
        }
    }
    std::sort(templates->by_first_.begin(), templates->by_first_.end());

    // Every sample must be taken by its own template (not an earlier one) and give what it
    // expects, so a template that cannot match, or is shadowed, stops the run at load.
    for (std::size_t i = 0; i < templates->templates_.size(); ++i) {
        for (const RawSample& sample : samples[i]) {
            std::optional<Match> match = templates->match(sample.text);
            if (!match) return error(sample.line, "the template does not match this sample");
            if (match->index != i) {
                const Template& earlier = templates->templates_[match->index];
                return error(sample.line, "the sample is taken by the earlier template " +
                                              quote(earlier.name) + " (line " +
                                              std::to_string(earlier.line) + ")");
            }
            std::string result =
                std::string(match->output) + std::string(sample.text.substr(match->covered));
            if (result != sample.expect) {
                return error(sample.expect_line,
                             "the sample gives " + quote(result) + ", not " + quote(sample.expect));
            }
        }
    }
    return std::shared_ptr<const ResourceTemplates>(std::move(templates));
}

Expected<std::shared_ptr<const ResourceTemplates>> ResourceTemplates::load(
    const std::string& path) {
    Expected<std::string> text = read_pattern_file(path);
    if (!text) return std::move(text).error();
    return parse(*text, path);
}

}  // namespace logsift
