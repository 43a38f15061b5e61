// Errors: the one convention for what went wrong. A function that can fail returns
// Expected<T>, which holds either its value or an Error: where (file, line, column) and why (a
// fixed reason, never a log line's content), and what kind of fault it is. The kind alone
// decides the exit status (exit_status below, the man page's EXIT STATUS table). Exceptions are
// left for writers that fail deep inside a formatter (OutputError) and are caught at the run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "logsift/base/diag.hpp"

namespace logsift {

// What kind of fault an error is; exit_status maps each to the status the man page documents.
enum class Fault : std::uint8_t {
    usage,   // a bad option, configuration, format string, pattern file or summary: status 2
    input,   // an input could not be read or decoded, too many bad lines, --strict: status 1
    output,  // an output could not be opened, written or replaced: status 1
};

ExitCode exit_status(Fault fault);

struct Error {
    Fault fault = Fault::usage;
    std::string file;        // empty when no file is to blame
    std::uint64_t line = 0;  // 1-based; 0 when the whole file (or no file) is at fault
    std::size_t column = 0;  // 1-based, in bytes; 0 when no column is to blame
    std::string reason;

    // "FILE:LINE: reason at column COLUMN", leaving out what is not known.
    std::string message() const;
};

// Either a value or the Error that prevented it. Expected<void> holds only the outcome.
template <class T>
class [[nodiscard]] Expected {
  public:
    Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Expected(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const { return state_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(state_); }
    Error&& error() && { return std::get<1>(std::move(state_)); }

  private:
    std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Expected<void> {
  public:
    Expected() = default;
    Expected(Error error) : error_(std::move(error)), failed_(true) {}

    bool has_value() const { return !failed_; }
    explicit operator bool() const { return has_value(); }
    const Error& error() const& { return error_; }
    Error&& error() && { return std::move(error_); }

  private:
    Error error_;
    bool failed_ = false;
};

// Shorthands for the common cases.
inline Error usage_error(std::string file, std::string reason, std::uint64_t line = 0,
                         std::size_t column = 0) {
    return Error{Fault::usage, std::move(file), line, column, std::move(reason)};
}
inline Error input_error(std::string file, std::string reason, std::uint64_t line = 0,
                         std::size_t column = 0) {
    return Error{Fault::input, std::move(file), line, column, std::move(reason)};
}
inline Error output_error(std::string file, std::string reason) {
    return Error{Fault::output, std::move(file), 0, 0, std::move(reason)};
}

// Prints "logsift: error: MESSAGE" and returns the status the error's fault calls for.
ExitCode report(const Error& error);

}  // namespace logsift
