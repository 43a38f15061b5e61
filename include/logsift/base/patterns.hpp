// Pattern files: the line syntax shared by patterns/formats, patterns/downloads and
// patterns/resources (comments, blank lines, [name] sections, `key = value` lines). What the
// keys mean is left to each file's parser; this reads the text and checks what every such file
// must get right.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "logsift/base/error.hpp"

namespace logsift {

// Views point into the text given to read_pattern_sections.
struct PatternEntry {
    std::string_view key;    // trimmed, may hold several words ("expect product")
    std::string_view value;  // trimmed; empty when has_value is false
    bool has_value = false;  // false only for the bare key the caller allowed
    std::size_t line = 0;
};

struct PatternSection {
    std::string_view name;
    std::size_t line = 0;
    std::vector<PatternEntry> entries;
};

// A parser reports the first problem in the file, whether the syntax or a key's meaning is at
// fault, so the sections read before a syntax error come back with it: the parser checks those
// first and reports the syntax error only if they hold none.
struct PatternFile {
    std::vector<PatternSection> sections;
    std::optional<Error> error;
};

// file_name names the file in errors. noun ("preset", "rule") names a section in messages.
// bare_key, when not empty, is the one key that may stand without `= value`; its words may be
// spaced differently in the file. A file without a section is an error (at line 0).
PatternFile read_pattern_sections(std::string_view text, const std::string& file_name,
                                  std::string_view noun, std::string_view bare_key = {});

// Each section read into a Raw (which has `name` and `line`) by read_entry(entry, raw), an
// Expected<void>. The first problem wins; a syntax error only after the sections before it.
template <class Raw, class ReadEntry>
Expected<std::vector<Raw>> read_raw_sections(PatternFile file, ReadEntry read_entry) {
    std::vector<Raw> raws;
    for (const PatternSection& section : file.sections) {
        Raw& raw = raws.emplace_back();
        raw.name = std::string(section.name);
        raw.line = section.line;
        for (const PatternEntry& entry : section.entries) {
            if (Expected<void> read = read_entry(entry, raw); !read) return std::move(read).error();
        }
    }
    if (file.error) return *std::move(file.error);
    return raws;
}

// The whole text of a pattern file; one that cannot be read is a usage error naming it.
Expected<std::string> read_pattern_file(const std::string& path);

// The rest of key after its first word when that word is `word`: "expect product" gives
// "product" for "expect"; nullopt when key is `word` alone or starts otherwise.
std::optional<std::string_view> key_argument(std::string_view key, std::string_view word);

// text between single quotes, for messages about what a pattern file says (never about a log).
std::string quote(std::string_view text);

}  // namespace logsift
