// The one place where a fault becomes an exit status (man page, EXIT STATUS).
#include "logsift/base/error.hpp"

namespace logsift {

ExitCode exit_status(Fault fault) {
    switch (fault) {
        case Fault::usage:
            return ExitCode::usage;
        case Fault::input:
        case Fault::output:
            return ExitCode::input_error;
    }
    return ExitCode::usage;
}

std::string Error::message() const {
    std::string text = file;
    if (!file.empty() && line > 0) text.append(":").append(std::to_string(line));
    if (!file.empty()) text.append(": ");
    text.append(reason);
    if (column > 0) text.append(" at column ").append(std::to_string(column));
    return text;
}

ExitCode report(const Error& error) {
    print_error(error.message());
    return exit_status(error.fault);
}

}  // namespace logsift
