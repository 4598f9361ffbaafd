#pragma once

#include <QString>
#include <QUrl>

#include <optional>

namespace l402::policy {

// A web origin (RFC 6454): what tokens, budgets and single-flight are keyed on. The host is
// lower case, IPv6 without brackets; the port is always explicit in the struct and omitted from
// toString() when it is the scheme's default ("https://api.example.com").
struct Origin {
    QString scheme; // "http" or "https"
    QString host;
    int port = 0;

    static std::optional<Origin> fromUrl(const QUrl& url);
    static std::optional<Origin> parse(const QString& text); // "https://host[:port]"
    QString toString() const;
    bool isDefaultPort() const;

    friend bool operator==(const Origin&, const Origin&) = default;
};

} // namespace l402::policy
