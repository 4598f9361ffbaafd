#pragma once

#include "core/policy/Origin.h"
#include "core/util/Result.h"

#include <QString>

namespace l402::policy {

// Which sites a budget rule covers: `api.example.com`, `api.example.com:8443`,
// `*.example.com` (every subdomain, not the apex) or `*` (everything). Case-insensitive.
class HostPattern {
public:
    static Result<HostPattern> parse(const QString& text);

    bool matches(const Origin& origin) const;
    // Higher is more specific: host with port > host > longer wildcard suffix > shorter > `*`.
    int specificity() const;
    const QString& text() const { return m_text; }

private:
    enum class Kind { Any, Suffix, Host, HostPort };
    Kind m_kind = Kind::Any;
    QString m_text;
    QString m_host; // host, or the suffix with its leading dot for Kind::Suffix
    int m_port = 0;
};

} // namespace l402::policy
