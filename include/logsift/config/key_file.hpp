// Key file: where the client key (reduce/client_key.hpp) is kept between runs. Summaries made
// on different days or servers count the same client once only when they share the key.
#pragma once

#include <string>

#include "logsift/base/error.hpp"
#include "logsift/reduce/client_key.hpp"

namespace logsift {

// Reads a key file: 64 hexadecimal digits (blank space around them ignored). A file that
// others than its owner can read or write is refused, as ssh refuses such a private key.
Expected<ClientKey::Bytes> read_key_file(const std::string& path);

// The key of a run: from path when given, else from the default file (default_key_file). A
// missing file is created on first use with fresh random bytes and mode 0600 (its directory,
// when made, 0700), by writing a temporary file and linking it into place, so that two first
// runs at once end up with the same key. created (when given) says whether this call made it.
Expected<ClientKey::Bytes> load_or_create_key(const std::string& path, bool* created = nullptr);

// /var/lib/logsift/key when run as root, else $XDG_STATE_HOME/logsift/key (by default
// ~/.local/state/logsift/key); empty when neither can be told.
std::string default_key_file();

}  // namespace logsift
