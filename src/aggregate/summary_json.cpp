// The JSON summary, written and read one row at a time. A 5M-line log's summary has about
// 170 000 rows: as a JSON document in memory it took several times the Summary's own size.
#include "logsift/aggregate/summary_json.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <vector>

#include "logsift/aggregate/validate.hpp"

namespace logsift {
namespace {

// Version 2: clients are tokens of full addresses under a key named by settings.key_id
// (version 1 counted (network, agent, version) by an unkeyed hash).
constexpr int summary_version = 2;
constexpr std::size_t write_piece_bytes = 64 << 10;

// --- writing ---------------------------------------------------------------------------------

class JsonOut {
  public:
    explicit JsonOut(const std::function<void(std::string_view)>& write) : write_(write) {}

    JsonOut& raw(std::string_view text) {
        buffer_ += text;
        return *this;
    }
    // Strings as nlohmann::json writes them (no ASCII escaping, invalid UTF-8 replaced by
    // U+FFFD), so the bytes stay those of every earlier release. Nearly every value is plain
    // printable ASCII, copied as it is; anything else goes through nlohmann itself.
    JsonOut& string(std::string_view value) {
        const bool plain = std::all_of(value.begin(), value.end(), [](char c) {
            return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
        });
        if (plain) {
            buffer_ += '"';
            buffer_ += value;
            buffer_ += '"';
        } else {
            buffer_ += nlohmann::json(std::string(value))
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
        return *this;
    }
    JsonOut& number(std::uint64_t value) {
        char digits[24];
        auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        buffer_.append(digits, end);
        return *this;
    }
    JsonOut& boolean(bool value) { return raw(value ? "true" : "false"); }
    // "name": (with the comma before it unless first)
    JsonOut& key(std::string_view name, bool first = false) {
        if (!first) buffer_ += ',';
        return string(name).raw(":");
    }
    void end_row() {
        if (buffer_.size() >= write_piece_bytes) flush();
    }
    void flush() {
        if (!buffer_.empty()) write_(buffer_);
        buffer_.clear();
    }

  private:
    const std::function<void(std::string_view)>& write_;
    std::string buffer_;
};

// --- reading ---------------------------------------------------------------------------------

using nlohmann::json;

// A summary is a file the user passed: whatever is wrong with it is theirs to fix.
Error bad_summary(std::string reason) {
    return usage_error({}, std::move(reason));
}

bool is_period_key(const std::string& period) {
    return !period.empty() && period.size() <= 16 && period.find('\0') == std::string::npos;
}

// A member of the document itself, which messages name by itself: "lines: missing \"lines\"".
Expected<const json*> top_member(const json& root, const char* name) {
    if (!root.contains(name)) return bad_summary(std::string(name) + ": missing \"" + name + "\"");
    return &root.at(name);
}

// Reads the members of one object, which messages name as where. Only the first problem is
// kept, and every read after it gives an empty value: an object is read straight through and
// its outcome looked at once, naming what the first failing check met.
class Members {
  public:
    Members(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

    std::uint64_t count(const char* name) {
        const json* value = find(name);
        if (value && !value->is_number_unsigned()) {
            fail(quoted(name) + " must be a whole number from 0 to 2^64-1");
        }
        return ok() ? value->get<std::uint64_t>() : 0;
    }
    std::string text(const char* name) {
        const json* value = find(name);
        if (value && !value->is_string()) fail(quoted(name) + " must be a string");
        return ok() ? value->get<std::string>() : std::string();
    }
    bool flag(const char* name) {
        const json* value = find(name);
        if (value && !value->is_boolean()) fail(quoted(name) + " must be true or false");
        return ok() && value->get<bool>();
    }
    DistinctCounter sketch(const char* name) {
        std::optional<DistinctCounter> sketch = DistinctCounter::deserialize(text(name));
        if (!sketch) fail(quoted(name) + " is not a valid sketch");
        return sketch ? std::move(*sketch) : DistinctCounter();
    }

    void fail(const std::string& reason) {
        if (outcome_) outcome_ = bad_summary(where_ + ": " + reason);
    }
    bool ok() const { return outcome_.has_value(); }
    const Expected<void>& outcome() const { return outcome_; }

  private:
    static std::string quoted(const char* name) { return std::string("\"") + name + "\""; }
    const json* find(const char* name) {
        if (!object_.is_object() || !object_.contains(name)) {
            fail("missing " + quoted(name));
            return nullptr;
        }
        return &object_.at(name);
    }

    const json& object_;
    const std::string where_;
    Expected<void> outcome_;
};

enum class RowList { downloads, sources };

// Every value must be one a reducer writes under the settings the summary declares: a summary
// is a file anyone can edit, and what merge and --from read they print again. Checked once the
// whole document is read, since the settings may come after the rows. The message names the
// period and column (both checked first), never the value.
Expected<void> check_values(const Summary& summary) {
    const SummarySettings& settings = summary.settings;
    for (const auto& [label, rows] : summary.periods) {
        if (!valid_period_label(label, settings.period)) {
            return bad_summary("a \"period\" is not a label of the declared period \"" +
                               std::string(period_name(settings.period)) + "\"");
        }
        const std::string where = ", period " + label + ": a ";
        for (auto [resource, row] : rows.downloads) {
            if (!valid_resource(resource)) {
                return bad_summary("downloads" + where + "\"resource\" is not one logsift writes");
            }
            // Both are what a download rule captured from the resource.
            if (resource.find(row.product) == std::string_view::npos ||
                resource.find(row.version) == std::string_view::npos) {
                return bad_summary("downloads" + where +
                                   "\"product\" or \"version\" is not taken from its resource");
            }
        }
        for (std::size_t i = 0; i < dimension_count; ++i) {
            const auto dimension = static_cast<Dimension>(i);
            for (auto [value, row] : rows.sources[i]) {
                if (valid_source_value(dimension, value, settings)) continue;
                std::string message = "sources" + where + "value of \"" +
                                      std::string(dimension_name(dimension)) +
                                      "\" is not one logsift writes";
                if (dimension == Dimension::network || dimension == Dimension::referrer_host) {
                    message += " (networks have the declared prefix: /" +
                               std::to_string(settings.ipv4_prefix) + " for IPv4, /" +
                               std::to_string(settings.ipv6_prefix) + " for IPv6)";
                }
                return bad_summary(std::move(message));
            }
        }
    }
    return {};
}

Expected<void> add_download_row(Summary& summary, const json& item, const std::string& where) {
    Members row(item, where);
    const std::string label = row.text("period");
    if (!is_period_key(label)) row.fail("\"period\" is not a period label");
    std::string resource = row.text("resource");
    DownloadCounts counts;
    counts.product = row.text("product");
    counts.version = row.text("version");
    counts.requests = row.count("requests");
    counts.bytes = row.count("bytes");
    counts.clients = row.sketch("clients");
    counts.addresses = row.sketch("addresses");
    if (!row.ok()) return row.outcome();
    if (!summary.periods[label].downloads.try_emplace(resource, std::move(counts)).second) {
        return bad_summary(where + ": repeats an earlier row");
    }
    return {};
}

Expected<void> add_source_row(Summary& summary, const json& item, const std::string& where) {
    Members row(item, where);
    const std::string label = row.text("period");
    if (!is_period_key(label)) row.fail("\"period\" is not a period label");
    std::optional<Dimension> dimension = dimension_from_name(row.text("dimension"));
    if (!dimension) row.fail("unknown \"dimension\"");
    std::string value = row.text("value");
    SourceCounts counts;
    counts.requests = row.count("requests");
    counts.clients = row.sketch("clients");
    if (!row.ok()) return row.outcome();
    auto& table = summary.periods[label].sources[static_cast<std::size_t>(*dimension)];
    if (!table.try_emplace(value, std::move(counts)).second) {
        return bad_summary(where + ": repeats an earlier row");
    }
    return {};
}

// Builds the document as nlohmann's own DOM parser would (a repeated key keeps its last
// value), except for the elements of the top-level "downloads" and "sources" arrays: each is
// built alone, counted into the Summary and dropped. Content errors are only remembered, in
// the order the whole-document checks would find them, so the parse runs to the end and a
// syntax error anywhere still wins.
class SummarySax {
  public:
    bool null() { return value(nullptr); }
    bool boolean(bool v) { return value(v); }
    bool number_integer(json::number_integer_t v) { return value(v); }
    bool number_unsigned(json::number_unsigned_t v) { return value(v); }
    bool number_float(json::number_float_t v, const json::string_t&) { return value(v); }
    bool string(json::string_t& v) { return value(std::move(v)); }
    bool binary(json::binary_t& v) { return value(std::move(v)); }
    bool start_object(std::size_t) {
        open_.push_back(place(json::value_t::object));
        return true;
    }
    bool key(json::string_t& name) {
        if (open_.size() == 1) {
            top_key_ = name;
            // A repeated list replaces the first, as a repeated key does in a document.
            if (name == "downloads" || name == "sources") restart(list_of(name));
        }
        member_ = &(*open_.back())[name];
        return true;
    }
    bool end_object() { return close(); }
    bool start_array(std::size_t) {
        json* array = place(json::value_t::array);
        open_.push_back(array);
        if (open_.size() == 2 && (top_key_ == "downloads" || top_key_ == "sources")) {
            streaming_ = list_of(top_key_);
        }
        return true;
    }
    bool end_array() {
        if (open_.size() == 2) streaming_.reset();
        return close();
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
        return false;
    }

    // After a successful parse: the summary, or the first error the checks find.
    Expected<Summary> finish() {
        if (!root_.is_object()) return bad_summary("not a logsift summary (not a JSON object)");
        if (!root_.contains("logsift_summary")) {
            return bad_summary("not a logsift summary (no \"logsift_summary\" version)");
        }
        const json& version = root_.at("logsift_summary");
        if (!version.is_number_integer() || version.get<std::int64_t>() != summary_version) {
            return bad_summary("unsupported summary version (this logsift reads version " +
                               std::to_string(summary_version) + ")");
        }
        Expected<const json*> settings_object = top_member(root_, "settings");
        if (!settings_object) return std::move(settings_object).error();
        Members settings(**settings_object, "settings");
        const std::uint64_t ipv4 = settings.count("ipv4_prefix");
        const std::uint64_t ipv6 = settings.count("ipv6_prefix");
        if (ipv4 > 32 || ipv6 > 128) settings.fail("prefix length out of range");
        std::optional<Period> period = parse_period(settings.text("period"));
        if (!period) settings.fail("unknown \"period\"");
        std::optional<TimeResolution> resolution =
            time_resolution_from_name(settings.text("time_resolution"));
        if (!resolution) settings.fail("unknown \"time_resolution\"");
        const bool utc = settings.flag("utc");
        const bool include_bots = settings.flag("include_bots");
        std::string key_id = settings.text("key_id");
        if (key_id.size() != 16 ||
            key_id.find_first_not_of("0123456789abcdef") != std::string::npos)
            settings.fail("\"key_id\" is not 16 hexadecimal digits");
        if (!settings.ok()) return settings.outcome().error();
        summary_.settings.ipv4_prefix = static_cast<unsigned>(ipv4);
        summary_.settings.ipv6_prefix = static_cast<unsigned>(ipv6);
        summary_.settings.period = *period;
        summary_.settings.time_resolution = *resolution;
        summary_.settings.utc = utc;
        summary_.settings.include_bots = include_bots;
        summary_.settings.key_id = std::move(key_id);

        Expected<const json*> lines_object = top_member(root_, "lines");
        if (!lines_object) return std::move(lines_object).error();
        Members lines(**lines_object, "lines");
        summary_.lines_read = lines.count("read");
        summary_.lines_parsed = lines.count("parsed");
        if (summary_.lines_parsed > summary_.lines_read) {
            lines.fail("more lines \"parsed\" than \"read\"");
        }
        if (!lines.ok()) return lines.outcome().error();

        for (RowList list : {RowList::downloads, RowList::sources}) {
            const char* name = list == RowList::downloads ? "downloads" : "sources";
            Expected<const json*> rows = top_member(root_, name);
            if (!rows) return std::move(rows).error();
            if (!(*rows)->is_array()) {
                return bad_summary(std::string("\"") + name + "\" must be an array");
            }
            if (const Expected<void>& counted = state(list).counted; !counted) {
                return counted.error();
            }
        }
        if (Expected<void> checked = check_values(summary_); !checked) {
            return std::move(checked).error();
        }
        return std::move(summary_);
    }

  private:
    struct ListState {
        std::size_t next_index = 0;
        Expected<void> counted;  // fails with the first bad row; later rows are not counted
    };

    static RowList list_of(std::string_view name) {
        return name == "downloads" ? RowList::downloads : RowList::sources;
    }
    ListState& state(RowList list) { return lists_[static_cast<std::size_t>(list)]; }

    // Where a new value goes: the root, the open array, the member named last, or (inside a
    // streamed list) a row of its own.
    json* place(json&& v) {
        if (open_.empty()) {
            root_ = std::move(v);
            return &root_;
        }
        if (streaming_ && open_.size() == 2) {
            row_ = std::move(v);
            return &row_;
        }
        json& parent = *open_.back();
        if (parent.is_array()) {
            parent.push_back(std::move(v));
            return &parent.back();
        }
        *member_ = std::move(v);
        return member_;
    }
    template <typename Value>
    bool value(Value&& v) {
        json* placed = place(json(std::forward<Value>(v)));
        if (placed == &row_) count_row();
        return true;
    }
    bool close() {
        open_.pop_back();
        if (streaming_ && open_.size() == 2) count_row();
        return true;
    }

    void count_row() {
        ListState& list = state(*streaming_);
        const std::string where = (*streaming_ == RowList::downloads ? "downloads[" : "sources[") +
                                  std::to_string(list.next_index++) + "]";
        if (list.counted) {
            list.counted = *streaming_ == RowList::downloads
                               ? add_download_row(summary_, row_, where)
                               : add_source_row(summary_, row_, where);
        }
        row_ = json();
    }

    void restart(RowList list) {
        state(list) = ListState{};
        for (auto it = summary_.periods.begin(); it != summary_.periods.end();) {
            PeriodSummary& rows = it->second;
            if (list == RowList::downloads) {
                rows.downloads.clear();
            } else {
                for (auto& table : rows.sources)
                    table.clear();
            }
            const bool empty = rows.downloads.empty() &&
                               std::all_of(rows.sources.begin(), rows.sources.end(),
                                           [](const auto& table) { return table.empty(); });
            it = empty ? summary_.periods.erase(it) : std::next(it);
        }
    }

    json root_;
    std::vector<json*> open_;  // the containers being filled, outermost first
    json* member_ = nullptr;   // where the value after the last key goes
    std::string top_key_;      // the last key of the root object
    std::optional<RowList> streaming_;
    json row_;
    ListState lists_[2];
    Summary summary_;
};

}  // namespace

void write_summary_json(const Summary& summary,
                        const std::function<void(std::string_view)>& write) {
    JsonOut out(write);
    const SummarySettings& settings = summary.settings;
    out.raw("{").key("logsift_summary", true).number(summary_version);
    out.key("settings").raw("{");
    out.key("ipv4_prefix", true).number(settings.ipv4_prefix);
    out.key("ipv6_prefix").number(settings.ipv6_prefix);
    out.key("period").string(period_name(settings.period));
    out.key("time_resolution").string(time_resolution_name(settings.time_resolution));
    out.key("utc").boolean(settings.utc);
    out.key("include_bots").boolean(settings.include_bots);
    out.key("key_id").string(settings.key_id).raw("}");
    out.key("lines").raw("{");
    out.key("read", true).number(summary.lines_read);
    out.key("parsed").number(summary.lines_parsed).raw("}");

    bool first = true;
    out.key("downloads").raw("[");
    for (const auto& [label, rows] : summary.periods) {
        for (const auto& [prefix, row] : sorted_rows(rows.downloads)) {
            const std::string_view resource = StringMap<DownloadCounts>::key_of(*row);
            out.raw(first ? "{" : ",{");
            first = false;
            out.key("period", true).string(label);
            out.key("resource").string(resource);
            out.key("product").string(row->product);
            out.key("version").string(row->version);
            out.key("requests").number(row->requests);
            out.key("bytes").number(row->bytes);
            out.key("clients").string(row->clients.serialize());
            out.key("addresses").string(row->addresses.serialize()).raw("}");
            out.end_row();
        }
    }
    out.raw("]");

    std::array<Dimension, dimension_count> by_name;
    for (std::size_t i = 0; i < dimension_count; ++i)
        by_name[i] = Dimension(i);
    std::sort(by_name.begin(), by_name.end(),
              [](Dimension a, Dimension b) { return dimension_name(a) < dimension_name(b); });
    first = true;
    out.key("sources").raw("[");
    for (const auto& period : summary.periods) {
        const std::string& label = period.first;  // not a structured binding: the lambda takes it
        for (Dimension dimension : by_name) {
            summary.for_each_source_row(
                label, dimension, [&](std::string_view value, const SourceCounts& row) {
                    out.raw(first ? "{" : ",{");
                    first = false;
                    out.key("period", true).string(label);
                    out.key("dimension").string(dimension_name(dimension));
                    out.key("value").string(value);
                    out.key("requests").number(row.requests);
                    out.key("clients").string(row.clients.serialize()).raw("}");
                    out.end_row();
                });
        }
    }
    out.raw("]}\n");
    out.flush();
}

std::string summary_to_json(const Summary& summary) {
    std::string text;
    write_summary_json(summary, [&](std::string_view piece) { text += piece; });
    return text;
}

namespace {

template <typename... Input>
Expected<Summary> read_summary(Input&&... input) {
    SummarySax sax;
    try {
        if (!json::sax_parse(std::forward<Input>(input)..., &sax)) {
            return bad_summary("not valid JSON");
        }
        return sax.finish();
    } catch (const json::exception&) {
        return bad_summary("not a logsift summary");
    }
}

}  // namespace

Expected<Summary> summary_from_json(std::istream& input) {
    return read_summary(input);
}

Expected<Summary> summary_from_json(std::string_view text) {
    return read_summary(text.begin(), text.end());
}

}  // namespace logsift
