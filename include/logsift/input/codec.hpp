// Codecs: where an input's bytes come from (a file descriptor, memory) and the decompressors
// they pass through, told apart by the stream's first bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "logsift/base/error.hpp"

namespace logsift {

enum class Codec { plain, gzip, bzip2, xz, zstd };

// "plain", "gzip", ...
std::string_view codec_name(Codec codec);

// Detects the codec from the first bytes of a stream (at least 6 bytes for a sure answer).
Codec detect_codec(std::string_view first_bytes);

// Reads bytes from a raw source (a file descriptor) through a decompressor when needed.
class ByteSource {
  public:
    virtual ~ByteSource() = default;
    // Reads up to size bytes; 0 at end of input. An input error (without a file name: the
    // caller names the file) when the data cannot be read or decoded.
    virtual Expected<std::size_t> read(char* data, std::size_t size) = 0;
    // False when a read would wait longer than wait_ms for data that has not arrived (a quiet
    // pipe); sources that cannot tell say true.
    virtual bool ready(int wait_ms) { return wait_ms >= 0; }
};

// The bytes of a descriptor (closed with the source when owned), or of a string.
std::unique_ptr<ByteSource> descriptor_source(int fd, bool owns_fd);
std::unique_ptr<ByteSource> memory_source(std::string bytes);

// Reads the first bytes of raw, enough to tell its codec (fewer at its end).
Expected<std::string> read_magic(ByteSource& raw);
// Hands back prefix (the bytes read to detect the codec), then continues with the rest of the
// stream, so that detection works on pipes, which cannot seek back.
std::unique_ptr<ByteSource> prefixed_source(std::string prefix, std::unique_ptr<ByteSource> rest);
// raw's bytes decoded with codec; raw itself for plain.
std::unique_ptr<ByteSource> decoding_source(std::unique_ptr<ByteSource> raw, Codec codec);

}  // namespace logsift
