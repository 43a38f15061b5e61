// logsift_linkability: how well the records `logsift reduce` prints for one log single out the
// client behind them, without and with --k-anonymity K. It rewrites the log as the k-anonymity
// test does (each request becomes /line/N), reads each line's raw address itself, and counts
// addresses per class of printed columns. It prints counts only, never an address.
//
//   logsift_linkability [--logsift PATH] [--format FAMILY] [-k K] [--k-period P] LOG
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "harness.hpp"
#include "linkage.hpp"

namespace {

using linkage::Key;
using linkage::Linkability;
using linkage::Period;

std::string share(std::size_t part, std::size_t whole) {
    char text[64];
    std::snprintf(text, sizeof text, "%.1f %% (%zu of %zu)",
                  whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole),
                  part, whole);
    return text;
}

void row(const std::string& name, const std::string& client, const std::string& qi) {
    std::printf("  %-44s %-26s %s\n", name.c_str(), client.c_str(), qi.c_str());
}

// The figures of one run, for classes of (network, agent, agent_version) as the distinct-client
// counts see a client, and of the six quasi-identifier columns k-anonymity is about.
void print_figures(const std::vector<linkage::Row>& rows, const linkage::Prepared& prepared,
                   Period period) {
    const Linkability client = linkage::measure(rows, prepared, period, Key::client);
    const Linkability qi = linkage::measure(rows, prepared, period, Key::quasi_identifier);
    row("", "network+agent+version", "six QI columns");
    row("records", std::to_string(client.records), std::to_string(qi.records));
    row("distinct raw addresses", std::to_string(client.addresses), std::to_string(qi.addresses));
    row("classes", std::to_string(client.classes), std::to_string(qi.classes));
    row("records in one-address classes", share(client.lonely_records, client.records),
        share(qi.lonely_records, qi.records));
    row("addresses only in one-address classes", share(client.lonely_addresses, client.addresses),
        share(qi.lonely_addresses, qi.addresses));
    row("one-address classes seen in >= 2 hours",
        share(client.lonely_classes_2_hours, client.lonely_classes),
        share(qi.lonely_classes_2_hours, qi.lonely_classes));
}

struct Run {
    e2e::Result result;
    linkage::Joined joined;
};

Run reduce(const std::string& logsift, const linkage::Family& family, const std::string& path,
           const linkage::Prepared& prepared, const std::vector<std::string>& extra) {
    Run run{e2e::run_program(logsift, linkage::reduce_arguments(family, path, extra)), {}};
    run.joined = linkage::join(run.result.out, prepared);
    return run;
}

bool joined_cleanly(const Run& run, const char* what) {
    if (run.result.status != 0) {
        std::cerr << "logsift_linkability: " << what << " exited with status " << run.result.status
                  << ":\n"
                  << run.result.err;
        return false;
    }
    if (!run.joined.problems.empty()) {
        std::cerr << "logsift_linkability: " << what << ": " << run.joined.problems.size()
                  << " records could not be joined, the first: " << run.joined.problems[0] << '\n';
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"How well reduce's records single out a client, before and after --k-anonymity"};
    std::string log;
    std::string logsift = LOGSIFT_BINARY;
    std::string family_name = "combined";
    std::size_t k = 5;
    std::string period_name = "day";
    app.add_option("log", log, "A raw access log (uncompressed)")->required();
    app.add_option("--logsift", logsift, "The logsift binary")->capture_default_str();
    std::vector<std::string> names;
    for (const linkage::Family& family : linkage::families())
        names.push_back(family.name);
    app.add_option("--format", family_name, "The log's family of lines")
        ->check(CLI::IsMember(names))
        ->capture_default_str();
    app.add_option("-k,--k-anonymity", k, "K for the run after")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--k-period", period_name, "Period of a class: day, hour or all")
        ->check(CLI::IsMember({"day", "hour", "all"}))
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    const linkage::Family& family = *linkage::find_family(family_name);
    const Period period = *linkage::parse_period(period_name);
    if (!e2e::fs::is_regular_file(log)) {
        std::cerr << "logsift_linkability: " << log << ": not a file\n";
        return 2;
    }
    const linkage::Prepared prepared = linkage::prepare(e2e::read_file(log), family);
    e2e::TempDir dir;
    const std::string path = (dir / "prepared.log").string();
    e2e::write_file(path, prepared.text);

    const Run plain = reduce(logsift, family, path, prepared, {});
    if (!joined_cleanly(plain, "reduce")) return 1;
    std::printf("log: %s\n", log.c_str());
    std::printf("lines: %zu read, %zu rewritten (%zu left out: not %s-shaped), %zu reduced\n",
                prepared.lines, prepared.kept, prepared.lines - prepared.kept, family.name.c_str(),
                plain.joined.rows.size());
    std::printf("classes per %s (times in UTC)\n\n", linkage::period_name(period));
    std::printf("BEFORE: reduce\n");
    print_figures(plain.joined.rows, prepared, period);

    const std::string after =
        "reduce --k-anonymity " + std::to_string(k) + " --k-period " + linkage::period_name(period);
    std::printf("\nAFTER: %s\n", after.c_str());
    const e2e::Result help = e2e::run_program(logsift, {"reduce", "--help"});
    if (help.out.find("--k-anonymity") == std::string::npos) {
        std::printf("  unavailable: `logsift reduce --help` does not mention --k-anonymity\n");
        return 0;
    }
    const Run anonymous =
        reduce(logsift, family, path, prepared,
               {"--k-anonymity", std::to_string(k), "--k-period", linkage::period_name(period)});
    if (!joined_cleanly(anonymous, after.c_str())) return 1;
    print_figures(anonymous.joined.rows, prepared, period);
    const linkage::Kept kept = linkage::compare(plain.joined.rows, anonymous.joined.rows);
    const linkage::ClassCheck check =
        linkage::check_classes(anonymous.joined.rows, prepared, period, Key::quasi_identifier, k);
    std::printf("  %-44s %s\n", "records that kept their network (/24, /48)",
                share(kept.network, kept.plain).c_str());
    std::printf("  %-44s %s\n", "records that kept their agent_version",
                share(kept.version, kept.plain).c_str());
    std::printf("  %-44s %s\n", "records suppressed", share(kept.suppressed, kept.plain).c_str());
    std::printf("  %-44s %zu (smallest class: %zu addresses)\n", "QI classes below K", check.below,
                check.smallest);
    return check.below == 0 ? 0 : 1;
}
