// Writes a deterministic, realistic nginx combined log for scripts/bench: Zipf-distributed
// clients (IPv4 and IPv6), resources and user agents (uap-core's own test strings), downloads
// fetched with range requests, and about 0.1 % malformed lines, spread over one day. Same
// arguments, same bytes.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

// Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^s, by inverse CDF.
class Zipf {
  public:
    Zipf(std::size_t n, double s) : cumulative_(n) {
        double total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            total += 1.0 / std::pow(static_cast<double>(i + 1), s);
            cumulative_[i] = total;
        }
        for (double& value : cumulative_)
            value /= total;
    }
    template <typename Random>
    std::size_t operator()(Random& random) {
        double u = std::uniform_real_distribution<double>(0, 1)(random);
        auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), u);
        return std::min<std::size_t>(it - cumulative_.begin(), cumulative_.size() - 1);
    }

  private:
    std::vector<double> cumulative_;
};

std::vector<std::string> read_agents(const char* path) {
    std::vector<std::string> agents;
    std::ifstream in(path);
    std::string line;
    const std::string key = "user_agent_string:";
    while (std::getline(in, line)) {
        std::size_t at = line.find(key);
        if (at == std::string::npos) continue;
        std::string value = line.substr(at + key.size());
        std::size_t first = value.find_first_of("'\"");
        std::size_t last = value.find_last_of("'\"");
        if (first == std::string::npos || last <= first) continue;
        value = value.substr(first + 1, last - first - 1);
        // The log writes the agent between double quotes, escaped as nginx does.
        std::string escaped;
        for (char c : value) {
            if (c == '"' || c == '\\') {
                char hex[5];
                std::snprintf(hex, sizeof hex, "\\x%02X", static_cast<unsigned char>(c));
                escaped += hex;
            } else {
                escaped += c;
            }
        }
        if (!escaped.empty()) agents.push_back(escaped);
    }
    if (agents.empty()) agents.push_back("curl/8.4.0");
    return agents;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s LINES OUTPUT [UA_TESTS_YAML]\n", argv[0]);
        return 2;
    }
    const std::uint64_t lines = std::stoull(argv[1]);
    std::FILE* out = std::fopen(argv[2], "wb");
    if (!out) return 1;
    std::vector<std::string> agents =
        read_agents(argc > 3 ? argv[3] : "/usr/share/uap-core/tests/test_ua.yaml");

    std::mt19937_64 random(20261129);
    const std::size_t client_count = 200000;
    Zipf client_rank(client_count, 1.1), resource_rank(5000, 1.0), agent_rank(agents.size(), 1.2);
    std::vector<std::string> clients;
    for (std::size_t i = 0; i < client_count; ++i) {
        std::uint64_t bits = random();
        char text[64];
        if (i % 7 == 3) {
            std::snprintf(text, sizeof text, "2001:db8:%x:%x::%x", unsigned(bits & 0xffff),
                          unsigned((bits >> 16) & 0xffff), unsigned((bits >> 32) & 0xffff));
        } else {
            std::snprintf(text, sizeof text, "%u.%u.%u.%u", unsigned(1 + (bits & 0xdf)),
                          unsigned((bits >> 8) & 0xff), unsigned((bits >> 16) & 0xff),
                          unsigned((bits >> 24) & 0xff));
        }
        clients.push_back(text);
    }
    std::vector<std::string> resources;
    const char* pages[] = {"/",
                           "/index.html",
                           "/docs/",
                           "/blog/post-",
                           "/static/app.js",
                           "/static/style.css",
                           "/api/v1/items",
                           "/images/logo.png"};
    for (std::size_t i = 0; i < 5000; ++i) {
        if (i % 5 == 1) {
            resources.push_back("/releases/tool-" + std::to_string(i / 100) + "." +
                                std::to_string(i % 10) + "." + std::to_string(i % 7) +
                                (i % 3 ? ".tar.gz" : ".zip"));
        } else {
            resources.push_back(std::string(pages[i % 8]) + (i % 8 == 3 ? std::to_string(i) : ""));
        }
    }
    const char* referrers[] = {"-",
                               "-",
                               "-",
                               "https://www.example.com/",
                               "https://search.example.net/q?x=1",
                               "https://news.example.org/story/12",
                               "android-app://com.example.reader/"};
    const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    std::int64_t second = 0;
    std::string line;
    for (std::uint64_t n = 0; n < lines; ++n) {
        // One day of traffic, however many lines: what a nightly job reads from a rotated log.
        second = static_cast<std::int64_t>(n * 86400 / lines);
        std::int64_t day = 8 + second / 86400, of_day = second % 86400;
        if (random() % 1000 == 0) {
            std::fprintf(out, "%s - - [%02lld/Oct/2026:%02lld:%02lld:%02lld +0000] \"GET /broken\n",
                         clients[client_rank(random)].c_str(), (long long)day,
                         (long long)(of_day / 3600), (long long)(of_day / 60 % 60),
                         (long long)(of_day % 60));
            continue;
        }
        const std::string& resource = resources[resource_rank(random)];
        bool download = resource.starts_with("/releases/");
        unsigned status = 200;
        std::uint64_t bytes = 512 + random() % 40000;
        std::uint64_t roll = random() % 100;
        if (download) {
            bytes = 1000000 + random() % 50000000;
            if (roll < 40) {
                status = 206;
                bytes = 1 + random() % 4000000;
            }
        } else if (roll < 8) {
            status = 304;
            bytes = 0;
        } else if (roll < 12) {
            status = 404;
            bytes = 153;
        }
        const char* method = roll == 99 ? "HEAD" : (roll == 98 ? "POST" : "GET");
        std::fprintf(out,
                     "%s - - [%02lld/%s/2026:%02lld:%02lld:%02lld +0000] \"%s %s%s HTTP/1.1\" %u "
                     "%llu \"%s\" \"%s\"\n",
                     clients[client_rank(random)].c_str(), (long long)day, months[9],
                     (long long)(of_day / 3600), (long long)(of_day / 60 % 60),
                     (long long)(of_day % 60), method, resource.c_str(),
                     roll % 10 == 0 ? "?utm_source=feed" : "", status, (unsigned long long)bytes,
                     referrers[random() % 7], agents[agent_rank(random)].c_str());
    }
    return std::fclose(out) == 0 ? 0 : 1;
}
