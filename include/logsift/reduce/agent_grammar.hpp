// What an agent family and version may be. uap-core's rules copy text the client chose into the
// family (an app name before "CFNetwork", any name before "bot") and into the version; only a
// product name and a short numeric version leave the reduce stage. The checks run once per
// distinct user agent (behind the AgentCache), not once per line.
#pragma once

#include <string_view>

namespace logsift {

// How much of a captured name the client chose.
enum class CaptureKind : unsigned char {
    // Picked by the rule from its own words (`(Chromium|Chrome)`, `Yandex\w{1,30}`): the
    // client at most adds to a name the rule knows.
    product,
    // The capture starts with a run of any characters (`^(.{0,200})/\d+ CFNetwork`,
    // `([A-Za-z0-9 \-_]{0,50}(?:[Bb]ot|[Ss]pider|[Cc]rawl...))`): the client chose the whole
    // name, so it must look like a product name, not only be made of product-name bytes.
    free_text,
};

// A captured family (trimmed) that may be written as it is. Every capture: 1 to 40 bytes of
// letters, digits, space, `.`, `_`, `-` and `!` (Yahoo! Slurp, Y!J-BRW), starting with a letter
// or digit and ending with a letter, digit or `!`, no two separators in a row, at most 6
// words. Each word (a run between separators): no run of 6 or more digits; a word mixing
// letters and digits has at most 12 bytes and 3 digits (MJ12bot, 360Spider, Site24x7 pass,
// JohnDoeSecret123bot does not); a word of 8 or more bytes made of hexadecimal digits only, one
// of them a digit, is a token. Free text has at most 3 words (Sogou web spider passes,
// secret-token-abc Crawler does not).
bool is_product_token(std::string_view token, CaptureKind kind);

// A version component that may be written: 1 to 6 ASCII digits.
bool is_version_component(std::string_view component);

// Whether capture group `group` (1-9) of the RE2 pattern starts with a repeated run of any
// characters (`.`, a class, `\w`, `\S` and the like under `*`, `+` or `{}`) before any literal
// character, so that the client picks the name, not the rule. False when the group does not
// exist.
bool capture_is_free_text(std::string_view pattern, int group);

// A refused family that names a crawler: `Other bot` rather than `Other`.
bool names_a_bot(std::string_view text);

}  // namespace logsift
