// Pattern files: splits patterns/formats and patterns/downloads into sections and entries, and
// owns the messages for mistakes in that shared syntax, so both files are read, and their
// mistakes reported, the same way.
#include "logsift/base/patterns.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace logsift {

namespace {

// The blanks a line may be padded with; '\r' lets files with CRLF line ends read the same.
constexpr std::string_view blanks = " \t\n\r";

bool is_blank(char c) {
    return blanks.find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view text) {
    std::size_t begin = text.find_first_not_of(blanks);
    if (begin == std::string_view::npos) return {};
    return text.substr(begin, text.find_last_not_of(blanks) + 1 - begin);
}

bool is_section_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '_' || c == '-' || c == '.';
    });
}

// Whether a and b hold the same words, however they are spaced.
bool same_words(std::string_view a, std::string_view b) {
    for (a = trim(a), b = trim(b); !a.empty() && !b.empty(); a = trim(a), b = trim(b)) {
        std::size_t a_end = std::min(a.find_first_of(blanks), a.size());
        std::size_t b_end = std::min(b.find_first_of(blanks), b.size());
        if (a.substr(0, a_end) != b.substr(0, b_end)) return false;
        a.remove_prefix(a_end);
        b.remove_prefix(b_end);
    }
    return a.empty() && b.empty();
}

Expected<void> read_lines(std::string_view text, const std::string& file_name,
                          std::string_view noun, std::string_view bare_key,
                          std::vector<PatternSection>& sections) {
    std::size_t line_no = 0;
    auto error = [&](std::string reason) {
        return usage_error(file_name, std::move(reason), line_no);
    };
    while (!text.empty()) {
        std::size_t newline = text.find('\n');
        std::string_view line = trim(text.substr(0, newline));
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        ++line_no;
        if (line.empty() || line.front() == '#') continue;

        if (line.front() == '[') {
            if (line.back() != ']') return error("a section header ends with ']'");
            std::string_view name = trim(line.substr(1, line.size() - 2));
            if (!is_section_name(name)) {
                return error("a " + std::string(noun) +
                             " name uses letters, digits, '_', '-' and '.'");
            }
            for (const PatternSection& other : sections) {
                if (other.name == name) {
                    return error("duplicate " + std::string(noun) + " " + quote(name) +
                                 " (first at line " + std::to_string(other.line) + ")");
                }
            }
            sections.push_back(PatternSection{name, line_no, {}});
            continue;
        }

        std::size_t equals = line.find('=');
        std::string_view key = trim(line.substr(0, equals));
        bool has_value = equals != std::string_view::npos;
        if (!has_value && (bare_key.empty() || !same_words(key, bare_key))) {
            return error(bare_key.empty() ? "expected 'key = value'"
                                          : "expected 'key = value' or " + quote(bare_key));
        }
        if (sections.empty()) return error("a [name] line must come before " + quote(key));
        std::string_view value = has_value ? trim(line.substr(equals + 1)) : std::string_view{};
        sections.back().entries.push_back(PatternEntry{key, value, has_value, line_no});
    }
    return {};
}

}  // namespace

Expected<std::string> read_pattern_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return usage_error(path, std::string("cannot read: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return usage_error(path, "cannot read");
    return text.str();
}

PatternFile read_pattern_sections(std::string_view text, const std::string& file_name,
                                  std::string_view noun, std::string_view bare_key) {
    PatternFile file;
    if (Expected<void> read = read_lines(text, file_name, noun, bare_key, file.sections); !read) {
        file.error = std::move(read).error();
    } else if (file.sections.empty()) {
        file.error = usage_error(file_name, "no " + std::string(noun) + "s in the file");
    }
    return file;
}

std::optional<std::string_view> key_argument(std::string_view key, std::string_view word) {
    if (key.size() <= word.size() || !key.starts_with(word) || !is_blank(key[word.size()])) {
        return std::nullopt;
    }
    return trim(key.substr(word.size()));
}

std::string quote(std::string_view text) {
    std::string quoted(1, '\'');
    quoted.append(text).push_back('\'');
    return quoted;
}

}  // namespace logsift
