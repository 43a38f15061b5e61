// The report writer: columns and their order, ranking, --top, --min-clients folding into
// (other), and each format's quoting, on summaries built by hand. Expected bytes are written
// from the man page (Reports; CSV as RFC 4180, TSV escapes), not taken from the writer.
#include <doctest/doctest.h>

#include <string>

#include "logsift/base/sketch.hpp"
#include "logsift/report/report.hpp"

using namespace logsift;

namespace {

const std::string day = "2026-10-08";

// Distinct clients are hashes; exact up to 127 clients, so small counts are exact.
void add_clients(DistinctCounter& clients, int first, int count) {
    for (int i = first; i < first + count; ++i)
        clients.add(stable_hash("client " + std::to_string(i)));
}

void add_download(Summary& summary, const std::string& period, const std::string& resource,
                  int clients, std::uint64_t requests, std::uint64_t bytes,
                  const std::string& product = "", const std::string& version = "") {
    DownloadCounts& row = *summary.periods[period].downloads.try_emplace(resource).first;
    row.product = product;
    row.version = version;
    row.requests = requests;
    row.bytes = bytes;
    add_clients(row.clients, 0, clients);
    add_clients(row.addresses, 0, clients);  // one agent per address
}

void add_source(Summary& summary, Dimension dimension, const std::string& value, int first_client,
                int clients, std::uint64_t requests) {
    auto& table = summary.periods[day].sources[static_cast<std::size_t>(dimension)];
    SourceCounts& row = *table.try_emplace(value).first;
    row.requests = requests;
    add_clients(row.clients, first_client, clients);
}

std::string downloads(const Summary& summary, ReportOptions options) {
    std::string out;
    {
        OutputSink sink(out);
        write_downloads_report(summary, options, sink);
        sink.flush();
    }
    return out;
}

std::string sources(const Summary& summary, ReportOptions options) {
    std::string out;
    {
        OutputSink sink(out);
        write_sources_report(summary, options, sink);
        sink.flush();
    }
    return out;
}

ReportOptions as(ReportFormat format, bool header = false) {
    ReportOptions options;
    options.format = format;
    options.header = header;
    return options;
}

}  // namespace

TEST_CASE("report: an empty summary prints a header at most, and an empty JSON list") {
    Summary empty;
    CHECK(downloads(empty, as(ReportFormat::tsv)) == "");
    CHECK(downloads(empty, as(ReportFormat::tsv, true)) ==
          "period\tresource\tdownloads\trequests\tbytes\n");
    CHECK(downloads(empty, as(ReportFormat::csv, true)) ==
          "period,resource,downloads,requests,bytes\n");
    CHECK(downloads(empty, as(ReportFormat::json)) == "{\"downloads\":[]}\n");
    CHECK(sources(empty, as(ReportFormat::json)) == "{\"sources\":[]}\n");
    CHECK(sources(empty, as(ReportFormat::csv, true)) ==
          "period,dimension,value,requests,clients\n");
}

TEST_CASE("report: downloads rank by clients, then requests, then resource") {
    Summary summary;
    add_download(summary, day, "/b.tar.gz", 2, 5, 500);
    add_download(summary, day, "/a.tar.gz", 2, 5, 700);  // ties /b.tar.gz but for its name
    add_download(summary, day, "/c.tar.gz", 3, 3, 300);  // most clients
    add_download(summary, day, "/d.tar.gz", 2, 9, 900);  // more requests than a and b
    CHECK(downloads(summary, as(ReportFormat::tsv, true)) ==
          "period\tresource\tdownloads\trequests\tbytes\n"
          "2026-10-08\t/c.tar.gz\t3\t3\t300\n"
          "2026-10-08\t/d.tar.gz\t2\t9\t900\n"
          "2026-10-08\t/a.tar.gz\t2\t5\t700\n"
          "2026-10-08\t/b.tar.gz\t2\t5\t500\n");
    ReportOptions top = as(ReportFormat::tsv);
    top.top = 2;
    CHECK(downloads(summary, top) ==
          "2026-10-08\t/c.tar.gz\t3\t3\t300\n"
          "2026-10-08\t/d.tar.gz\t2\t9\t900\n");
}

TEST_CASE("report: --top and ranking apply within each period, periods in order") {
    Summary summary;
    add_download(summary, "2026-10-09", "/late", 5, 5, 1);
    add_download(summary, "2026-10-09", "/small", 1, 1, 1);
    add_download(summary, "2026-10-08", "/early", 1, 1, 1);
    ReportOptions top = as(ReportFormat::csv);
    top.top = 1;
    CHECK(downloads(summary, top) ==
          "2026-10-08,/early,1,1,1\n"
          "2026-10-09,/late,5,5,1\n");
}

TEST_CASE("report: CSV quotes what RFC 4180 needs quoted, and nothing else") {
    Summary summary;
    add_download(summary, day, "/a,b.txt", 3, 3, 3);
    add_download(summary, day, "/say \"hi\".txt", 2, 2, 2);
    add_download(summary, day, "/plain.txt", 1, 1, 1);
    CHECK(downloads(summary, as(ReportFormat::csv)) ==
          "2026-10-08,\"/a,b.txt\",3,3,3\n"
          "2026-10-08,\"/say \"\"hi\"\".txt\",2,2,2\n"
          "2026-10-08,/plain.txt,1,1,1\n");
}

TEST_CASE("report: a CSV value a spreadsheet would evaluate is quoted behind a single quote") {
    Summary summary;
    add_source(summary, Dimension::agent, "=1+1", 0, 1, 1);
    ReportOptions options = as(ReportFormat::csv);
    options.dimensions = {Dimension::agent};
    CHECK(sources(summary, options) == "2026-10-08,agent,\"'=1+1\",1,1\n");
}

TEST_CASE("report: TSV escapes tab, newline and backslash in a value") {
    Summary summary;
    add_download(summary, day, "/a\tb\nc\\d", 1, 1, 1);
    CHECK(downloads(summary, as(ReportFormat::tsv)) == "2026-10-08\t/a\\tb\\nc\\\\d\t1\t1\t1\n");
}

TEST_CASE("report: JSON names each cell by its column, numbers unquoted") {
    Summary summary;
    add_download(summary, day, "/q\"uote", 1, 2, 3);
    CHECK(downloads(summary, as(ReportFormat::json)) ==
          "{\"downloads\":[{\"period\":\"2026-10-08\",\"resource\":\"/q\\\"uote\","
          "\"downloads\":1,\"requests\":2,\"bytes\":3}]}\n");
}

TEST_CASE("report: --by version groups resources and counts a client once per group") {
    Summary summary;
    // The same five clients fetch both files of 1.0: five downloads of the release, not ten.
    add_download(summary, day, "/tool-1.0.tar.gz", 5, 6, 100, "tool", "1.0");
    add_download(summary, day, "/tool-1.0.zip", 5, 7, 200, "tool", "1.0");
    add_download(summary, day, "/tool-0.9.tar.gz", 2, 2, 10, "tool", "0.9");
    ReportOptions options = as(ReportFormat::tsv, true);
    options.by = DownloadGrouping::version;
    CHECK(downloads(summary, options) ==
          "period\tproduct\tversion\tdownloads\trequests\tbytes\n"
          "2026-10-08\ttool\t1.0\t5\t13\t300\n"
          "2026-10-08\ttool\t0.9\t2\t2\t10\n");
}

TEST_CASE("report: --min-clients counts a download row's addresses, not its downloads") {
    Summary summary;
    // One address fetched with five agent versions: five downloads, one person.
    DownloadCounts& row = *summary.periods[day].downloads.try_emplace("/cycled").first;
    row.requests = 5;
    add_clients(row.clients, 0, 5);
    add_clients(row.addresses, 0, 1);
    ReportOptions options = as(ReportFormat::tsv);
    CHECK(downloads(summary, options) == "2026-10-08\t/cycled\t5\t5\t0\n");
    options.min_clients = 2;
    CHECK(downloads(summary, options) == "");
}

TEST_CASE("report: --min-clients folds small rows into (other), last, or drops it") {
    Summary summary;
    add_download(summary, day, "/big", 5, 50, 5000);
    add_download(summary, day, "/small-1", 2, 4, 40);
    add_download(summary, day, "/small-2", 2, 6, 60);
    ReportOptions options = as(ReportFormat::tsv);
    options.min_clients = 3;
    // Both small rows were fetched by the same two clients: (other) has 2 < 3 and is dropped.
    CHECK(downloads(summary, options) == "2026-10-08\t/big\t5\t50\t5000\n");

    Summary distinct;
    add_download(distinct, day, "/big", 5, 50, 5000);
    DownloadCounts& small = *distinct.periods[day].downloads.try_emplace("/small").first;
    small.requests = 4;
    small.bytes = 40;
    add_clients(small.clients, 100, 2);
    add_clients(small.addresses, 100, 2);
    DownloadCounts& other_small = *distinct.periods[day].downloads.try_emplace("/tiny").first;
    other_small.requests = 6;
    other_small.bytes = 60;
    add_clients(other_small.clients, 200, 2);
    add_clients(other_small.addresses, 200, 2);
    // Four distinct clients between them: (other) stays, after every ranked row.
    CHECK(downloads(distinct, options) ==
          "2026-10-08\t/big\t5\t50\t5000\n"
          "2026-10-08\t(other)\t4\t10\t100\n");
}

TEST_CASE("report: sources list the dimensions asked for, in that order, each once") {
    Summary summary;
    add_source(summary, Dimension::network, "192.0.2.0/24", 0, 2, 3);
    add_source(summary, Dimension::network, "198.51.100.0/24", 10, 1, 8);
    add_source(summary, Dimension::country, "NL", 0, 3, 11);
    ReportOptions options = as(ReportFormat::tsv, true);
    options.dimensions = {Dimension::country, Dimension::network, Dimension::country};
    CHECK(sources(summary, options) ==
          "period\tdimension\tvalue\trequests\tclients\n"
          "2026-10-08\tcountry\tNL\t11\t3\n"
          "2026-10-08\tnetwork\t192.0.2.0/24\t3\t2\n"
          "2026-10-08\tnetwork\t198.51.100.0/24\t8\t1\n");
}

TEST_CASE("report: an aligned table pads text left and numbers right") {
    Summary summary;
    add_source(summary, Dimension::country, "NL", 0, 12, 100);
    add_source(summary, Dimension::country, "DE", 20, 3, 5);
    ReportOptions options = as(ReportFormat::table);
    options.dimensions = {Dimension::country};
    CHECK(sources(summary, options) ==
          "period      dimension  value  requests  clients\n"
          "2026-10-08  country    NL          100       12\n"
          "2026-10-08  country    DE            5        3\n");
}
