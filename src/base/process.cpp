// Process: the set-up of process.hpp.
#include "logsift/base/process.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

namespace logsift {

bool forbid_core_dumps() {
    // The flag alone stops the kernel from dumping at all, to a file or to a core_pattern pipe
    // (which RLIMIT_CORE does not bind); the kernel resets it only on exec and on a change of
    // credentials, neither of which logsift does. The zero limit is the second lock, for a
    // kernel or sandbox that refuses the prctl, and the one an operator sees in
    // /proc/PID/limits.
    const rlimit none{0, 0};
    const bool limited = ::setrlimit(RLIMIT_CORE, &none) == 0;
    const bool undumpable = ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
    return limited && undumpable;
}

}  // namespace logsift
