// formats: the preset list, or which preset fits a log (--detect) and how well.
#include <cstdio>
#include <string>

#include "logsift/input/line_reader.hpp"
#include "logsift/output/output.hpp"
#include "logsift/run/commands.hpp"
#include "logsift/run/line_loop.hpp"

namespace logsift {
namespace {

ExitCode list_presets(const FormatsConfig& config) {
    OutputSink sink(STDOUT_FILENO);
    try {
        for (const Preset& preset : config.presets) {
            sink.append(preset.name);
            sink.append('\t');
            sink.append(preset.description);
            sink.append('\t');
            sink.append(preset.format.text());
            sink.append('\n');
        }
        sink.flush();
    } catch (const BrokenPipe&) {
    } catch (const OutputError& error) {
        return report(output_error("<stdout>", error.reason));
    }
    return ExitCode::ok;
}

std::string rate_line(const std::string& name, std::size_t parsed, std::size_t lines) {
    return name + "\t" + std::to_string(parsed) + "/" + std::to_string(lines) + "\t" +
           percent(parsed, lines) + "\n";
}

}  // namespace

ExitCode run_formats(const FormatsConfig& config) {
    if (config.detect_path.empty()) return list_presets(config);

    const std::string name = display_name(config.detect_path);
    Expected<std::unique_ptr<LineReader>> reader =
        LineReader::open(config.detect_path, LineReader::default_max_line);
    if (!reader) return report(reader.error());
    Detection detection =
        detect_format(config.presets, (*reader)->peek(detect_max_bytes), detect_max_lines);
    if (!(*reader)->error().empty()) return report(input_error(name, (*reader)->error()));
    // As a run that finds no preset for its input: a usage error (EXIT STATUS).
    if (!detection.clear()) return report(usage_error({}, detection_failure(name, detection)));
    std::string answer =
        rate_line(detection.best()->name, detection.candidates.front().parsed, detection.lines);
    if (config.verbose) {
        for (std::size_t i = 1; i < detection.candidates.size(); ++i) {
            const auto& candidate = detection.candidates[i];
            answer += rate_line(candidate.preset->name, candidate.parsed, detection.lines);
        }
    }
    std::fwrite(answer.data(), 1, answer.size(), stdout);
    return ExitCode::ok;
}

}  // namespace logsift
