// Download rules: which reduced resources count as downloads (patterns/downloads), and the
// product and version a rule's named captures give them. Loaded once, matched per record.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "logsift/base/error.hpp"

namespace logsift {

struct DownloadMatch {
    std::string_view product;  // views into the resource; empty when the rule has no capture
    std::string_view version;
};

class DownloadRules {
  public:
    // Loads a downloads file (see patterns/downloads for its syntax): rules in RE2 syntax,
    // each with sample resources and what they must give, checked at load.
    static Expected<std::unique_ptr<DownloadRules>> load(const std::string& path);
    static Expected<std::unique_ptr<DownloadRules>> parse(std::string_view text,
                                                          const std::string& file_name);

    // The first rule that matches resource, with its captures; nullopt when none does.
    // Thread-safe. Cheap for resources no rule can match (one RE2::Set pass).
    std::optional<DownloadMatch> match(std::string_view resource) const;

    std::size_t size() const;
    ~DownloadRules();

    struct Impl;

  private:
    explicit DownloadRules(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace logsift
