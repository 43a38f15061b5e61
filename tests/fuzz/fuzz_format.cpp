// libFuzzer target: the format-string compiler (nginx log_format and Apache LogFormat strings,
// bare or as whole directives), and the scanner and reducer it builds. The input is a format
// string, optionally followed by a NUL byte and a log line to read with it (a NUL cannot occur
// in a server's configuration). A format string is configuration a user pastes, so any bytes
// must give either a compiled format or an error whose caret points inside the string.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "logsift/format/format.hpp"
#include "logsift/output/output.hpp"
#include "logsift/reduce/reduce.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::size_t nul = input.find('\0');
    std::string_view text = input.substr(0, nul);
    std::string_view line = nul == std::string_view::npos ? text : input.substr(nul + 1);

    auto compiled = logsift::LogFormat::compile(text);
    if (!compiled) {
        // The caret may sit just past the end (an unterminated string), never further.
        const logsift::Error& error = compiled.error();
        if (error.column < 1 || error.column > text.size() + 1) std::abort();
        if (error.reason.empty()) std::abort();
        (void)logsift::show_format_error(error, text);
        return 0;
    }
    const logsift::LogFormat& format = *compiled;
    if (format.field_count() == 0) std::abort();  // compile promises at least one field

    logsift::Fields fields;
    std::optional<logsift::ScanError> error = format.scan(line, fields);
    if (error) {
        if (error->column < 1 || error->column > line.size() + 1) std::abort();
        return 0;
    }
    for (std::string_view value : fields.value) {
        if (value.empty()) continue;
        if (value.data() < line.data() || value.data() + value.size() > line.data() + line.size())
            std::abort();  // a field must be a view into the line
    }
    // The reducer reads the fields as this format's syntax says (strftime times included).
    for (bool utc : {false, true}) {
        logsift::ReduceOptions options;
        options.utc = utc;
        options.resolution = utc ? logsift::TimeResolution::second : logsift::TimeResolution::day;
        logsift::Reducer reducer(options, format, nullptr);
        logsift::Record record;
        if (reducer.reduce(line, fields, record)) continue;
        std::string written;
        {
            logsift::OutputSink sink(written);
            auto writer = logsift::make_record_writer(
                logsift::RecordFormat::jsonl, sink,
                {logsift::Column::time, logsift::Column::network, logsift::Column::resource});
            writer->write(record);
            sink.flush();
        }
        if (written.find('\n') != written.size() - 1) std::abort();
    }
    return 0;
}
