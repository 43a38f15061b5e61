// Process: what the process sets up about itself before it reads anything. Its memory holds
// raw log lines (addresses, user agents, referrers) until they are reduced; no copy of that
// memory may leave the process.
#pragma once

namespace logsift {

// Makes the process non-dumpable (prctl PR_SET_DUMPABLE 0) and sets its core file size limit
// to 0, soft and hard: a crash or SIGQUIT writes no core file, whatever `ulimit -c` or a core
// handler (core_pattern piping to systemd-coredump or apport) would do, and other processes of
// the same user can no longer ptrace it or read its memory through /proc. Call first thing in
// main. Returns false when either call failed (the other still applies).
bool forbid_core_dumps();

}  // namespace logsift
