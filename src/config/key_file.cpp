// Key file: reading the client key, and making the default one on first use. The key never
// appears in a message, a summary or a temporary file other than the one linked into place.
#include "logsift/config/key_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "logsift/base/ascii.hpp"

namespace logsift {
namespace {

Error key_error(const std::string& path, const std::string& reason) {
    return usage_error(path, reason + " (the client key, --key-file)");
}

std::string errno_text() {
    return std::strerror(errno);
}

// Makes each missing directory of path (not its last part) with mode 0700.
bool make_parents(const std::string& path) {
    for (std::size_t at = path.find('/', 1); at != std::string::npos; at = path.find('/', at + 1)) {
        const std::string parent = path.substr(0, at);
        if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) return false;
    }
    return true;
}

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return true;
}

// Writes a fresh key to a temporary file beside path and links it into place: a run that finds
// the file finds a whole key, and of two first runs at once the second reads the first's key.
Expected<void> create_key_file(const std::string& path) {
    if (sodium_init() < 0) return key_error(path, "libsodium could not be initialised");
    if (!make_parents(path)) return key_error(path, "cannot make its directory: " + errno_text());
    std::string temporary = path + ".XXXXXX";
    const int fd = ::mkstemp(temporary.data());
    if (fd < 0) return key_error(path, "cannot create it: " + errno_text());
    ClientKey::Bytes bytes;
    crypto_kdf_keygen(bytes.data());
    std::string text(2 * bytes.size() + 1, '\0');
    sodium_bin2hex(text.data(), text.size(), bytes.data(), bytes.size());
    text.back() = '\n';
    sodium_memzero(bytes.data(), bytes.size());
    const bool written = ::fchmod(fd, 0600) == 0 && write_all(fd, text) && ::fsync(fd) == 0;
    sodium_memzero(text.data(), text.size());
    const int saved = errno;
    ::close(fd);
    if (!written) {
        ::unlink(temporary.c_str());
        errno = saved;
        return key_error(path, "cannot write it: " + errno_text());
    }
    const bool linked = ::link(temporary.c_str(), path.c_str()) == 0 || errno == EEXIST;
    const int link_errno = errno;
    ::unlink(temporary.c_str());
    if (!linked) {
        errno = link_errno;
        return key_error(path, "cannot create it: " + errno_text());
    }
    return {};
}

}  // namespace

std::string default_key_file() {
    if (::geteuid() == 0) return "/var/lib/logsift/key";
    if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state == '/')
        return std::string(state) + "/logsift/key";
    if (const char* home = std::getenv("HOME"); home && *home == '/')
        return std::string(home) + "/.local/state/logsift/key";
    return {};
}

Expected<ClientKey::Bytes> read_key_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return key_error(path, "cannot open it: " + errno_text());
    struct stat status {};
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
        ::close(fd);
        return key_error(path, "not a regular file");
    }
    if ((status.st_mode & 077) != 0) {
        ::close(fd);
        return key_error(path, "others than its owner may read or write it (chmod 600)");
    }
    char text[256];
    const ssize_t got = ::read(fd, text, sizeof text);
    ::close(fd);
    ClientKey::Bytes bytes;
    std::size_t decoded = 0;
    const char* end = nullptr;
    const bool read_whole = got >= 0 && static_cast<std::size_t>(got) < sizeof text;
    std::string_view hex =
        read_whole ? ascii::trim({text, static_cast<std::size_t>(got)}) : std::string_view{};
    const bool parsed = read_whole &&
                        sodium_hex2bin(bytes.data(), bytes.size(), hex.data(), hex.size(), nullptr,
                                       &decoded, &end) == 0 &&
                        decoded == bytes.size() && end == hex.data() + hex.size();
    sodium_memzero(text, sizeof text);
    if (!parsed) return key_error(path, "not a key: 64 hexadecimal digits expected");
    return bytes;
}

Expected<ClientKey::Bytes> load_or_create_key(const std::string& given, bool* created) {
    const std::string path = given.empty() ? default_key_file() : given;
    if (path.empty()) {
        return usage_error({}, "no place for the client key: give --key-file (HOME is not set)");
    }
    if (created) *created = false;
    if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
        if (Expected<void> made = create_key_file(path); !made) return std::move(made).error();
        if (created) *created = true;
    }
    return read_key_file(path);
}

}  // namespace logsift
