// Output: the buffered descriptor sink and the record writers (TSV, CSV, JSON Lines). Every
// writer escapes straight into the sink, so writing a record allocates nothing, and every
// format keeps one record on one line whatever bytes the fields hold.
#include "logsift/output/output.hpp"

#include "logsift/base/signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace logsift {
namespace {

void write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        ssize_t written = ::write(fd, data, size);
        if (written >= 0) {
            data += written;
            size -= static_cast<std::size_t>(written);
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            // A non-blocking stdout (inherited from a shell or a parent) is not an error.
            pollfd ready{fd, POLLOUT, 0};
            ::poll(&ready, 1, -1);
            continue;
        }
        if (errno == EPIPE) throw BrokenPipe{};
        throw OutputError{std::strerror(errno)};
    }
}

constexpr char hex_digits[] = "0123456789abcdef";

void append_unicode_escape(OutputSink& sink, unsigned char byte) {
    const char escape[6] = {'\\', 'u', '0', '0', hex_digits[byte >> 4], hex_digits[byte & 15]};
    sink.append(std::string_view(escape, sizeof escape));
}

bool is_continuation(unsigned char byte) {
    return (byte & 0xc0) == 0x80;
}

// Length of the well-formed UTF-8 sequence at the start of text (Unicode table 3-7), or 0 when
// its first byte does not start one: overlong forms, surrogates and code points above U+10FFFF
// are all rejected here.
std::size_t utf8_sequence_length(std::string_view text) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(0);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        if (lead == 0xe0) low = 0xa0;
        if (lead == 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        if (lead == 0xf0) low = 0x90;
        if (lead == 0xf4) high = 0x8f;
    } else {
        return 0;
    }
    if (text.size() < length) return 0;
    if (byte(1) < low || byte(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (!is_continuation(byte(i))) return 0;
    }
    return length;
}

// The bytes a TSV field must escape, as a table. The common case is a field with none of
// them: it is passed eight bytes at a time (may_need_tsv_escape) and copied in one piece.
constexpr std::array<char, 256> tsv_escapes = [] {
    std::array<char, 256> table{};
    table['\t'] = 't';
    table['\n'] = 'n';
    table['\r'] = 'r';
    table['\\'] = '\\';
    return table;
}();

// Whether any of eight bytes may be one of tsv_escapes: below 0x0e, or a backslash. The
// answer is exact for "none", which is what lets the common bytes be passed eight at a time.
bool may_need_tsv_escape(const char* bytes) {
    constexpr std::uint64_t ones = 0x0101010101010101;
    constexpr std::uint64_t highs = 0x8080808080808080;
    std::uint64_t word;
    std::memcpy(&word, bytes, sizeof word);
    const std::uint64_t backslashes = word ^ (ones * '\\');
    return (((word - ones * 0x0e) & ~word) | ((backslashes - ones) & ~backslashes)) & highs;
}

char* copy_bytes(std::string_view bytes, char* out) {
    // An empty view may hold a null pointer, which memcpy must not see even for 0 bytes.
    if (bytes.empty()) return out;
    std::memcpy(out, bytes.data(), bytes.size());
    return out + bytes.size();
}

// Writes value with TSV escapes at out, which has room for twice its size; returns the end.
char* write_tsv_escaped(std::string_view value, char* out) {
    std::size_t run = 0;  // start of the bytes not yet written
    for (std::size_t i = 0; i < value.size(); ++i) {
        while (value.size() - i >= 8 && !may_need_tsv_escape(value.data() + i))
            i += 8;
        if (i == value.size()) break;
        const char escaped = tsv_escapes[static_cast<unsigned char>(value[i])];
        if (escaped == 0) continue;
        out = copy_bytes(value.substr(run, i - run), out);
        *out++ = '\\';
        *out++ = escaped;
        run = i + 1;
    }
    return copy_bytes(value.substr(run), out);
}

// The first bytes that make a spreadsheet evaluate a CSV cell.
constexpr std::array<bool, 256> csv_formula_starts = [] {
    std::array<bool, 256> table{};
    for (char c : {'=', '+', '-', '@', '\t', '\r'})
        table[static_cast<unsigned char>(c)] = true;
    return table;
}();

void append_separated(OutputSink& sink, char separator, const std::vector<Column>& columns,
                      const Record* record, void (*append_field)(OutputSink&, std::string_view)) {
    std::array<char, 24> scratch{};
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (i > 0) sink.append(separator);
        append_field(sink, record ? record->text(columns[i], scratch) : column_name(columns[i]));
    }
    sink.append('\n');
}

class TsvWriter final : public RecordWriter {
  public:
    TsvWriter(OutputSink& sink, std::vector<Column> columns)
        : sink_(sink), columns_(std::move(columns)), texts_(columns_.size()) {
        for (Column column : columns_)
            plain_.push_back(column_is_plain(column));
    }
    void header() override { append_separated(sink_, '\t', columns_, nullptr, append_tsv_field); }
    void write(const Record& record) override {
        // Every column's text first, so that one check makes room for the whole record.
        std::array<std::array<char, 24>, 2> scratch;  // status, bytes
        std::size_t bound = columns_.size();          // the tabs and the newline
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            texts_[i] = record.text(columns_[i], scratch[columns_[i] == Column::bytes]);
            bound += 2 * texts_[i].size();  // every byte escaped
        }
        if (char* out = sink_.reserve(bound)) {
            for (std::size_t i = 0; i < columns_.size(); ++i) {
                if (i > 0) *out++ = '\t';
                out = plain_[i] ? copy_bytes(texts_[i], out) : write_tsv_escaped(texts_[i], out);
            }
            *out++ = '\n';
            sink_.commit(out);
            return;
        }
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            if (i > 0) sink_.append('\t');
            append_tsv_field(sink_, texts_[i]);
        }
        sink_.append('\n');
    }

  private:
    OutputSink& sink_;
    std::vector<Column> columns_;
    std::vector<char> plain_;  // column_is_plain for each column, asked once
    std::vector<std::string_view> texts_;
};

class CsvWriter final : public RecordWriter {
  public:
    CsvWriter(OutputSink& sink, std::vector<Column> columns)
        : sink_(sink), columns_(std::move(columns)) {}
    void header() override { append_separated(sink_, ',', columns_, nullptr, append_csv_field); }
    void write(const Record& record) override {
        append_separated(sink_, ',', columns_, &record, append_csv_field);
    }

  private:
    OutputSink& sink_;
    std::vector<Column> columns_;
};

class JsonLinesWriter final : public RecordWriter {
  public:
    JsonLinesWriter(OutputSink& sink, std::vector<Column> columns)
        : sink_(sink), columns_(std::move(columns)) {
        // The keys never change, so they are built once, each with its separator in front.
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            std::string key = i == 0 ? "{\"" : ",\"";
            key.append(column_name(columns_[i])).append("\":");
            keys_.push_back(std::move(key));
        }
    }
    void header() override {}
    void write(const Record& record) override {
        if (columns_.empty()) sink_.append('{');
        for (std::size_t i = 0; i < columns_.size(); ++i) {
            sink_.append(keys_[i]);
            Column column = columns_[i];
            if (column == Column::status) {
                append_number(record.status);
            } else if (column == Column::bytes) {
                append_number(record.bytes);
            } else {
                std::array<char, 24> scratch{};
                append_json_string(sink_, record.text(column, scratch));
            }
        }
        sink_.append("}\n");
    }

  private:
    template <typename Number>
    void append_number(const std::optional<Number>& value) {
        if (!value) {
            sink_.append("null");
            return;
        }
        std::array<char, 24> digits{};
        auto result = std::to_chars(digits.data(), digits.data() + digits.size(), *value);
        sink_.append(std::string_view(digits.data(), result.ptr - digits.data()));
    }

    OutputSink& sink_;
    std::vector<Column> columns_;
    std::vector<std::string> keys_;
};

}  // namespace

OutputSink::OutputSink(int fd, bool owns_fd, std::size_t buffer_size)
    : fd_(fd),
      owns_fd_(owns_fd),
      buffer_(std::make_unique<char[]>(buffer_size > 0 ? buffer_size : 1)),
      capacity_(buffer_size > 0 ? buffer_size : 1) {}

OutputSink::OutputSink(std::string& memory, std::size_t buffer_size)
    : OutputSink(-1, false, buffer_size) {
    memory_ = &memory;
}

OutputSink::~OutputSink() {
    // Best effort only: a destructor that runs while an error unwinds must not throw again.
    try {
        flush();
    } catch (...) {
    }
    if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

void OutputSink::append_slow(std::string_view bytes) {
    flush();
    if (bytes.size() >= capacity_) {
        if (memory_) {
            memory_->append(bytes);
            return;
        }
        write_all(fd_, bytes.data(), bytes.size());
        return;
    }
    std::memcpy(buffer_.get(), bytes.data(), bytes.size());
    used_ = bytes.size();
}

void OutputSink::flush() {
    if (used_ == 0) return;
    if (memory_) {
        memory_->append(buffer_.get(), std::exchange(used_, 0));
        return;
    }
    if (fd_ < 0) return;
    if (reopen_requested && !reopen_path_.empty() && owns_fd_) {
        // Whatever the buffer holds was formatted since the last wait for input, after the
        // signal in a live pipeline: it belongs in the new file.
        reopen_requested = 0;
        int fd = ::open(reopen_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        if (fd < 0) throw OutputError{std::strerror(errno)};
        if (::close(std::exchange(fd_, fd)) != 0 && errno != EINTR) {
            throw OutputError{std::strerror(errno)};
        }
    }
    // Emptied first: after a failed write the bytes cannot be delivered, and the destructor
    // must not try again.
    std::size_t size = std::exchange(used_, 0);
    write_all(fd_, buffer_.get(), size);
}

void OutputSink::close() {
    flush();
    if (!owns_fd_ || fd_ < 0) return;
    int fd = std::exchange(fd_, -1);
    // close(2) is where NFS and some quota setups report a failed write (ENOSPC, EIO).
    if (::close(fd) != 0 && errno != EINTR) throw OutputError{std::strerror(errno)};
}

Expected<int> open_output(const std::string& path) {
    if (path.empty()) return STDOUT_FILENO;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return output_error(path, std::string("cannot write: ") + std::strerror(errno));
    return fd;
}

std::unique_ptr<RecordWriter> make_record_writer(RecordFormat format, OutputSink& sink,
                                                 std::vector<Column> columns) {
    switch (format) {
        case RecordFormat::tsv:
            return std::make_unique<TsvWriter>(sink, std::move(columns));
        case RecordFormat::csv:
            return std::make_unique<CsvWriter>(sink, std::move(columns));
        case RecordFormat::jsonl:
            return std::make_unique<JsonLinesWriter>(sink, std::move(columns));
    }
    return std::make_unique<TsvWriter>(sink, std::move(columns));
}

void append_tsv_field(OutputSink& sink, std::string_view value) {
    // Escaping never joins bytes, so a value goes through a buffer of ours piece by piece.
    do {
        std::array<char, 512> escaped;
        const std::string_view piece = value.substr(0, escaped.size() / 2);
        value.remove_prefix(piece.size());
        const char* end = write_tsv_escaped(piece, escaped.data());
        sink.append(std::string_view(escaped.data(), end - escaped.data()));
    } while (!value.empty());
}

void append_csv_field(OutputSink& sink, std::string_view value) {
    // A cell a spreadsheet would read as a formula (OWASP's CSV injection) gets a leading `'`,
    // which the spreadsheet shows and does not evaluate, and quotes, so that the `'` stays
    // part of the cell. Only the first byte decides; logsift writes no negative numbers.
    const bool formula = !value.empty() && csv_formula_starts[static_cast<unsigned char>(value[0])];
    bool quote = formula || value.find_first_of(",\"\r\n") != std::string_view::npos ||
                 (!value.empty() && (value.front() == ' ' || value.back() == ' '));
    if (!quote) {
        sink.append(value);
        return;
    }
    sink.append(formula ? "\"'" : "\"");
    std::size_t run = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        std::string_view escaped;
        switch (value[i]) {
            case '"':
                escaped = "\"\"";
                break;
            case '\r':
                escaped = "\\r";
                break;
            case '\n':
                escaped = "\\n";
                break;
            default:
                continue;
        }
        sink.append(value.substr(run, i - run));
        sink.append(escaped);
        run = i + 1;
    }
    sink.append(value.substr(run));
    sink.append('"');
}

void append_json_string(OutputSink& sink, std::string_view value) {
    sink.append('"');
    std::size_t run = 0;
    std::size_t i = 0;
    while (i < value.size()) {
        auto byte = static_cast<unsigned char>(value[i]);
        if (byte >= 0x80) {
            std::size_t length = utf8_sequence_length(value.substr(i));
            if (length > 0) {
                i += length;
                continue;
            }
        } else if (byte >= 0x20 && byte != '"' && byte != '\\') {
            ++i;
            continue;
        }
        sink.append(value.substr(run, i - run));
        switch (byte) {
            case '"':
                sink.append("\\\"");
                break;
            case '\\':
                sink.append("\\\\");
                break;
            case '\n':
                sink.append("\\n");
                break;
            case '\r':
                sink.append("\\r");
                break;
            case '\t':
                sink.append("\\t");
                break;
            case '\b':
                sink.append("\\b");
                break;
            case '\f':
                sink.append("\\f");
                break;
            default:
                // Other control characters, and a byte that starts no valid UTF-8 sequence,
                // which is read as Latin-1 so the line stays valid JSON.
                append_unicode_escape(sink, byte);
                break;
        }
        ++i;
        run = i;
    }
    sink.append(value.substr(run));
    sink.append('"');
}

}  // namespace logsift
