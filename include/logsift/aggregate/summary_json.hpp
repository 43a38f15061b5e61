// The JSON summary: what nightly jobs keep and later merge across days and servers.
// {"logsift_summary": 1, "settings": {...}, "lines": {...}, "downloads": [...], "sources": [...]}
// Both directions stream: a summary of hundreds of thousands of rows is written row by row and
// read row by row, never held as a JSON document, so memory is the Summary's own.
#pragma once

#include <functional>
#include <istream>
#include <string>
#include <string_view>

#include "logsift/aggregate/summary.hpp"
#include "logsift/base/error.hpp"

namespace logsift {

// Writes the summary in pieces of up to about 64 KiB through write. Deterministic: equal
// summaries give equal bytes (rows sorted by period, then resource; sources by period,
// dimension name, then value).
void write_summary_json(const Summary& summary, const std::function<void(std::string_view)>& write);
// The same bytes as one string.
std::string summary_to_json(const Summary& summary);

// Rejects anything that is not a summary this version wrote with a usage error, for the caller
// to name the file: the reason says what and where (a row's index), never a value from the
// file. A syntax error anywhere wins over a content error, so a cut-off file is reported as such.
Expected<Summary> summary_from_json(std::istream& input);
Expected<Summary> summary_from_json(std::string_view text);

}  // namespace logsift
