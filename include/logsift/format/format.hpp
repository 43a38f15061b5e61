// Format: compiles an nginx log_format or Apache LogFormat string, once, into a scanner of
// literal separators and typed fields; scanning a line returns views into it, allocating nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "logsift/base/error.hpp"
#include "logsift/base/timestamp.hpp"

namespace logsift {

// What a field means to logsift. Everything it does not use is `opaque`: scanned, then dropped.
enum class FieldKind : std::uint8_t {
    client,         // $remote_addr, %h, %a, %{c}a
    remote_user,    // $remote_user, %u (scanned only to be dropped)
    time,           // $time_local, $time_iso8601, $msec, %t, %{...}t
    request,        // $request, %r: "METHOD TARGET PROTOCOL"
    method,         // $request_method, %m
    target,         // $request_uri: path and query as sent
    path,           // $uri, $document_uri, %U
    query,          // $args, $query_string ("a=b"); %q and $is_args$args ("?a=b" or "")
    protocol,       // $server_protocol, %H
    status,         // $status, %s, %>s
    bytes,          // $body_bytes_sent, $bytes_sent, %b, %B, %O, %I ("-" means 0)
    referrer,       // $http_referer, %{Referer}i
    user_agent,     // $http_user_agent, %{User-Agent}i
    vhost,          // $host, $server_name, $http_host, %v, %V
    port,           // $server_port, %p
    forwarded_for,  // $http_x_forwarded_for, %{X-Forwarded-For}i
    // The columns of logsift's own reduced records ($logsift_network, ...), so a reduced log
    // reads back: each holds what reduce wrote, and the reducer checks it again, never widens it.
    network,
    agent,
    agent_version,
    agent_class,
    referrer_host,
    country,
    opaque,
};
inline constexpr std::size_t field_kind_count = static_cast<std::size_t>(FieldKind::opaque) + 1;

std::string_view field_kind_name(FieldKind kind);

enum class Syntax { nginx, apache };

// The fields of one scanned line: views into the line, still escaped as the server wrote them.
struct Fields {
    std::array<std::string_view, field_kind_count> value{};
    std::uint32_t present = 0;  // bit (1 << kind) set when the format has the field

    bool has(FieldKind kind) const { return present & (1u << static_cast<unsigned>(kind)); }
    std::string_view get(FieldKind kind) const { return value[static_cast<std::size_t>(kind)]; }
};

// Why a line did not match. reason is a fixed text; column is 1-based, in bytes.
struct ScanError {
    const char* reason = "";
    std::size_t column = 0;
};

class LogFormat {
  public:
    enum class StepType : std::uint8_t { literal, field };
    struct Step {
        StepType type;
        FieldKind kind = FieldKind::opaque;
        bool quoted = false;  // the field sits between quotes: backslash escapes are skipped
        std::string literal;  // for literal steps
        std::string source;   // the directive or variable as written, for messages
        // A byte count: scan requires digits or "-", even when the field is opaque.
        bool numeric = false;
    };

    // Compiles a format string. Accepts a bare nginx log_format string ("$remote_addr - ..."),
    // a whole nginx directive ("log_format main escape=json '...' '...';"), a bare Apache
    // LogFormat string ("%h %l %u %t \"%r\" ...") or a whole Apache directive
    // ("LogFormat \"...\" combined"). The syntax is told by the string itself.
    // Byte counts: the first of %b/%B/%O (nginx: $body_bytes_sent/$bytes_sent) becomes `bytes`;
    // only when there is none does the first %I/%S. The others stay opaque but must still scan
    // as numbers, which keeps detection from mistaking one layout for another.
    // A string that cannot be compiled is a usage error whose column is the bad spot's.
    static Expected<LogFormat> compile(std::string_view text);

    // Scans one line. On success fills fields (all views into line) and returns nullopt.
    // Text after the last step is allowed and ignored, unless it holds a '\r' (a log with
    // "\r" line ends alone: "carriage return inside the line"). Never allocates.
    // A field ends where the next literal begins (quoted: at the first unescaped quote that
    // begins it); a field at the end of the format ends at a space or the end of the line.
    // Error columns point at the start of the field or literal that failed (for an unterminated
    // quoted field, the byte after the opening quote). On error, fields are partly filled.
    std::optional<ScanError> scan(std::string_view line, Fields& fields) const;

    Syntax syntax() const { return syntax_; }
    TimeSyntax time_syntax() const { return time_syntax_; }
    const std::string& time_pattern() const { return time_pattern_; }  // for TimeSyntax::strftime
    const std::string& text() const { return text_; }
    const std::vector<Step>& steps() const { return steps_; }
    std::uint32_t present() const { return present_; }
    std::size_t field_count() const;  // every field step, opaque ones included

  private:
    // The steps as scan walks them: compile merges neighbouring literals and allows two fields
    // in a row only as path+query, so a format is a leading literal, then fields that each end
    // at the literal after them. Scan then finds each literal once, where its field ends.
    struct ScanField {
        std::string follow;  // the literal after the field; empty: it runs to a space or the end
        // follow's first bytes (up to 8) as one load from the line would hold them, and which
        // bytes of that load count: most literals are compared in one step.
        std::uint64_t head = 0;
        std::uint64_t head_mask = 0;
        // The bytes where the field may end, each as often as a vector compare takes it:
        // follow's first byte, '"' and '\\' when quoted, ' ' when single_word (to reject the
        // line) or at the end of the format.
        std::array<char, 16> stop{};
        std::array<char, 16> also{};
        FieldKind kind = FieldKind::opaque;
        FieldKind query_kind = FieldKind::opaque;  // the second field of a path+query pair
        bool pair = false;
        bool quoted = false;
        bool single_word = false;  // no space may stand before the literal that ends it
        bool numeric = false;
        // A reduced record's status and bytes are empty when the log it came from had none.
        bool may_be_empty = false;

        bool follows_at(const char* at, const char* end) const;
    };
    void prepare_scan();

    Syntax syntax_ = Syntax::nginx;
    TimeSyntax time_syntax_ = TimeSyntax::clf;
    std::string time_pattern_;
    std::string text_;
    std::vector<Step> steps_;
    std::uint32_t present_ = 0;
    std::string lead_;
    std::vector<ScanField> scan_fields_;
};

// A compile error as the command line shows it: the reason, then the format string with a caret
// line under the error's column.
std::string show_format_error(const Error& error, std::string_view text);

// A named preset from patterns/formats.
struct Preset {
    std::string name;
    std::string description;
    LogFormat format;
};

// Loads presets from a patterns/formats file, checking every entry's samples: each sample line
// must scan, and each expected field must equal what was scanned. Returns the first problem.
Expected<std::vector<Preset>> load_presets(const std::string& path);
Expected<std::vector<Preset>> parse_presets(std::string_view text, const std::string& file_name);

// The result of trying every preset on a sample of lines.
struct Detection {
    struct Candidate {
        const Preset* preset;
        std::size_t parsed;
    };
    std::vector<Candidate> candidates;  // best first: most lines parsed, then most fields
    std::size_t lines = 0;              // non-empty lines in the sample
    const Preset* best() const { return candidates.empty() ? nullptr : candidates.front().preset; }
    // True when the best preset parses more than half of the sample lines.
    bool clear() const;
};

// Tries each preset on the lines of sample (several lines, '\n'-terminated).
Detection detect_format(const std::vector<Preset>& presets, std::string_view sample,
                        std::size_t max_lines);

}  // namespace logsift
