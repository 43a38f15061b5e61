// Presets: the named formats of patterns/formats, each checked against its own samples when it
// is loaded, and detection, which tries them on an input's first lines.
#include "logsift/base/patterns.hpp"
#include "logsift/format/format.hpp"

#include <algorithm>

namespace logsift {

namespace {

struct RawExpect {
    std::string field;
    std::string value;
    std::size_t line = 0;
};

struct RawSample {
    std::string text;
    std::size_t line = 0;
    std::vector<RawExpect> expects;
};

struct RawPreset {
    std::string name;
    std::size_t line = 0;
    std::string description;
    std::size_t description_line = 0;
    std::string format;
    std::size_t format_line = 0;
    std::vector<RawSample> samples;
};

std::optional<FieldKind> kind_by_name(std::string_view name) {
    for (std::size_t i = 0; i + 1 < field_kind_count; ++i) {
        auto kind = static_cast<FieldKind>(i);
        if (field_kind_name(kind) == name) return kind;
    }
    return std::nullopt;
}

Expected<Preset> check_preset(const RawPreset& raw, const std::string& file) {
    auto error = [&](std::size_t line, std::string reason) {
        return usage_error(file, "preset '" + raw.name + "': " + std::move(reason), line);
    };
    if (raw.description_line == 0) return error(raw.line, "has no description");
    if (raw.format_line == 0) return error(raw.line, "has no format");
    if (raw.samples.empty()) return error(raw.line, "has no sample");

    auto compiled = LogFormat::compile(raw.format);
    if (!compiled) return error(raw.format_line, "bad format: " + compiled.error().message());
    LogFormat& format = *compiled;
    for (const RawSample& sample : raw.samples) {
        if (sample.expects.empty()) return error(sample.line, "sample has no expect lines");
        Fields fields;
        if (auto scan_error = format.scan(sample.text, fields)) {
            return error(sample.line, std::string("sample does not match: ") + scan_error->reason +
                                          " at column " + std::to_string(scan_error->column));
        }
        for (const RawExpect& expect : sample.expects) {
            std::optional<FieldKind> kind = kind_by_name(expect.field);
            if (!kind) return error(expect.line, "unknown field " + quote(expect.field));
            if (!fields.has(*kind)) {
                return error(expect.line, "the format has no field " + quote(expect.field));
            }
            std::string_view scanned = fields.get(*kind);
            if (scanned != expect.value) {
                return error(expect.line, "expected " + expect.field + " " + quote(expect.value) +
                                              ", scanned " + quote(scanned));
            }
        }
    }
    return Preset{raw.name, raw.description, std::move(format)};
}

// One entry of a preset, added to raw.
Expected<void> read_entry(const PatternEntry& entry, const std::string& file_name, RawPreset& raw) {
    auto error = [&](std::string reason) {
        return usage_error(file_name, std::move(reason), entry.line);
    };
    std::string_view key = entry.key;
    std::string value(entry.value);
    if (key == "description" || key == "format") {
        std::size_t& seen = key == "format" ? raw.format_line : raw.description_line;
        if (seen != 0) return error(quote(key) + " given twice");
        seen = entry.line;
        (key == "format" ? raw.format : raw.description) = std::move(value);
    } else if (key == "sample") {
        raw.samples.push_back(RawSample{std::move(value), entry.line, {}});
    } else if (std::optional<std::string_view> field = key_argument(key, "expect")) {
        if (raw.samples.empty()) return error("'expect' must follow a 'sample' line");
        raw.samples.back().expects.push_back(
            RawExpect{std::string(*field), std::move(value), entry.line});
    } else {
        return error("unknown key " + quote(key) +
                     " (keys: description, format, sample, expect FIELD)");
    }
    return {};
}

}  // namespace

Expected<std::vector<Preset>> parse_presets(std::string_view text, const std::string& file_name) {
    Expected<std::vector<RawPreset>> raws =
        read_raw_sections<RawPreset>(read_pattern_sections(text, file_name, "preset"),
                                     [&](const PatternEntry& entry, RawPreset& raw) {
                                         return read_entry(entry, file_name, raw);
                                     });
    if (!raws) return std::move(raws).error();

    std::vector<Preset> presets;
    presets.reserve(raws->size());
    for (const RawPreset& raw : *raws) {
        Expected<Preset> checked = check_preset(raw, file_name);
        if (!checked) return std::move(checked).error();
        presets.push_back(std::move(*checked));
    }
    return presets;
}

Expected<std::vector<Preset>> load_presets(const std::string& path) {
    Expected<std::string> text = read_pattern_file(path);
    if (!text) return std::move(text).error();
    return parse_presets(*text, path);
}

// Detection.

bool Detection::clear() const {
    return !candidates.empty() && candidates.front().parsed * 2 > lines;
}

Detection detect_format(const std::vector<Preset>& presets, std::string_view sample,
                        std::size_t max_lines) {
    std::vector<std::string_view> lines;
    while (!sample.empty() && lines.size() < max_lines) {
        std::size_t newline = sample.find('\n');
        std::string_view line = sample.substr(0, newline);
        sample =
            newline == std::string_view::npos ? std::string_view{} : sample.substr(newline + 1);
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (!line.empty()) lines.push_back(line);
    }

    Detection detection;
    detection.lines = lines.size();
    Fields fields;
    for (const Preset& preset : presets) {
        std::size_t parsed = 0;
        for (std::string_view line : lines)
            parsed += !preset.format.scan(line, fields).has_value();
        detection.candidates.push_back({&preset, parsed});
    }
    // A format that scans a line may be a prefix of the one that wrote it (text after the last
    // step is ignored): `common` scans every `combined` line, and also the odd combined line
    // whose user agent lost its closing quote. So every preset that parses nearly as many
    // lines as the best one (98 %) competes on the fields it explains, and only then on lines.
    std::size_t best_parsed = 0;
    for (const Detection::Candidate& candidate : detection.candidates)
        best_parsed = std::max(best_parsed, candidate.parsed);
    auto near_best = [best_parsed](const Detection::Candidate& candidate) {
        return candidate.parsed > 0 && candidate.parsed * 50 >= best_parsed * 49;
    };
    std::stable_sort(detection.candidates.begin(), detection.candidates.end(),
                     [&](const Detection::Candidate& a, const Detection::Candidate& b) {
                         bool a_near = near_best(a), b_near = near_best(b);
                         if (a_near != b_near) return a_near;
                         std::size_t a_fields = a.preset->format.field_count();
                         std::size_t b_fields = b.preset->format.field_count();
                         if (a_near && a_fields != b_fields) return a_fields > b_fields;
                         if (a.parsed != b.parsed) return a.parsed > b.parsed;
                         return a_fields > b_fields;
                     });
    return detection;
}

}  // namespace logsift
