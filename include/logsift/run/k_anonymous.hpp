// reduce --k-anonymity: every record of a run counted into its class (reduce/k_anonymity.hpp)
// before any is written. Files are read twice, once to count and once to write
// (k_anonymous.cpp); standard input and pipes cannot be read twice, so their records are held
// a period at a time and written when it ends (k_streaming.cpp).
#pragma once

#include <cstddef>
#include <memory>

#include "logsift/base/diag.hpp"
#include "logsift/config/config.hpp"
#include "logsift/output/output.hpp"
#include "logsift/reduce/k_anonymity.hpp"
#include "logsift/run/run_inputs.hpp"

namespace logsift {

// run_reduce's way when k is 2 or more.
ExitCode run_k_anonymous(const ReduceConfig& config);

// The records of standard input or pipes, each written when its period has ended: at the first
// record of a later period, or at the end of input (finish). Until then they are held in memory,
// up to config.k_memory_bytes, and in a temporary file beyond; held records keep their reduced
// values and their class's number, never an address or a token. A record of a period that has
// ended already (logs are not always in order) is counted with the open period's records, in a
// class of its own period, and written with them. Sequential.
std::unique_ptr<RunSink> make_held_records(const ReduceConfig& config, OutputSink& sink,
                                           KClasses& classes, KTally& tally);

// The closing line: how many records kept their network and version, and how many were
// suppressed (with --verbose, how many at each level).
void print_k_statistics(const ReduceConfig& config, const KTally& tally);

}  // namespace logsift
