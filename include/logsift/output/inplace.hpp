// In-place rewriting (`reduce --in-place`): the replacement of one log file, written to a
// temporary file in the same directory with the original's codec, then made to look like the
// original (owner, group, mode, times) and renamed over it. Until commit() the original is
// never touched; on any failure the temporary file is removed.
#pragma once

#include <memory>
#include <string>

#include "logsift/base/error.hpp"
#include "logsift/input/codec.hpp"
#include "logsift/output/output.hpp"

namespace logsift {

class InPlaceFile {
  public:
    // Opens the temporary file `.NAME.logsift-XXXXXX` (mode 0600) next to path. An output
    // error naming path when it cannot (path is not a regular file, the directory is not
    // writable, ...). Until commit or abort, SIGINT removes the temporary file.
    static Expected<std::unique_ptr<InPlaceFile>> open(const std::string& path);
    ~InPlaceFile();  // abort() unless committed
    InPlaceFile(const InPlaceFile&) = delete;
    InPlaceFile& operator=(const InPlaceFile&) = delete;

    // Where the records go, uncompressed; call drain() after each record to move what the
    // sink has buffered through the compressor. drain() throws OutputError when writing fails.
    OutputSink& sink() { return sink_; }
    void drain();

    // Finishes the compressed stream, syncs the file, copies owner, group, mode and times
    // from the original, renames it over the original and syncs the directory. An output error
    // when any step fails; the temporary file is then removed and the original
    // is as it was (unless only the final directory sync failed, which the error says).
    Expected<void> commit();
    // Removes the temporary file; the original is untouched.
    void abort();

    Codec codec() const { return codec_; }

    struct Impl;

  private:
    explicit InPlaceFile(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    std::string pending_;  // what sink_ flushed, not yet written
    OutputSink sink_;
    Codec codec_;
};

}  // namespace logsift
