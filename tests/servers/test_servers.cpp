// Real servers: Debian's nginx and apache2 (installed by scripts/install-test-servers, the
// CTest fixture of these tests) serve a small docroot on loopback ports, IPv4 and [::1], and
// log the requests curl sends them. logsift reads those logs with the format taken from the
// config the test wrote, and must count exactly what was sent and print no raw address, token,
// query string, referrer path or full user agent. Also with the real apache2: piped logging
// with SIGHUP after the file was moved; with the real nginx: an access log that is a FIFO.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include "servers.hpp"

using namespace e2e;
using namespace servers;

namespace {

bool skipped_run = false;

}  // namespace

void servers::skip(const std::string& reason) {
    MESSAGE("skipped: " << reason);
    skipped_run = true;
}

bool servers_skipped() {
    return skipped_run;
}

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

enum class Agent { firefox, googlebot, wget, curl };

const char* user_agent(Agent agent) {
    switch (agent) {
        case Agent::firefox:
            return "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
        case Agent::googlebot:
            return "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        case Agent::wget:
            return "Wget/1.21.3";
        case Agent::curl:
            return "";  // curl's own
    }
    return "";
}

// What the machine has for these tests: the programs, curl's version (its own user agent is
// curl/VERSION) and the address families to test.
struct Tools {
    std::string curl;
    std::string curl_version;
    std::vector<Family> families;
};

// nullopt, after skip(), when nginx, apache2 or curl is missing.
std::optional<Tools> find_tools() {
    for (const char* name : {"nginx", "apache2", "curl"}) {
        if (!find_program(name)) {
            skip(std::string(name) +
                 " is not installed and scripts/install-test-servers (this suite's fixture) "
                 "could not install it");
            return std::nullopt;
        }
    }
    Tools tools;
    tools.curl = *find_program("curl");
    // "curl 7.88.1 (x86_64-pc-linux-gnu) ..."
    std::string version = run_program(tools.curl, {"--version"}).out;
    std::size_t start = version.find(' ') + 1;
    tools.curl_version = version.substr(start, version.find(' ', start) - start);
    tools.families = {Family::v4};
    if (have_ipv6_loopback()) {
        tools.families.push_back(Family::v6);
    } else {
        MESSAGE("no IPv6 loopback ([::1]) on this machine: testing 127.0.0.1 only");
    }
    return tools;
}

struct AgentFacts {
    std::string family, version, agent_class;
};

AgentFacts facts(Agent agent, const Tools& tools) {
    switch (agent) {
        case Agent::firefox:
            return {"Firefox", "120.0", "browser"};
        case Agent::googlebot:
            return {"Googlebot", "2.1", "bot"};
        case Agent::wget:
            return {"Wget", "1.21.3", "tool"};
        case Agent::curl:
            return {"curl", tools.curl_version, "tool"};
    }
    return {};
}

// The docroot: a page and two releases (of known sizes, for range requests and byte counts).
constexpr std::size_t tarball_size = 5000;
constexpr std::size_t zip_size = 3000;

void make_docroot(const fs::path& dir) {
    // Apache's children run as www-data when the test runs as root.
    fs::permissions(dir, fs::perms(0755));
    fs::create_directories(dir / "www" / "downloads");
    fs::permissions(dir / "www", fs::perms(0755));
    fs::permissions(dir / "www" / "downloads", fs::perms(0755));
    write_file(dir / "www" / "index.html", "<!doctype html><title>logsift test</title>\n");
    std::string tarball(tarball_size, '\0');
    std::string zip(zip_size, '\0');
    for (std::size_t i = 0; i < tarball.size(); ++i)
        tarball[i] = static_cast<char>(i * 7919 % 251);
    for (std::size_t i = 0; i < zip.size(); ++i)
        zip[i] = static_cast<char>(i * 104729 % 241);
    write_file(dir / "www" / "downloads" / "logsift-1.2.3.tar.gz", tarball);
    write_file(dir / "www" / "downloads" / "logsift-1.3.0.zip", zip);
    for (const char* file :
         {"index.html", "downloads/logsift-1.2.3.tar.gz", "downloads/logsift-1.3.0.zip"}) {
        fs::permissions(dir / "www" / file, fs::perms(0644));
    }
}

// One request as curl sends it, with what each server answers and what logsift must make of it.
struct Request {
    std::string method;  // GET, HEAD or POST
    std::string target;  // path and query, as sent
    Agent agent;
    std::string referer;        // empty: none
    std::string referrer_host;  // what logsift keeps of it
    std::string range;          // empty: none
    std::string forwarded_for;  // X-Forwarded-For (nginx logs it); empty: none
    int nginx_status;
    int apache_status;
    std::string version;     // of logsift-VERSION.* when the target is a release
    std::size_t body_bytes;  // nginx's $body_bytes_sent for a release
};

const std::string xff = "203.0.113.77";

// Sent once over each address family.
const std::vector<Request> requests = {
    {"GET", "/index.html", Agent::firefox,
     "https://www.example.org/blog/post-17.html?session=R3fS3cr3tV4lue", "www.example.org", "", xff,
     200, 200, "", 0},
    {"GET", "/downloads/logsift-1.2.3.tar.gz?token=s3cr3tT0ken01", Agent::curl, "", "", "", "", 200,
     200, "1.2.3", tarball_size},
    {"GET", "/downloads/logsift-1.2.3.tar.gz", Agent::wget, "", "", "0-1023", xff, 206, 206,
     "1.2.3", 1024},
    {"GET", "/downloads/logsift-1.2.3.tar.gz", Agent::wget, "", "", "1024-", "", 206, 206, "1.2.3",
     tarball_size - 1024},
    {"GET", "/downloads/logsift-1.2.3.tar.gz", Agent::googlebot, "", "", "", "", 200, 200, "1.2.3",
     tarball_size},
    {"GET", "/missing/page.html?token=s3cr3tT0ken02&user=alice", Agent::googlebot, "", "", "", "",
     404, 404, "", 0},
    {"GET", "/downloads/logsift-2.0.0.tar.gz?token=s3cr3tT0ken03", Agent::wget,
     "https://Mirror.Example.net:8443/files/?token=s3cr3tT0ken04", "mirror.example.net", "", "",
     404, 404, "2.0.0", 0},
    {"HEAD", "/index.html", Agent::curl, "", "", "", "", 200, 200, "", 0},
    // A static file takes no POST in nginx (405); Apache serves it.
    {"POST", "/index.html?token=s3cr3tT0ken05", Agent::curl, "", "", "", xff, 405, 200, "", 0},
    {"GET", "/downloads/logsift-1.3.0.zip", Agent::firefox,
     "https://search.example.com/search?q=logsift+download&token=s3cr3tT0ken06",
     "search.example.com", "", "", 200, 200, "1.3.0", zip_size},
};

// Strings that must never come out of logsift: raw addresses, tokens, query strings,
// referrer paths and full user agents.
const std::vector<std::string> secrets = {
    "127.0.0.1", "::1",       xff,          "s3cr3tT0ken", "token=", "R3fS3cr3t", "session=",
    "alice",     "/blog/",    "/search",    "/files/",     "q=",     "Gecko/",    "compatible;",
    "bot.html",  "Mozilla/5", "Firefox/12", "Wget/",       "curl/",
};

void check_private(const std::string& what, const std::string& text) {
    CAPTURE(what);
    for (const std::string& secret : secrets) {
        CAPTURE(secret);
        CHECK(!contains(text, secret));
    }
}

// Sends request with curl; the HTTP status curl saw, or -1.
int send(const Tools& tools, const Server& server, Family family, const Request& request) {
    std::vector<std::string> args = {"-sS", "-g", "--noproxy", "*",  "--max-time",
                                     "10",  "-o", "/dev/null", "-w", "%{http_code}"};
    if (request.method == "HEAD") args.push_back("-I");
    if (request.method == "POST") args.insert(args.end(), {"--data", "field=value"});
    if (request.agent != Agent::curl) args.insert(args.end(), {"-A", user_agent(request.agent)});
    if (!request.referer.empty()) args.insert(args.end(), {"-e", request.referer});
    if (!request.range.empty()) args.insert(args.end(), {"-r", request.range});
    if (!request.forwarded_for.empty()) {
        args.insert(args.end(), {"-H", "X-Forwarded-For: " + request.forwarded_for});
    }
    args.push_back(server.url(family, request.target));
    Result result = run_program(tools.curl, args);
    INFO(result.err);
    if (result.status != 0 || result.out.empty()) return -1;
    return std::stoi(result.out);
}

// One request as sent and answered.
struct Sent {
    Family family;
    const Request* request;
    int status;
};

std::string network(Family family) {
    return family == Family::v4 ? "127.0.0.0/24" : "::/48";
}

std::string resource(const std::string& target) {
    return target.substr(0, target.find('?'));
}

// The record `reduce --fields network,method,resource,status,agent,agent_version,agent_class,
// referrer_host` must write for a request.
const std::string record_fields =
    "network,method,resource,status,agent,agent_version,agent_class,referrer_host";

std::string record(const Sent& sent, const Tools& tools) {
    AgentFacts agent = facts(sent.request->agent, tools);
    return network(sent.family) + "\t" + sent.request->method + "\t" +
           resource(sent.request->target) + "\t" + std::to_string(sent.status) + "\t" +
           agent.family + "\t" + agent.version + "\t" + agent.agent_class + "\t" +
           sent.request->referrer_host;
}

std::vector<std::string> sorted(std::vector<std::string> lines) {
    std::sort(lines.begin(), lines.end());
    return lines;
}

std::vector<std::string> sorted_lines(const std::string& text) {
    return sorted(split_lines(text));
}

// The rows `sources --period all --no-geoip` must print: per dimension and value, the requests
// and the distinct clients, a client being one full address. curl sends every request of one
// family from its loopback address, so the family's network stands for its one client.
std::vector<std::string> expected_sources(const std::vector<Sent>& sent, const Tools& tools) {
    std::map<std::pair<std::string, std::string>, std::pair<int, std::set<std::string>>> rows;
    for (const Sent& one : sent) {
        AgentFacts agent = facts(one.request->agent, tools);
        const std::string client = network(one.family);
        auto add = [&](const std::string& dimension, const std::string& value) {
            auto& row = rows[{dimension, value}];
            ++row.first;
            row.second.insert(client);
        };
        if (!one.request->referrer_host.empty()) add("referrer_host", one.request->referrer_host);
        add("network", network(one.family));
        add("agent", agent.family + " " + agent.version);
        add("agent_class", agent.agent_class);
        add("status_class", std::to_string(one.status / 100) + "xx");
    }
    std::vector<std::string> lines;
    for (const auto& [key, row] : rows) {
        lines.push_back("all\t" + key.first + "\t" + key.second + "\t" + std::to_string(row.first) +
                        "\t" + std::to_string(row.second.size()));
    }
    return sorted(lines);
}

// The rows `downloads --by version --period all` must print: GET answered 200 or 206, bots left
// out; downloads are distinct clients. With_bytes: nginx's $body_bytes_sent is exact (Apache's
// %O counts headers too, so its bytes are not predicted).
std::vector<std::string> expected_downloads(const std::vector<Sent>& sent, const Tools& tools,
                                            bool with_bytes) {
    struct Row {
        std::set<std::string> clients;
        int requests = 0;
        std::size_t bytes = 0;
    };
    std::map<std::string, Row> rows;
    for (const Sent& one : sent) {
        AgentFacts agent = facts(one.request->agent, tools);
        if (one.request->version.empty() || one.request->method != "GET" ||
            (one.status != 200 && one.status != 206) || agent.agent_class == "bot") {
            continue;
        }
        Row& row = rows[one.request->version];
        row.clients.insert(network(one.family) + " " + agent.family + " " + agent.version);
        ++row.requests;
        row.bytes += one.request->body_bytes;
    }
    std::vector<std::pair<std::size_t, std::string>> ordered;
    for (const auto& [version, row] : rows) {
        std::string line = "all\tlogsift\t" + version + "\t" + std::to_string(row.clients.size()) +
                           "\t" + std::to_string(row.requests);
        if (with_bytes) line += "\t" + std::to_string(row.bytes);
        ordered.emplace_back(row.clients.size(), line);
    }
    // Most downloads first.
    std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<std::string> lines;
    for (const auto& [downloads, line] : ordered)
        lines.push_back(line);
    return lines;
}

// The nginx log_format directive of a config, as written there: from `log_format` to the
// semicolon that ends it (outside quotes).
std::string nginx_log_format(const fs::path& config) {
    std::string text = read_file(config);
    // The directive, not a comment that names it: only blanks before it on its line.
    std::size_t start = text.find("log_format ");
    while (start != std::string::npos) {
        std::size_t line = text.rfind('\n', start);
        line = line == std::string::npos ? 0 : line + 1;
        if (text.find_first_not_of(" \t", line) == start) break;
        start = text.find("log_format ", start + 1);
    }
    if (start == std::string::npos) return "";
    char quote = 0;
    for (std::size_t at = start; at < text.size(); ++at) {
        char c = text[at];
        if (quote) {
            if (c == '\\') {
                ++at;
            } else if (c == quote) {
                quote = 0;
            }
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == ';') {
            return text.substr(start, at + 1 - start);
        }
    }
    return "";
}

// The whole `LogFormat "..." nickname` line of an Apache config.
std::string apache_log_format(const fs::path& config, const std::string& nickname) {
    for (const std::string& line : split_lines(read_file(config))) {
        if (line.rfind("LogFormat ", 0) == 0 && line.size() > nickname.size() &&
            line.compare(line.size() - nickname.size() - 1, std::string::npos, " " + nickname) ==
                0) {
            return line;
        }
    }
    return "";
}

// Runs logsift, checks that nothing secret is in what it printed, and returns the result.
Result logsift_checked(const std::vector<std::string>& args) {
    Result result = logsift(args);
    std::string command;
    for (const std::string& arg : args)
        command += arg + " ";
    CAPTURE(command);
    INFO(result.err);
    CHECK(result.status == 0);
    check_private("stdout of logsift " + args[0], result.out);
    check_private("stderr of logsift " + args[0], result.err);
    CHECK(!contains(result.out, "?"));
    return result;
}

const std::string patterns_dir = (fs::path(LOGSIFT_SOURCE_DIR) / "patterns").string();

// Sends every request over each family to a server of kind, stops it, and checks what logsift
// makes of the log it wrote, read with the format directive of the config it ran with.
void check_counts(Kind kind) {
    std::optional<Tools> tools = find_tools();
    if (!tools) return;
    TempDir dir;
    make_docroot(dir.path());
    fs::path access_log = dir / "access.log";
    Server server(kind, dir.path(), access_log.string(), tools->families.size() > 1);
    INFO(server.failure());
    REQUIRE(server.started());

    std::vector<Sent> sent;
    for (Family family : tools->families) {
        for (const Request& request : requests) {
            int expected = kind == Kind::nginx ? request.nginx_status : request.apache_status;
            CAPTURE(request.target);
            CAPTURE(loopback(family));
            REQUIRE(send(*tools, server, family, request) == expected);
            sent.push_back({family, &request, expected});
        }
    }
    // Every request logged before the server stops (each is logged once answered).
    CHECK(poll_until([&] { return count_lines(access_log) >= sent.size(); }));
    std::optional<int> stopped = server.stop();
    INFO(server.diagnostics());
    CHECK(stopped == 0);
    std::string log = read_file(access_log);
    REQUIRE(count_lines(access_log) == sent.size());
    // The raw log does hold what logsift must drop: the checks below are not vacuous.
    CHECK(contains(log, "127.0.0.1"));
    CHECK(contains(log, "s3cr3tT0ken01"));
    CHECK(contains(log, "/blog/post-17.html"));
    if (tools->families.size() > 1) CHECK(contains(log, "::1 "));
    if (kind == Kind::nginx) CHECK(contains(log, "\"" + xff + "\""));

    std::string format = kind == Kind::nginx ? nginx_log_format(server.config())
                                             : apache_log_format(server.config(), "combined");
    CAPTURE(format);
    REQUIRE(!format.empty());
    const std::vector<std::string> common = {"--patterns-dir", patterns_dir, "--format", format};
    // Countries are not what this test is about; downloads, which has none, takes no --no-geoip.
    auto args = [&](std::vector<std::string> head, const std::vector<std::string>& tail) {
        if (head.front() != "downloads") head.push_back("--no-geoip");
        head.insert(head.end(), common.begin(), common.end());
        head.insert(head.end(), tail.begin(), tail.end());
        head.push_back(access_log.string());
        return head;
    };
    std::string n = std::to_string(sent.size());

    // reduce: one record per request, exactly as sent.
    Result reduced = logsift_checked(args({"reduce"}, {"--fields", record_fields}));
    std::vector<std::string> expected_records;
    for (const Sent& one : sent)
        expected_records.push_back(record(one, *tools));
    CHECK(sorted_lines(reduced.out) == sorted(expected_records));
    CHECK(reduced.err == "logsift: " + n + " lines read, " + n + " parsed, 0 skipped\n");

    // sources: requests and distinct clients per referrer host, network, agent, class, status.
    Result sources = logsift_checked(args({"sources"}, {"--period", "all"}));
    CHECK(sorted_lines(sources.out) == expected_sources(sent, *tools));

    // downloads: per version, bots and 404s left out, range requests of one client once.
    Result downloads = logsift_checked(args({"downloads"}, {"--by", "version", "--period", "all"}));
    std::vector<std::string> rows = split_lines(downloads.out);
    if (kind == Kind::apache) {
        for (std::string& row : rows)
            row = row.substr(0, row.rfind('\t'));
    }
    CHECK(rows == expected_downloads(sent, *tools, kind == Kind::nginx));

    // summary: both reports; only checked for what it must not print.
    logsift_checked(args({"summary"}, {"--period", "all", "--output-format", "json"}));

    if (kind == Kind::nginx) {
        // The client from $http_x_forwarded_for: the forwarded address's network instead.
        Result forwarded =
            logsift_checked(args({"reduce"}, {"--client-ip", "forwarded", "--fields", "network"}));
        std::map<std::string, int> expected;
        for (const Sent& one : sent) {
            ++expected[one.request->forwarded_for.empty() ? network(one.family) : "203.0.113.0/24"];
        }
        std::map<std::string, int> networks;
        for (const std::string& line : split_lines(forwarded.out))
            ++networks[line];
        CHECK(networks == expected);
    }
}

// Whether process pid descends from ancestor (Apache runs "|command" through /bin/sh, which may
// or may not exec it).
bool descends_from(pid_t pid, pid_t ancestor) {
    for (int depth = 0; depth < 3 && pid > 1; ++depth) {
        std::string stat = read_file(fs::path("/proc") / std::to_string(pid) / "stat");
        std::size_t close = stat.rfind(')');
        if (close == std::string::npos) return false;
        // "pid (comm) state ppid ..."
        pid = std::stoi(stat.substr(close + 4));
        if (pid == ancestor) return true;
    }
    return false;
}

// The pid of the running logsift, started by Apache, whose arguments include path. Apache
// starts its piped loggers in each of its two configuration passes at startup and stops the
// first pass's at once (SIGTERM): the one left is the one that logs.
std::optional<pid_t> piped_logger(const fs::path& path, pid_t apache) {
    std::vector<pid_t> loggers;
    poll_until([&] {
        loggers.clear();
        for (pid_t pid : find_processes(LOGSIFT_BINARY, path.string())) {
            if (descends_from(pid, apache)) loggers.push_back(pid);
        }
        return loggers.size() == 1;
    });
    if (loggers.size() != 1) return std::nullopt;
    return loggers[0];
}

}  // namespace

TEST_CASE("nginx: logsift counts exactly what curl sent, read with the log_format of its config") {
    check_counts(Kind::nginx);
}

TEST_CASE("apache: logsift counts exactly what curl sent, read with the LogFormat of its config") {
    check_counts(Kind::apache);
}

TEST_CASE("apache: piped logging: every request anonymized, after SIGHUP into a new file") {
    std::optional<Tools> tools = find_tools();
    if (!tools) return;
    // Apache reaps its piped logger, or the logger is orphaned: then it comes to this process.
    become_subreaper();
    TempDir dir;
    make_docroot(dir.path());
    fs::path anon = dir / "access.anon.log";
    fs::path moved = dir / "access.anon.log.1";
    // As in the README and the man page, plus the patterns of this source tree.
    std::string custom_log = "\"|" + std::string(LOGSIFT_BINARY) + " reduce --patterns-dir " +
                             patterns_dir + " -o " + anon.string() + "\"";
    Server server(Kind::apache, dir.path(), custom_log, tools->families.size() > 1);
    INFO(server.failure());
    REQUIRE(server.started());
    INFO(server.diagnostics());

    // Fields of a default reduce record: time network method resource status ...
    auto reduced = [](const fs::path& path) {
        std::vector<std::string> lines;
        for (const std::string& line : split_lines(read_file(path))) {
            std::vector<std::string> cells = split_tabs(line);
            REQUIRE(cells.size() == 12);
            lines.push_back(cells[1] + " " + cells[2] + " " + cells[3] + " " + cells[4]);
        }
        return sorted(lines);
    };
    auto send_all = [&](std::size_t first, std::size_t count) {
        std::vector<std::string> expected;
        for (std::size_t i = first; i < first + count; ++i) {
            const Request& request = requests[i % requests.size()];
            Family family = tools->families[i % tools->families.size()];
            CAPTURE(request.target);
            REQUIRE(send(*tools, server, family, request) == request.apache_status);
            expected.push_back(network(family) + " " + request.method + " " +
                               resource(request.target) + " " +
                               std::to_string(request.apache_status));
        }
        return sorted(expected);
    };

    // Each record is written as its line arrives, long before Apache stops.
    const std::size_t before = 6;
    std::vector<std::string> first = send_all(0, before);
    CHECK(poll_until([&] { return count_lines(anon) >= before; }, 5s));
    CHECK(reduced(anon) == first);
    std::string first_bytes = read_file(anon);
    check_private("the piped logger's file", first_bytes);

    // As logrotate would: move the file, then SIGHUP to logsift (not to Apache, whose restart
    // would start another logger).
    std::optional<pid_t> logger = piped_logger(anon, server.pid());
    REQUIRE(logger);
    fs::rename(anon, moved);
    REQUIRE(::kill(*logger, SIGHUP) == 0);
    const std::size_t after = 4;
    std::vector<std::string> second = send_all(before, after);
    CHECK(poll_until([&] { return count_lines(anon) >= after; }, 5s));
    CHECK(reduced(anon) == second);
    CHECK(read_file(moved) == first_bytes);
    check_private("the piped logger's new file", read_file(anon));

    // Apache closes the pipe (and sends SIGTERM) when it stops: logsift ends on its own,
    // having printed its statistics to Apache's error log.
    CHECK(server.stop() == 0);
    CHECK(poll_until([&] { return process_gone(*logger); }, 10s));
    std::string error_log = read_file(dir / "apache2-error.log");
    // The logger of Apache's first configuration pass, if it had time to start, read nothing.
    std::string printed, statistics;
    for (const std::string& line : split_lines(error_log)) {
        if (line.rfind("logsift", 0) != 0) continue;
        printed += line + "\n";
        if (line != "logsift: 0 lines read, 0 parsed, 0 skipped") statistics += line + "\n";
    }
    CHECK(statistics == "logsift: 10 lines read, 10 parsed, 0 skipped\n");
    check_private("what logsift wrote to Apache's error log", printed);
    CHECK(reduced(moved) == first);
    CHECK(reduced(anon) == second);
}

TEST_CASE("nginx: an access log that is a FIFO logsift reads") {
    std::optional<Tools> tools = find_tools();
    if (!tools) return;
    TempDir dir;
    make_docroot(dir.path());
    fs::path fifo = dir / "access.fifo";
    fs::path out = dir / "access.anon.tsv";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // nginx opens its log when it starts, and opening a FIFO to write waits for a reader:
    // logsift first. The format is the log_format of the config template (it has no placeholder).
    std::string format = nginx_log_format(fs::path(LOGSIFT_SERVERS_DIR) / "nginx.conf");
    REQUIRE(!format.empty());
    Process reader(
        {LOGSIFT_BINARY, "reduce", "--no-geoip", "--patterns-dir", patterns_dir, "--format", format,
         "--fields", record_fields, "-o", out.string(), fifo.string()},
        dir / "logsift.err");
    Server server(Kind::nginx, dir.path(), fifo.string(), tools->families.size() > 1);
    INFO(server.failure());
    INFO("logsift: " << read_file(dir / "logsift.err"));
    REQUIRE(server.started());
    INFO(server.diagnostics());

    std::vector<std::string> expected;
    for (Family family : tools->families) {
        for (const Request& request : requests) {
            CAPTURE(request.target);
            REQUIRE(send(*tools, server, family, request) == request.nginx_status);
            expected.push_back(record({family, &request, request.nginx_status}, *tools));
        }
    }
    // Written while nginx still holds the FIFO open.
    CHECK(poll_until([&] { return count_lines(out) >= expected.size(); }, 5s));
    CHECK(sorted_lines(read_file(out)) == sorted(expected));

    // nginx's exit closes the FIFO: logsift ends as at the end of a file.
    CHECK(server.stop() == 0);
    CHECK(reader.wait(5s) == 0);
    std::string n = std::to_string(expected.size());
    std::string err = read_file(dir / "logsift.err");
    CHECK(err == "logsift: " + n + " lines read, " + n + " parsed, 0 skipped\n");
    check_private("logsift's output", read_file(out));
    check_private("logsift's standard error", err);
}
