// libFuzzer target: the line scanner of every preset in patterns/formats, then the reducer and
// the record writers behind it. Log lines are written by whoever sends a request, so any bytes
// must scan to fields inside the line or to an error with a column inside the line, and a
// reduced record must always be written as exactly one line.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "logsift/format/format.hpp"
#include "logsift/output/output.hpp"
#include "logsift/reduce/reduce.hpp"

namespace {

std::vector<logsift::Preset>* presets = nullptr;

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() &&
                            part.data() + part.size() <= whole.data() + whole.size());
}

std::vector<logsift::Column> all_columns() {
    std::vector<logsift::Column> columns;
    for (std::size_t i = 0; i < logsift::column_count; ++i)
        columns.push_back(static_cast<logsift::Column>(i));
    return columns;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    auto loaded = logsift::load_presets(std::string(LOGSIFT_PATTERNS_DIR) + "/formats");
    if (!loaded) {
        std::fprintf(stderr, "fuzz_scan: %s\n", loaded.error().message().c_str());
        std::abort();
    }
    presets = new std::vector<logsift::Preset>(std::move(*loaded));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view line(reinterpret_cast<const char*>(data), size);
    static const logsift::ReduceOptions options[] = {{},
                                                     {.ipv4_prefix = 8,
                                                      .ipv6_prefix = 64,
                                                      .resolution = logsift::TimeResolution::second,
                                                      .utc = true,
                                                      .keep_query = true}};
    logsift::Fields fields;
    logsift::Record record;
    for (const logsift::Preset& preset : *presets) {
        std::optional<logsift::ScanError> error = preset.format.scan(line, fields);
        if (error) {
            if (error->column < 1 || error->column > line.size() + 1) std::abort();
            continue;
        }
        for (std::string_view value : fields.value) {
            if (!inside(value, line)) std::abort();
        }
        for (const logsift::ReduceOptions& option : options) {
            logsift::Reducer reducer(option, preset.format, nullptr);
            if (reducer.reduce(line, fields, record)) continue;
            for (auto format : {logsift::RecordFormat::tsv, logsift::RecordFormat::csv,
                                logsift::RecordFormat::jsonl}) {
                std::string written;
                {
                    logsift::OutputSink sink(written);
                    auto writer = logsift::make_record_writer(format, sink, all_columns());
                    writer->write(record);
                    sink.flush();
                }
                // One record, one line: the writers escape every line end inside a value.
                if (written.empty() || written.back() != '\n' ||
                    written.find('\n') != written.size() - 1) {
                    std::abort();
                }
            }
        }
    }
    // Detection runs every preset over a sample of several lines.
    (void)logsift::detect_format(*presets, line, 2000);
    return 0;
}
