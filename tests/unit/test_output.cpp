// Unit tests for output: the sink's buffering and its errors (broken pipe, full disk), every
// escaping rule of TSV, CSV and JSON, and the record writers' headers, columns and nulls.
// Output goes to a memfd so the tests read back exactly the bytes a file would get.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <csignal>
#include <random>
#include <string>
#include <vector>

#include "logsift/output/output.hpp"

using namespace logsift;

namespace {

// A file in memory: what was written, byte for byte.
class Capture {
  public:
    Capture() : fd_(::memfd_create("logsift-test", MFD_CLOEXEC)) { REQUIRE(fd_ >= 0); }
    ~Capture() { ::close(fd_); }
    int fd() const { return fd_; }
    std::string text() const {
        std::string out;
        char buffer[4096];
        off_t offset = 0;
        for (;;) {
            ssize_t got = ::pread(fd_, buffer, sizeof buffer, offset);
            if (got <= 0) break;
            out.append(buffer, static_cast<std::size_t>(got));
            offset += got;
        }
        return out;
    }

  private:
    int fd_;
};

template <typename Append>
std::string render(Append append) {
    Capture capture;
    {
        OutputSink sink(capture.fd(), false, 16);  // tiny buffer: exercises the slow path
        append(sink);
    }
    return capture.text();
}

std::string tsv(std::string_view value) {
    return render([&](OutputSink& sink) { append_tsv_field(sink, value); });
}
std::string csv(std::string_view value) {
    return render([&](OutputSink& sink) { append_csv_field(sink, value); });
}
std::string json(std::string_view value) {
    return render([&](OutputSink& sink) { append_json_string(sink, value); });
}

// A strict JSON string checker: escapes from the grammar only, no raw control characters, and
// well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool valid_json_string(std::string_view text, std::size_t& i) {
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    if (i >= text.size() || text[i] != '"') return false;
    ++i;
    while (i < text.size()) {
        unsigned char c = at(i);
        if (c == '"') {
            ++i;
            return true;
        }
        if (c < 0x20) return false;
        if (c == '\\') {
            if (++i >= text.size()) return false;
            char e = text[i];
            if (e == 'u') {
                if (i + 4 >= text.size()) return false;
                for (std::size_t k = 1; k <= 4; ++k) {
                    if (!std::isxdigit(at(i + k))) return false;
                }
                i += 5;
                continue;
            }
            if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) return false;
            ++i;
            continue;
        }
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (c < 0xc2 || c > 0xf4 || i + length > text.size()) return false;
        std::uint32_t code = c & (0x3f >> (length - 1));
        for (std::size_t k = 1; k < length; ++k) {
            if ((at(i + k) & 0xc0) != 0x80) return false;
            code = code << 6 | (at(i + k) & 0x3f);
        }
        static constexpr std::uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
        if (code < minimum[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
            return false;
        }
        i += length;
    }
    return false;
}

bool valid_json_value_string(std::string_view text) {
    std::size_t i = 0;
    return valid_json_string(text, i) && i == text.size();
}

Record sample_record() {
    Record record;
    record.time = "2024-03-01T10:00:00Z";
    record.network = "192.0.2.0/24";
    record.method = "GET";
    record.resource = "/download/app-1.2.tar.gz";
    record.status = 200;
    record.bytes = 1234;
    record.agent = "curl";
    record.agent_version = "8.5";
    record.agent_class = "tool";
    record.referrer_host = "example.org";
    record.country = "DE";
    record.vhost = "www.example.com";
    return record;
}

std::vector<Column> all_columns() {
    std::vector<Column> columns;
    for (std::size_t i = 0; i < column_count; ++i)
        columns.push_back(static_cast<Column>(i));
    return columns;
}

std::string write_records(RecordFormat format, std::vector<Column> columns,
                          const std::vector<Record>& records, bool header = true) {
    return render([&](OutputSink& sink) {
        auto writer = make_record_writer(format, sink, std::move(columns));
        if (header) writer->header();
        for (const Record& record : records)
            writer->write(record);
    });
}

}  // namespace

TEST_CASE("column names and Record::text") {
    const char* names[] = {"time",        "network",       "method",  "resource",
                           "status",      "bytes",         "agent",   "agent_version",
                           "agent_class", "referrer_host", "country", "vhost"};
    REQUIRE(std::size(names) == column_count);
    for (std::size_t i = 0; i < column_count; ++i) {
        CHECK(column_name(static_cast<Column>(i)) == names[i]);
        CHECK(column_from_name(names[i]) == static_cast<Column>(i));
    }
    CHECK(column_from_name("ip") == std::nullopt);
    CHECK(column_from_name("") == std::nullopt);
    CHECK(column_from_name("Time") == std::nullopt);

    Record record = sample_record();
    record.bytes = 18446744073709551615u;
    std::array<char, 24> scratch{};
    CHECK(record.text(Column::status, scratch) == "200");
    CHECK(record.text(Column::bytes, scratch) == "18446744073709551615");
    CHECK(record.text(Column::vhost, scratch) == "www.example.com");
    record.status.reset();
    record.bytes.reset();
    CHECK(record.text(Column::status, scratch) == "");
    CHECK(record.text(Column::bytes, scratch) == "");
}

TEST_CASE("TSV escaping") {
    CHECK(tsv("plain text, with \"quotes\"") == "plain text, with \"quotes\"");
    CHECK(tsv("") == "");
    CHECK(tsv("a\tb") == "a\\tb");
    CHECK(tsv("a\nb") == "a\\nb");
    CHECK(tsv("a\rb") == "a\\rb");
    CHECK(tsv("a\\b") == "a\\\\b");
    CHECK(tsv("\t\n\r\\") == "\\t\\n\\r\\\\");
    CHECK(tsv(std::string_view("nul\0byte", 8)) == std::string("nul\0byte", 8));
}

TEST_CASE("TSV escaping finds each escape wherever it falls among the bytes passed in bulk") {
    // Bytes are passed eight at a time while none of them can need an escape; the bytes around
    // the escaped ones are near misses (0x0e above '\r', ']' after '\\') and bytes >= 0x80.
    for (char special : {'\t', '\n', '\r', '\\'}) {
        for (std::size_t at = 0; at < 24; ++at) {
            CAPTURE(at);
            std::string value(24, 'a');
            value[at] = special;
            if (at + 1 < value.size()) value[at + 1] = at % 2 ? '\x0e' : ']';
            if (at > 0) value[at - 1] = '\xe9';
            std::string expected = value;
            const char letter = special == '\t'   ? 't'
                                : special == '\n' ? 'n'
                                : special == '\r' ? 'r'
                                                  : '\\';
            expected.replace(at, 1, std::string{'\\', letter});
            CHECK(tsv(value) == expected);
        }
    }
}

TEST_CASE("CSV quoting") {
    CHECK(csv("plain") == "plain");
    CHECK(csv("") == "");
    CHECK(csv("a,b") == "\"a,b\"");
    CHECK(csv("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv(" lead") == "\" lead\"");
    CHECK(csv("trail ") == "\"trail \"");
    CHECK(csv("in side") == "in side");
    CHECK(csv("two\r\nlines") == "\"two\\r\\nlines\"");
    CHECK(csv("tab\tand\\back") == "tab\tand\\back");
}

TEST_CASE("CSV: a cell a spreadsheet would evaluate is quoted behind a single quote") {
    // OWASP's CSV injection advice: these first bytes start a formula (or, for tab and CR, hide
    // one after leading white space).
    CHECK(csv("=HYPERLINK(\"http://evil\")") == "\"'=HYPERLINK(\"\"http://evil\"\")\"");
    CHECK(csv("+1+cmd|' /C calc'!A0") == "\"'+1+cmd|' /C calc'!A0\"");
    CHECK(csv("-2+3") == "\"'-2+3\"");
    CHECK(csv("-") == "\"'-\"");
    CHECK(csv("@SUM(A1)") == "\"'@SUM(A1)\"");
    CHECK(csv("\t=1") == "\"'\t=1\"");
    CHECK(csv("\r=1") == "\"'\\r=1\"");
    CHECK(csv("=a,b") == "\"'=a,b\"");
    // Only the first byte counts; digits, empty cells and other text stay as they were.
    CHECK(csv("a=b") == "a=b");
    CHECK(csv("/x-@+") == "/x-@+");
    CHECK(csv("1234") == "1234");
    CHECK(csv("") == "");
    CHECK(csv("'=already") == "'=already");
}

TEST_CASE("CSV records: formula canaries in every text column are defused") {
    Record record = sample_record();
    record.network = "=1+1";
    record.method = "-";
    record.resource = "=HYPERLINK(\"http://evil\")";
    record.agent = "@cmd";
    record.agent_version = "+1";
    record.agent_class = "-x";
    record.referrer_host = "=evil";
    record.country = "\tX";
    record.vhost = "\r=v";
    CHECK(write_records(RecordFormat::csv, all_columns(), {record}, false) ==
          "2024-03-01T10:00:00Z,\"'=1+1\",\"'-\",\"'=HYPERLINK(\"\"http://evil\"\")\",200,1234,"
          "\"'@cmd\",\"'+1\",\"'-x\",\"'=evil\",\"'\tX\",\"'\\r=v\"\n");
}

TEST_CASE("JSON string escaping") {
    CHECK(json("plain") == "\"plain\"");
    CHECK(json("") == "\"\"");
    CHECK(json("q\"b\\") == "\"q\\\"b\\\\\"");
    CHECK(json("\n\r\t\b\f") == "\"\\n\\r\\t\\b\\f\"");
    CHECK(json(std::string_view("\0\x01\x1f", 3)) == "\"\\u0000\\u0001\\u001f\"");
    CHECK(json("\x7f") == "\"\x7f\"");  // DEL is allowed raw in JSON
    CHECK(json("/") == "\"/\"");

    SUBCASE("valid UTF-8 passes through") {
        CHECK(json("caf\xc3\xa9") == "\"caf\xc3\xa9\"");            // 2 bytes
        CHECK(json("\xe2\x82\xac") == "\"\xe2\x82\xac\"");          // 3 bytes
        CHECK(json("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");  // 4 bytes
        CHECK(json("\xef\xbf\xbf\xf4\x8f\xbf\xbf") == "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
    }
    SUBCASE("each invalid byte becomes its Latin-1 escape") {
        CHECK(json("\x80") == "\"\\u0080\"");                        // lone continuation
        CHECK(json("\xff\xfe") == "\"\\u00ff\\u00fe\"");             // never a lead
        CHECK(json("\xc0\xaf") == "\"\\u00c0\\u00af\"");             // overlong '/'
        CHECK(json("\xc1\xbf") == "\"\\u00c1\\u00bf\"");             // overlong
        CHECK(json("\xe0\x80\xaf") == "\"\\u00e0\\u0080\\u00af\"");  // overlong 3-byte
        CHECK(json("\xf0\x80\x80\xaf") == "\"\\u00f0\\u0080\\u0080\\u00af\"");
        CHECK(json("\xed\xa0\x80") == "\"\\u00ed\\u00a0\\u0080\"");             // surrogate U+D800
        CHECK(json("\xf4\x90\x80\x80") == "\"\\u00f4\\u0090\\u0080\\u0080\"");  // > U+10FFFF
        CHECK(json("\xf5\x80\x80\x80") == "\"\\u00f5\\u0080\\u0080\\u0080\"");
        CHECK(json("a\xe2\x82") == "\"a\\u00e2\\u0082\"");  // truncated at the end
        CHECK(json("\xe2\x82"
                   "A\xc3") == "\"\\u00e2\\u0082A\\u00c3\"");  // cut by ASCII
        CHECK(json("\xc3\xc3\xa9") == "\"\\u00c3\xc3\xa9\"");  // resynchronises
    }
    SUBCASE("random bytes always give valid JSON") {
        std::mt19937 random(12345);
        std::uniform_int_distribution<int> byte(0, 255);
        std::uniform_int_distribution<int> length(0, 40);
        for (int round = 0; round < 3000; ++round) {
            std::string value;
            for (int k = length(random); k > 0; --k)
                value.push_back(static_cast<char>(byte(random)));
            std::string out = json(value);
            CAPTURE(out);
            REQUIRE(valid_json_value_string(out));
        }
    }
}

TEST_CASE("TSV and CSV records, with header") {
    Record record = sample_record();
    CHECK(write_records(RecordFormat::tsv, all_columns(), {record}) ==
          "time\tnetwork\tmethod\tresource\tstatus\tbytes\tagent\tagent_version\tagent_class\t"
          "referrer_host\tcountry\tvhost\n"
          "2024-03-01T10:00:00Z\t192.0.2.0/24\tGET\t/download/app-1.2.tar.gz\t200\t1234\tcurl\t"
          "8.5\ttool\texample.org\tDE\twww.example.com\n");
    CHECK(write_records(RecordFormat::csv, all_columns(), {record}) ==
          "time,network,method,resource,status,bytes,agent,agent_version,agent_class,"
          "referrer_host,country,vhost\n"
          "2024-03-01T10:00:00Z,192.0.2.0/24,GET,/download/app-1.2.tar.gz,200,1234,curl,8.5,"
          "tool,example.org,DE,www.example.com\n");

    record.status.reset();
    record.bytes.reset();
    record.resource = "/a\tb,c";
    std::vector<Column> columns{Column::bytes, Column::resource, Column::status};
    CHECK(write_records(RecordFormat::tsv, columns, {record}) ==
          "bytes\tresource\tstatus\n\t/a\\tb,c\t\n");
    CHECK(write_records(RecordFormat::csv, columns, {record}, false) == ",\"/a\tb,c\",\n");
}

TEST_CASE("a TSV record is the same whether it fits the buffer whole or goes field by field") {
    // With room for the whole record the writer escapes in place; a record larger than the
    // buffer goes field by field through append_tsv_field, and a long field piece by piece.
    std::string long_resource(1500, 'x');
    long_resource[511] = '\t';
    long_resource[512] = '\\';
    long_resource[1499] = '\n';
    for (std::string resource : {std::string("/a\tb\\c\nd\re"), long_resource}) {
        CAPTURE(resource.size());
        Record record = sample_record();
        record.resource = resource;
        record.agent = "cu\trl";
        std::string expected_resource;
        for (char c : resource) {
            if (c == '\t' || c == '\n' || c == '\r' || c == '\\') {
                expected_resource += '\\';
                expected_resource += c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
            } else {
                expected_resource += c;
            }
        }
        const std::string expected = "2024-03-01T10:00:00Z\t192.0.2.0/24\tGET\t" +
                                     expected_resource +
                                     "\t200\t1234\tcu\\trl\t8.5\ttool\texample.org\tDE\t"
                                     "www.example.com\n";
        CHECK(write_records(RecordFormat::tsv, all_columns(), {record}, false) == expected);
        Capture capture;
        {
            OutputSink sink(capture.fd(), false, 1 << 16);
            auto writer = make_record_writer(RecordFormat::tsv, sink, all_columns());
            writer->write(record);
            writer->write(record);
        }
        CHECK(capture.text() == expected + expected);
    }
}

TEST_CASE("JSON Lines records") {
    Record record = sample_record();
    CHECK(write_records(RecordFormat::jsonl, all_columns(), {record}) ==
          "{\"time\":\"2024-03-01T10:00:00Z\",\"network\":\"192.0.2.0/24\",\"method\":\"GET\","
          "\"resource\":\"/download/app-1.2.tar.gz\",\"status\":200,\"bytes\":1234,"
          "\"agent\":\"curl\",\"agent_version\":\"8.5\",\"agent_class\":\"tool\","
          "\"referrer_host\":\"example.org\",\"country\":\"DE\",\"vhost\":\"www.example.com\"}\n");

    Record empty;
    empty.resource = "/q\"\xff";
    CHECK(write_records(RecordFormat::jsonl,
                        {Column::vhost, Column::status, Column::bytes, Column::resource},
                        {empty, sample_record()}) ==
          "{\"vhost\":\"\",\"status\":null,\"bytes\":null,\"resource\":\"/q\\\"\\u00ff\"}\n"
          "{\"vhost\":\"www.example.com\",\"status\":200,\"bytes\":1234,"
          "\"resource\":\"/download/app-1.2.tar.gz\"}\n");
    CHECK(write_records(RecordFormat::jsonl, {}, {empty}) == "{}\n");
}

TEST_CASE("sink: large writes arrive whole and in order") {
    Capture capture;
    std::string big(100000, 'b');
    {
        OutputSink sink(capture.fd(), false, 1000);
        sink.append("start:");
        sink.append(big);
        for (int i = 0; i < 2000; ++i)
            sink.append('c');
        sink.flush();
        CHECK(capture.text() == "start:" + big + std::string(2000, 'c'));
        sink.append("tail");
    }  // the destructor flushes what is left
    CHECK(capture.text() == "start:" + big + std::string(2000, 'c') + "tail");
}

TEST_CASE("sink: a pipe whose reader has gone raises BrokenPipe") {
    // The program ignores SIGPIPE, so write(2) reports EPIPE instead of killing the process.
    auto previous = std::signal(SIGPIPE, SIG_IGN);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    ::close(fds[0]);
    {
        OutputSink sink(fds[1], true);
        sink.append("record\n");
        CHECK_THROWS_AS(sink.flush(), BrokenPipe);
        sink.append("more\n");
    }  // the destructor must swallow the second EPIPE
    std::signal(SIGPIPE, previous);
}

TEST_CASE("sink: a full disk raises OutputError with the reason") {
    int fd = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    OutputSink sink(fd, true);
    sink.append("x");
    try {
        sink.flush();
        FAIL("flush to /dev/full succeeded");
    } catch (const OutputError& error) {
        CHECK(error.reason == "No space left on device");
    }
    sink.append("y");
    CHECK_THROWS_AS(sink.close(), OutputError);
}

TEST_CASE("sink: close flushes, closes an owned descriptor, and leaves others open") {
    Capture capture;
    int copy = ::dup(capture.fd());
    REQUIRE(copy >= 0);
    {
        OutputSink sink(copy, true);
        sink.append("owned\n");
        sink.close();
        CHECK(::fcntl(copy, F_GETFD) == -1);  // closed
    }
    {
        OutputSink sink(capture.fd(), false);
        sink.append("borrowed\n");
        sink.close();
        CHECK(::fcntl(capture.fd(), F_GETFD) != -1);  // still open
    }
    CHECK(capture.text() == "owned\nborrowed\n");
}
