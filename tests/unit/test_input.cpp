// Unit tests for input: codec detection and decoding of in-memory streams, line splitting
// (CRLF, final line, empty lines, NUL bytes), overlong lines, peek, and read/decode errors.
// Compressed inputs are made here with Boost's compressors, so the tests take strings.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <boost/iostreams/device/back_inserter.hpp>
#include <boost/iostreams/filter/bzip2.hpp>
#include <boost/iostreams/filter/gzip.hpp>
#include <boost/iostreams/filter/lzma.hpp>
#include <boost/iostreams/filter/zstd.hpp>
#include <boost/iostreams/filtering_stream.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "logsift/input/input.hpp"

using namespace logsift;

namespace {

std::string compress(Codec codec, const std::string& text) {
    namespace io = boost::iostreams;
    std::string out;
    {
        io::filtering_ostream stream;
        switch (codec) {
            case Codec::gzip:
                stream.push(io::gzip_compressor());
                break;
            case Codec::bzip2:
                stream.push(io::bzip2_compressor());
                break;
            case Codec::xz:
                stream.push(io::lzma_compressor());
                break;
            case Codec::zstd:
                stream.push(io::zstd_compressor());
                break;
            case Codec::plain:
                break;
        }
        stream.push(io::back_inserter(out));
        stream.write(text.data(), static_cast<std::streamsize>(text.size()));
    }  // the stream's destructor finishes the compressed stream
    return out;
}

struct Got {
    std::string text;
    std::uint64_t number;
    bool overlong;
    bool operator==(const Got&) const = default;
};

[[maybe_unused]] std::ostream& operator<<(std::ostream& out, const Got& got) {
    return out << got.number << (got.overlong ? " overlong " : " ") << '"' << got.text << '"';
}

std::vector<Got> read_all(LineReader& reader) {
    std::vector<Got> lines;
    Line line;
    while (reader.next(line)) {
        lines.push_back({std::string(line.text), line.number, line.overlong});
    }
    return lines;
}

std::unique_ptr<LineReader> open_reader(const std::string& path, std::size_t max_line) {
    auto reader = LineReader::open(path, max_line);
    REQUIRE(reader);
    return std::move(*reader);
}

std::vector<Got> read_bytes(const std::string& bytes,
                            std::size_t max_line = LineReader::default_max_line) {
    auto reader = LineReader::from_bytes(bytes, max_line);
    REQUIRE(reader);
    std::vector<Got> lines = read_all(*reader);
    CHECK(reader->error() == "");
    return lines;
}

// Hands out its bytes a few at a time, so lines and line ends straddle buffer refills.
class ChunkSource final : public ByteSource {
  public:
    ChunkSource(std::string bytes, std::size_t chunk) : bytes_(std::move(bytes)), chunk_(chunk) {}
    Expected<std::size_t> read(char* data, std::size_t size) override {
        std::size_t n = std::min({size, chunk_, bytes_.size() - offset_});
        std::memcpy(data, bytes_.data() + offset_, n);
        offset_ += n;
        return n;
    }

  private:
    std::string bytes_;
    std::size_t chunk_;
    std::size_t offset_ = 0;
};

// Bytes up to a limit, then a read error such as a failing disk would give.
class FailingSource final : public ByteSource {
  public:
    explicit FailingSource(std::string bytes) : bytes_(std::move(bytes)) {}
    Expected<std::size_t> read(char* data, std::size_t size) override {
        if (done_) return input_error({}, "Input/output error");
        done_ = true;
        std::size_t n = std::min(size, bytes_.size());
        std::memcpy(data, bytes_.data(), n);
        return n;
    }

  private:
    std::string bytes_;
    bool done_ = false;
};

// An endless run of one byte, generated rather than stored: a huge line costs no test memory.
class RepeatSource final : public ByteSource {
  public:
    RepeatSource(char byte, std::uint64_t count, std::string tail)
        : byte_(byte), left_(count), tail_(std::move(tail)) {}
    Expected<std::size_t> read(char* data, std::size_t size) override {
        if (left_ > 0) {
            std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, left_));
            std::memset(data, byte_, n);
            left_ -= n;
            return n;
        }
        std::size_t n = std::min(size, tail_.size() - tail_offset_);
        std::memcpy(data, tail_.data() + tail_offset_, n);
        tail_offset_ += n;
        return n;
    }

  private:
    char byte_;
    std::uint64_t left_;
    std::string tail_;
    std::size_t tail_offset_ = 0;
};

std::string numbered_lines(int count) {
    std::string text;
    for (int i = 1; i <= count; ++i) {
        text += "line " + std::to_string(i) + " GET /file-" + std::to_string(i * 7919LL) + "\n";
    }
    return text;
}

std::string temp_file(const std::string& contents) {
    char name[] = "/tmp/logsift-test-XXXXXX";
    int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()));
    ::close(fd);
    return name;
}

const Codec compressed_codecs[] = {Codec::gzip, Codec::bzip2, Codec::xz, Codec::zstd};

}  // namespace

TEST_CASE("detect_codec reads magic bytes, not names") {
    CHECK(detect_codec("\x1f\x8b\x08\x00\x00\x00") == Codec::gzip);
    CHECK(detect_codec("BZh91AY&SY") == Codec::bzip2);
    CHECK(detect_codec(std::string_view("\xfd"
                                        "7zXZ\0",
                                        6)) == Codec::xz);
    CHECK(detect_codec("\x28\xb5\x2f\xfd\x00") == Codec::zstd);
    CHECK(detect_codec("127.0.0.1 - - [") == Codec::plain);
    CHECK(detect_codec("") == Codec::plain);
    CHECK(detect_codec("\x1f") == Codec::plain);
    CHECK(detect_codec("\xfd"
                       "7zX") == Codec::plain);
    CHECK(codec_name(Codec::plain) == "plain");
    CHECK(codec_name(Codec::gzip) == "gzip");
    CHECK(codec_name(Codec::bzip2) == "bzip2");
    CHECK(codec_name(Codec::xz) == "xz");
    CHECK(codec_name(Codec::zstd) == "zstd");
}

TEST_CASE("line ends: LF, CRLF, no final newline, empty lines") {
    CHECK(read_bytes("a\nb\n") == std::vector<Got>{{"a", 1, false}, {"b", 2, false}});
    CHECK(read_bytes("a\r\nb\r\n") == std::vector<Got>{{"a", 1, false}, {"b", 2, false}});
    CHECK(read_bytes("a\nb") == std::vector<Got>{{"a", 1, false}, {"b", 2, false}});
    CHECK(read_bytes("a\r\nb\r") == std::vector<Got>{{"a", 1, false}, {"b", 2, false}});
    CHECK(read_bytes("\n\na\n\n") ==
          std::vector<Got>{{"", 1, false}, {"", 2, false}, {"a", 3, false}, {"", 4, false}});
    CHECK(read_bytes("").empty());
    CHECK(read_bytes("\n") == std::vector<Got>{{"", 1, false}});
    // Only one '\r' belongs to the line end; one inside the line is data.
    CHECK(read_bytes("a\rb\r\r\n") == std::vector<Got>{{"a\rb\r", 1, false}});
}

TEST_CASE("NUL bytes and invalid UTF-8 pass through untouched") {
    std::string text("a\0b\n\xff\xfe\xc0\x80\n", 9);
    CHECK(read_bytes(text) ==
          std::vector<Got>{{std::string("a\0b", 3), 1, false}, {"\xff\xfe\xc0\x80", 2, false}});
}

TEST_CASE("every codec decodes to the same lines") {
    const std::string text = numbered_lines(200000);  // several MiB: many buffer refills
    const std::vector<Got> expected = read_bytes(text);
    REQUIRE(expected.size() == 200000);
    for (Codec codec : compressed_codecs) {
        CAPTURE(codec_name(codec));
        std::string compressed = compress(codec, text);
        auto reader = LineReader::from_bytes(compressed, LineReader::default_max_line);
        REQUIRE(reader);
        CHECK(reader->codec() == codec);
        CHECK(read_all(*reader) == expected);
        CHECK(reader->error() == "");
        CHECK(reader->bytes_read() == text.size());
    }
}

TEST_CASE("concatenated streams give every member's data") {
    for (Codec codec : compressed_codecs) {
        CAPTURE(codec_name(codec));
        std::string joined =
            compress(codec, "one\ntwo\n") + compress(codec, "three\n") + compress(codec, "four");
        CHECK(read_bytes(joined) ==
              std::vector<Got>{
                  {"one", 1, false}, {"two", 2, false}, {"three", 3, false}, {"four", 4, false}});
    }
}

TEST_CASE("a member boundary inside a line joins the line") {
    std::string joined = compress(Codec::gzip, "par") + compress(Codec::gzip, "tial\nend\n");
    CHECK(read_bytes(joined) == std::vector<Got>{{"partial", 1, false}, {"end", 2, false}});
}

TEST_CASE("lines spanning many small reads") {
    const std::string text = "first\r\n\nsecond line\r\nx\nlast without newline";
    const std::vector<Got> expected{{"first", 1, false},
                                    {"", 2, false},
                                    {"second line", 3, false},
                                    {"x", 4, false},
                                    {"last without newline", 5, false}};
    for (std::size_t chunk : {1, 2, 3, 7}) {
        CAPTURE(chunk);
        LineReader plain(std::make_unique<ChunkSource>(text, chunk), Codec::plain, 100);
        CHECK(read_all(plain) == expected);
        CHECK(plain.bytes_read() == text.size());
        LineReader gzip(std::make_unique<ChunkSource>(compress(Codec::gzip, text), chunk),
                        Codec::gzip, 100);
        CHECK(read_all(gzip) == expected);
        CHECK(gzip.error() == "");
    }
}

TEST_CASE("take_lines: buffered whole lines in bulk, next() for the rest") {
    const std::string text = "one\r\ntwo\nthree\nfour without end";
    for (std::size_t chunk : {1, 5, 1000}) {
        CAPTURE(chunk);
        LineReader reader(std::make_unique<ChunkSource>(text, chunk), Codec::plain, 100);
        std::string seen;  // every line in order, as "b:" (bulk) or "n<number>:" (next)
        std::uint64_t count = 0;
        Line line;
        for (;;) {
            std::string_view bulk = reader.take_lines(1000, count);
            if (!bulk.empty()) {
                seen += "b:" + std::string(bulk);
                continue;
            }
            if (!reader.next(line)) break;
            seen += "n" + std::to_string(line.number) + ":" + std::string(line.text) + "\n";
        }
        CHECK(reader.bytes_read() == text.size());
        CHECK(seen.ends_with("n4:four without end\n"));  // numbered after the bulk lines too
        if (chunk == 1000) {
            // The first line fills the buffer; the rest of its whole lines go in one piece,
            // '\r' and all.
            CHECK(seen == "n1:one\nb:two\nthree\nn4:four without end\n");
            CHECK(count == 2);
        }
    }
    SUBCASE("bounded by max_bytes, never past the last whole line") {
        LineReader reader(std::make_unique<ChunkSource>("ab\ncd\nef", 1000), Codec::plain, 100);
        Line line;
        REQUIRE(reader.next(line));  // fills the buffer
        std::uint64_t count = 0;
        CHECK(reader.take_lines(2, count).empty());
        CHECK(reader.take_lines(3, count) == "cd\n");
        CHECK(count == 1);
        CHECK(reader.take_lines(1000, count).empty());
        REQUIRE(reader.next(line));
        CHECK(line.text == "ef");
        CHECK(line.number == 3);
    }
    SUBCASE("counts every line end of a large buffer") {
        std::string many;
        for (int i = 0; i < 5000; ++i)  // lines of varied lengths across the 16-byte steps
            many += std::string(static_cast<std::size_t>(i % 37), 'x') + "\n";
        LineReader reader(std::make_unique<ChunkSource>(many + "tail", many.size() + 4),
                          Codec::plain, 100);
        Line line;
        REQUIRE(reader.next(line));
        std::uint64_t count = 0;
        CHECK(reader.take_lines(many.size(), count).size() == many.size() - 1);
        CHECK(count == 4999);
        REQUIRE(reader.next(line));
        CHECK(line.number == 5001);
        CHECK(line.text == "tail");
    }
}

TEST_CASE("overlong lines are reported once and skipped") {
    const std::string long_line(30, 'x');
    SUBCASE("in the middle") {
        std::string text = "short\n" + long_line + "\nafter\n" + long_line + "\r\n\nend";
        for (std::size_t chunk : {1, 4, 1000}) {
            CAPTURE(chunk);
            LineReader reader(std::make_unique<ChunkSource>(text, chunk), Codec::plain, 10);
            CHECK(read_all(reader) == std::vector<Got>{{"short", 1, false},
                                                       {"", 2, true},
                                                       {"after", 3, false},
                                                       {"", 4, true},
                                                       {"", 5, false},
                                                       {"end", 6, false}});
            CHECK(reader.bytes_read() == text.size());
        }
    }
    SUBCASE("limits: max_line bytes fit, with or without CR; one more does not") {
        std::string text = "0123456789\n0123456789\r\n0123456789A\n0123456789A\r\n0123456789";
        for (std::size_t chunk : {1, 11, 1000}) {
            CAPTURE(chunk);
            LineReader reader(std::make_unique<ChunkSource>(text, chunk), Codec::plain, 10);
            CHECK(read_all(reader) == std::vector<Got>{{"0123456789", 1, false},
                                                       {"0123456789", 2, false},
                                                       {"", 3, true},
                                                       {"", 4, true},
                                                       {"0123456789", 5, false}});
        }
    }
    SUBCASE("last line, without newline") {
        CHECK(read_bytes("ok\n" + long_line, 10) ==
              std::vector<Got>{{"ok", 1, false}, {"", 2, true}});
    }
    SUBCASE("in a compressed stream") {
        std::string text = "a\n" + std::string(100000, 'y') + "\nb\n";
        CHECK(read_bytes(compress(Codec::zstd, text), 1000) ==
              std::vector<Got>{{"a", 1, false}, {"", 2, true}, {"b", 3, false}});
    }
}

TEST_CASE("a 200 MiB line without newline is skipped in bounded memory") {
    // RepeatSource stores nothing, so only the reader's own buffer could hold the line.
    const std::uint64_t size = std::uint64_t{200} << 20;
    LineReader reader(std::make_unique<RepeatSource>('z', size, "\nafter\n"), Codec::plain,
                      LineReader::default_max_line);
    CHECK(read_all(reader) == std::vector<Got>{{"", 1, true}, {"after", 2, false}});
    CHECK(reader.bytes_read() == size + 7);
}

TEST_CASE("peek returns whole lines and next() still sees every line") {
    SUBCASE("everything fits") {
        auto reader = LineReader::from_bytes("a\nb\r\nc", 100);
        CHECK(reader->peek(1000) == "a\nb\r\nc");
        CHECK(read_all(*reader) ==
              std::vector<Got>{{"a", 1, false}, {"b", 2, false}, {"c", 3, false}});
    }
    SUBCASE("read-ahead ends inside a line") {
        auto reader = LineReader::from_bytes("aa\nbb\ncc\n", 100);
        CHECK(reader->peek(7) == "aa\nbb\n");
        CHECK(read_all(*reader) ==
              std::vector<Got>{{"aa", 1, false}, {"bb", 2, false}, {"cc", 3, false}});
    }
    SUBCASE("compressed, with a read-ahead larger than the buffer") {
        const std::string text = numbered_lines(100000);
        auto reader = LineReader::from_bytes(compress(Codec::gzip, text), 1000);
        std::string_view peeked = reader->peek(4 << 20);
        CHECK(peeked.size() == text.size());
        CHECK(peeked == text);
        CHECK(read_all(*reader).size() == 100000);
        CHECK(reader->error() == "");
    }
    SUBCASE("first line overlong") {
        auto reader = LineReader::from_bytes(std::string(50, 'x') + "\nok\n", 10);
        CHECK(reader->peek(1000) == "");
        CHECK(read_all(*reader) == std::vector<Got>{{"", 1, true}, {"ok", 2, false}});
    }
    SUBCASE("stops before a later overlong line") {
        auto reader = LineReader::from_bytes("ok\n" + std::string(50, 'x') + "\nfine\n", 10);
        CHECK(reader->peek(1000) == "ok\n");
        CHECK(read_all(*reader) ==
              std::vector<Got>{{"ok", 1, false}, {"", 2, true}, {"fine", 3, false}});
    }
    SUBCASE("empty input") {
        auto reader = LineReader::from_bytes("", 10);
        CHECK(reader->peek(1000) == "");
        CHECK(read_all(*reader).empty());
    }
}

TEST_CASE("read_some hands over every byte in order, lines or not, after a peek") {
    // One long line with no newline (as a JSON summary is), in every codec.
    std::string text;
    for (int i = 0; i < 300000; ++i)
        text += std::to_string(i) + ',';
    for (Codec codec : {Codec::plain, Codec::gzip, Codec::bzip2, Codec::xz, Codec::zstd}) {
        CAPTURE(codec_name(codec));
        auto reader =
            LineReader::from_bytes(codec == Codec::plain ? text : compress(codec, text), 64);
        REQUIRE(reader);
        CHECK(reader->peek(1000) == "");  // the line is overlong for next(), not for read_some
        std::string got;
        std::size_t calls = 0;
        for (std::string_view bytes = reader->read_some(); !bytes.empty();
             bytes = reader->read_some()) {
            got += bytes;
            ++calls;
        }
        CHECK(got == text);
        CHECK(calls > 1);
        CHECK(reader->error() == "");
        CHECK(reader->bytes_read() == text.size());
    }
}

TEST_CASE("damaged compressed data: lines before the damage, then an error") {
    const std::string text = numbered_lines(300000);  // larger than the buffer once inflated
    const std::string gzip = compress(Codec::gzip, text);
    const std::string small = numbered_lines(20000);
    SUBCASE("truncated gzip") {
        auto reader = LineReader::from_bytes(gzip.substr(0, gzip.size() / 2), 1000);
        std::vector<Got> lines = read_all(*reader);
        CHECK(reader->error() == "gzip data is truncated or corrupt");
        CHECK(lines.size() > 1000);
        REQUIRE(!lines.empty());
        // Every line returned is intact, up to the last one before the damage.
        CHECK(lines.back().text == "line " + std::to_string(lines.size()) + " GET /file-" +
                                       std::to_string(lines.size() * 7919LL));
    }
    SUBCASE("gzip without its footer") {
        auto reader = LineReader::from_bytes(compress(Codec::gzip, "a\nb\n").substr(0, 20), 1000);
        read_all(*reader);
        CHECK(reader->error() == "gzip data is truncated or corrupt");
    }
    SUBCASE("corrupt gzip body") {
        std::string bad = gzip;
        for (std::size_t i = 100; i < 200; ++i)
            bad[i] = static_cast<char>(bad[i] ^ 0x5a);
        auto reader = LineReader::from_bytes(bad, 1000);
        read_all(*reader);
        CHECK(reader->error() == "gzip data is truncated or corrupt");
    }
    SUBCASE("gzip with a wrong checksum or length in its footer") {
        const std::string whole = compress(Codec::gzip, small);
        for (std::size_t from_end : {8, 1}) {  // the CRC-32's first byte, ISIZE's last
            CAPTURE(from_end);
            std::string bad = whole;
            bad[bad.size() - from_end] = static_cast<char>(bad[bad.size() - from_end] ^ 1);
            auto reader = LineReader::from_bytes(bad, 1000);
            read_all(*reader);
            CHECK(reader->error() == "gzip data is truncated or corrupt");
        }
    }
    SUBCASE("gzip followed by bytes that are not a gzip member") {
        auto reader = LineReader::from_bytes(compress(Codec::gzip, "a\nb\n") + "trailing", 1000);
        CHECK(read_all(*reader) == std::vector<Got>{{"a", 1, false}, {"b", 2, false}});
        CHECK(reader->error() == "gzip data is truncated or corrupt");
    }
    SUBCASE("only a magic number") {
        for (Codec codec : compressed_codecs) {
            CAPTURE(codec_name(codec));
            auto reader = LineReader::from_bytes(compress(codec, small).substr(0, 6), 1000);
            std::vector<Got> lines = read_all(*reader);
            CHECK(lines.empty());
            CHECK(reader->error() ==
                  std::string(codec_name(codec)) + " data is truncated or corrupt");
        }
    }
    SUBCASE("truncated bzip2, xz and zstd") {
        for (Codec codec : {Codec::bzip2, Codec::xz, Codec::zstd}) {
            CAPTURE(codec_name(codec));
            std::string compressed = compress(codec, small);
            auto reader = LineReader::from_bytes(compressed.substr(0, compressed.size() / 2), 1000);
            read_all(*reader);
            CHECK(reader->error() ==
                  std::string(codec_name(codec)) + " data is truncated or corrupt");
        }
    }
}

TEST_CASE("a read error mid-stream ends the lines with the reason") {
    LineReader reader(std::make_unique<FailingSource>("a\nb\npartial"), Codec::plain, 100);
    CHECK(read_all(reader) == std::vector<Got>{{"a", 1, false}, {"b", 2, false}});
    CHECK(reader.error() == "Input/output error");
    Line line;
    CHECK_FALSE(reader.next(line));
}

TEST_CASE("a read error under a decompressor keeps its own reason") {
    std::string gzip = compress(Codec::gzip, numbered_lines(50000));
    LineReader reader(std::make_unique<FailingSource>(gzip.substr(0, gzip.size() / 2)), Codec::gzip,
                      100);
    CHECK(read_all(reader).size() > 0);
    CHECK(reader.error() == "Input/output error");
}

TEST_CASE("open: files, their codec, and input errors naming the file") {
    auto missing = LineReader::open("/nonexistent/logsift/access.log", 100);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().fault == Fault::input);
    CHECK(missing.error().message() ==
          "/nonexistent/logsift/access.log: No such file or directory");
    auto directory = LineReader::open("/tmp", 100);
    REQUIRE_FALSE(directory);
    CHECK(directory.error().reason == "Is a directory");

    const std::string path = temp_file(compress(Codec::xz, "x\ny\n"));
    auto reader = open_reader(path, 100);
    CHECK(reader->codec() == Codec::xz);
    CHECK(read_all(*reader) == std::vector<Got>{{"x", 1, false}, {"y", 2, false}});
    ::unlink(path.c_str());

    const std::string tiny = temp_file("ab");  // shorter than any magic number
    reader = open_reader(tiny, 100);
    REQUIRE(reader);
    CHECK(reader->codec() == Codec::plain);
    CHECK(read_all(*reader) == std::vector<Got>{{"ab", 1, false}});
    ::unlink(tiny.c_str());
}

TEST_CASE("map_lines: whole lines of a plain file, then next() reads on after them") {
    const std::string text = numbered_lines(3000) + "last line without end";
    const std::string path = temp_file(text);
    auto reader = open_reader(path, 100);
    REQUIRE(reader);
    CHECK_FALSE(reader->map_lines(4096));  // nothing read yet: the source holds the magic bytes
    Line line;
    REQUIRE(reader->next(line));
    std::string seen = std::string(line.text) + "\n";
    std::size_t mapped_bytes = 0;
    while (std::optional<MappedLines> mapped = reader->map_lines(5000)) {
        const std::string_view lines = mapped->text();
        REQUIRE(!lines.empty());
        CHECK(lines.size() <= 5000);
        CHECK(lines.back() == '\n');
        CHECK_FALSE(mapped->cut_short());
        seen += lines;
        mapped_bytes += lines.size();
    }
    CHECK(mapped_bytes > text.size() / 2);
    // The last line has no newline: next() takes it, where the mappings stopped.
    REQUIRE(reader->next(line));
    seen += line.text;
    CHECK_FALSE(reader->next(line));
    CHECK(seen == text);
    CHECK(reader->bytes_read() == text.size());

    SUBCASE("a line longer than max_bytes is left to next()") {
        const std::string long_path = temp_file("a\n" + std::string(300, 'x') + "\nb\n");
        auto long_reader = open_reader(long_path, 1000);
        REQUIRE(long_reader);
        REQUIRE(long_reader->next(line));
        CHECK_FALSE(long_reader->map_lines(100));
        REQUIRE(long_reader->next(line));
        CHECK(line.text == std::string(300, 'x'));
        std::optional<MappedLines> rest = long_reader->map_lines(100);
        REQUIRE(rest);
        CHECK(rest->text() == "b\n");
        ::unlink(long_path.c_str());
    }
    SUBCASE("compressed files and memory are not mapped") {
        const std::string packed = temp_file(compress(Codec::gzip, text));
        auto gzip_reader = open_reader(packed, 100);
        REQUIRE(gzip_reader);
        REQUIRE(gzip_reader->next(line));
        CHECK_FALSE(gzip_reader->map_lines(5000));
        ::unlink(packed.c_str());
        auto memory = LineReader::from_bytes(text, 100);
        REQUIRE(memory->next(line));
        CHECK_FALSE(memory->map_lines(5000));
    }
    ::unlink(path.c_str());
}

TEST_CASE("a mapped file cut short under its reader reads as zeros, and says so") {
    const std::string text = numbered_lines(20000);  // several pages
    const std::string path = temp_file(text);
    auto reader = open_reader(path, 100);
    REQUIRE(reader);
    Line line;
    REQUIRE(reader->next(line));
    std::optional<MappedLines> mapped = reader->map_lines(text.size());
    REQUIRE(mapped);
    const std::uint64_t faults = mapped_read_faults();
    REQUIRE(::truncate(path.c_str(), 100) == 0);  // logrotate's copytruncate
    // Without the SIGBUS handler this ends the test run.
    const std::string_view lines = mapped->text();
    std::size_t zeros = 0;
    for (char c : lines)
        zeros += c == '\0';
    CHECK(zeros > lines.size() / 2);
    CHECK(mapped_read_faults() > faults);
    CHECK(mapped->cut_short());
    ::unlink(path.c_str());
}
