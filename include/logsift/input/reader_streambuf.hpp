// A LineReader's bytes as a std::streambuf, for parsers that read a whole document from a
// stream (JSON summaries). Ends the stream early (as if cut off) past max_bytes: documents from
// other machines are data, not trusted.
#pragma once

#include <cstddef>
#include <streambuf>
#include <string_view>

#include "logsift/input/line_reader.hpp"

namespace logsift {

class ReaderStreambuf : public std::streambuf {
  public:
    ReaderStreambuf(LineReader& reader, std::size_t max_bytes)
        : reader_(reader), max_bytes_(max_bytes) {}
    // The stream ended at max_bytes rather than at the input's end.
    bool too_large() const { return too_large_; }

  protected:
    int_type underflow() override {
        if (too_large_) return traits_type::eof();
        std::string_view bytes = reader_.read_some();
        total_ += bytes.size();
        if (bytes.empty() || total_ > max_bytes_) {
            too_large_ = total_ > max_bytes_;
            return traits_type::eof();
        }
        char* data = const_cast<char*>(bytes.data());
        setg(data, data, data + bytes.size());
        return traits_type::to_int_type(*data);
    }

  private:
    LineReader& reader_;
    const std::size_t max_bytes_;
    std::size_t total_ = 0;
    bool too_large_ = false;
};

}  // namespace logsift
