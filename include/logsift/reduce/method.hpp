// Method: the request method as a closed-grammar value. Servers log whatever word a client sent
// in the method's place (SSH banners, scanner tags holding the server's address), so only the
// methods of the IANA HTTP Method Registry pass as written.
#pragma once

#include <string_view>

namespace logsift {

// The method's column value: the registered method itself (case-sensitive, as RFC 9110 says
// methods are), "OTHER" for any other RFC 9110 token, and empty for "-", nothing, or bytes that
// are no token at all. Registered and OTHER values are static strings, never views into the
// log line.
std::string_view reduce_method(std::string_view method);

// The registered method equal to method, or empty. One switch on the length and a few byte
// compares: it runs on every line.
std::string_view registered_method(std::string_view method);

// True for an HTTP method token (RFC 9110 tchar, at most 32 bytes). Binary junk that scanners
// send instead of a request is not a method, and is dropped rather than passed on.
bool is_method_token(std::string_view method);

inline constexpr std::string_view other_method = "OTHER";

}  // namespace logsift
