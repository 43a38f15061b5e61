// Method: the IANA HTTP Method Registry as a lookup table.
#include "logsift/reduce/method.hpp"
#include "logsift/base/byte_class.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>

namespace logsift {
namespace {

// RFC 9110 tchar, as a table: every line's method is checked byte by byte.
constexpr std::array<bool, 256> tchars = letters_digits_and("!#$%&'*+-.^_`|~");

std::string_view find_in(std::string_view method, std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) {
        if (std::memcmp(method.data(), name.data(), name.size()) == 0) return name;
    }
    return {};
}

}  // namespace

// The registry (https://www.iana.org/assignments/http-methods) as of RFC 10008 (June 2026),
// which added QUERY. Its "*" entry is reserved, not a method. Each list holds names of one
// length, the common ones first.
std::string_view registered_method(std::string_view method) {
    switch (method.size()) {
        case 3:
            return find_in(method, {"GET", "PUT", "ACL", "PRI"});
        case 4:
            return find_in(method, {"POST", "HEAD", "COPY", "LOCK", "MOVE", "BIND", "LINK"});
        case 5:
            return find_in(method, {"PATCH", "TRACE", "MERGE", "MKCOL", "LABEL", "QUERY"});
        case 6:
            return find_in(method, {"DELETE", "SEARCH", "REPORT", "UNLOCK", "UPDATE", "REBIND",
                                    "UNBIND", "UNLINK"});
        case 7:
            return find_in(method, {"OPTIONS", "CONNECT", "CHECKIN"});
        case 8:
            return find_in(method, {"PROPFIND", "CHECKOUT"});
        case 9:
            return find_in(method, {"PROPPATCH"});
        case 10:
            return find_in(method, {"MKCALENDAR", "MKACTIVITY", "ORDERPATCH", "UNCHECKOUT"});
        case 11:
            return find_in(method, {"MKWORKSPACE"});
        case 13:
            return find_in(method, {"MKREDIRECTREF"});
        case 15:
            return find_in(method, {"VERSION-CONTROL"});
        case 16:
            return find_in(method, {"BASELINE-CONTROL"});
        case 17:
            return find_in(method, {"UPDATEREDIRECTREF"});
        default:
            return {};
    }
}

bool is_method_token(std::string_view method) {
    if (method.empty() || method.size() > 32) return false;
    return std::all_of(method.begin(), method.end(),
                       [](char c) { return tchars[static_cast<unsigned char>(c)]; });
}

std::string_view reduce_method(std::string_view method) {
    if (std::string_view registered = registered_method(method); !registered.empty()) {
        return registered;
    }
    // "-" is a token, but servers write it for "no request line": it stays empty.
    if (method == "-" || !is_method_token(method)) return {};
    return other_method;
}

}  // namespace logsift
