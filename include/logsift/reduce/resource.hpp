// Resource paths: the privacy rules for the path a request names. Whole segments that identify
// a person or a session (e-mail addresses, UUIDs, long random tokens) become fixed words, `;`
// path parameters (jsessionid and the like) are dropped, and operator templates from
// patterns/resources (`/reset/{}`) hide the segments a site knows to be personal.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/base/error.hpp"

namespace logsift {

enum class SegmentKind { keep, email, uuid, token };

// What a path segment (no '/', no ';' parameters) is: an e-mail address (a '@' or "%40" with
// something before it and a dotted domain after it), a UUID (8-4-4-4-12 hex digits), a token
// (16 or more of [A-Za-z0-9_-] with letters and digits and no dot: all hex digits, or random
// enough that no word or version slug reads so, see resource.cpp), or anything else (keep).
SegmentKind classify_segment(std::string_view segment);

// The word a replaced segment is written as: "{email}", "{uuid}", "{token}".
std::string_view segment_word(SegmentKind kind);

// Operator path templates: `/users/{}` turns /users/alice/photos into /users/{}/photos. Each
// `{}` matches one non-empty segment; the other segments are literal and compared as written.
// A template matches the leading segments of a path; the first template in file order wins.
class ResourceTemplates {
  public:
    static Expected<std::shared_ptr<const ResourceTemplates>> load(const std::string& path);
    static Expected<std::shared_ptr<const ResourceTemplates>> parse(std::string_view text,
                                                                    const std::string& file_name);

    struct Match {
        std::size_t index = 0;    // the template, in file order
        std::string_view output;  // the template's text, `{}` and all
        std::size_t covered = 0;  // bytes of the path its segments span (parameters included)
    };
    // The first template that matches path's leading segments. Cheap when none can: the first
    // segment is looked up in a sorted index.
    std::optional<Match> match(std::string_view path) const;

    std::size_t size() const { return templates_.size(); }
    bool empty() const { return templates_.empty(); }

  private:
    struct Template {
        std::string name;
        std::size_t line = 0;
        std::string text;
        std::vector<std::string> segments;  // "{}" is the wildcard
    };
    bool matches(const Template& entry, std::string_view path, std::size_t& covered) const;

    std::vector<Template> templates_;
    // Templates by their first segment, sorted; those that start with `{}` are tried on every
    // path, merged in file order with the bucket's.
    std::vector<std::pair<std::string, std::vector<std::size_t>>> by_first_;
    std::vector<std::size_t> wildcard_first_;
    // For each first byte of a literal first segment, the lengths such segments have (bit 63:
    // 63 or more): most paths are turned away by this alone.
    std::array<std::uint64_t, 256> first_lengths_{};
};

struct PathRules {
    bool keep_tokens = false;                      // --keep-path-tokens: no segment rules
    const ResourceTemplates* templates = nullptr;  // may be null
};

// The path with the rules applied: path itself when nothing changes (the common case costs one
// pass of table lookups and copies nothing), else a view into out. A result longer than out
// gives an empty resource rather than anything unreduced. path holds no query.
std::string_view reduce_path(std::string_view path, const PathRules& rules, std::span<char> out);

}  // namespace logsift
