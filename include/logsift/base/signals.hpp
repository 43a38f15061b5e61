// Signals: every disposition logsift sets, and the flags and hooks the handlers share with the
// rest of the run. Handlers only set flags, call registered async-signal-safe hooks, or map a
// page; the code that reads inputs and writes outputs looks at the flags where it waits.
#pragma once

#include <pthread.h>

#include <csignal>
#include <cstddef>
#include <cstdint>

namespace logsift {

// Set by signal handlers, read where waiting ends. SIGTERM asks the run to end as if its input
// had ended (records written, statistics printed, status 0); SIGHUP asks for the -o file to be
// opened again under its name (after logrotate moved it).
extern volatile std::sig_atomic_t terminate_requested;
extern volatile std::sig_atomic_t reopen_requested;

// Asks every input to end as if it had ended (as SIGTERM does): for a run that has nothing left
// to write (its output pipe closed) while a thread may still wait for input.
void end_input_now();
// Interrupts a blocking read(2) or poll(2) on thread (EINTR), so that it sees end_input_now.
// A thread that is not blocked yet is not woken: call until it is done.
void wake_blocked_read(pthread_t thread);

// SIGPIPE ignored (a closed pipe is seen as EPIPE and ends the run quietly), SIGINT ends the
// process with status 130 after the interrupt cleanup hook ran, SIGTERM and SIGHUP set the
// flags above.
void install_signal_handlers();

// What SIGINT must undo before the process ends (a temporary file half written). The hook must
// be async-signal-safe; a later call replaces it, nullptr removes it.
void set_interrupt_cleanup(void (*hook)());

// Mapped inputs. A page of a mapped file that the file no longer has (it was truncated under
// the mapping) or that its device cannot read raises SIGBUS on whichever thread touches it.
// Inside a registered range the handler maps a page of zeros there, so that the thread
// finishes its lines (which then fail to parse), and counts the fault; a bus error anywhere
// else keeps the default action (the process ends).
//
// Registers [base, base + size) and installs the handler on first use; returns the slot to
// unregister, or -1 when every slot is taken (the caller then reads instead of mapping).
int register_mapped_range(const void* base, std::size_t size);
// Before the range is unmapped.
void unregister_mapped_range(int slot);
// How many pages of registered ranges could not be read so far: callers compare the count
// before and after reading a mapping.
std::uint64_t mapped_read_faults();

}  // namespace logsift
